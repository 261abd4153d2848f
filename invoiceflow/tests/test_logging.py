"""Request ids: taken or made per request, returned, stamped on every log line, carried into tasks."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest
from celery import Celery
from celery._state import _set_task_join_will_block
from celery.contrib.testing.worker import start_worker
from django.conf import settings as django_settings
from django.db import connections
from django.test import Client

from invoiceflow.celery import app as invoiceflow_celery_app
from invoiceflow.logging import JsonFormatter, RequestIdFilter, request_id_var


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The production pipeline (the request-id filter and the JSON formatter) on the root logger."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(previous_level)


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_the_settings_put_the_filter_and_formatter_on_the_console_handler() -> None:
    console = django_settings.LOGGING["handlers"]["console"]
    assert console["filters"] == ["request_id"]
    filter_factory = django_settings.LOGGING["filters"]["request_id"]["()"]
    assert filter_factory == "invoiceflow.logging.RequestIdFilter"
    assert django_settings.LOGGING["formatters"]["json"]["()"] == "invoiceflow.logging.JsonFormatter"


def test_a_sane_incoming_request_id_is_kept_returned_and_logged(
    db: None, client: Client, json_log: io.StringIO
) -> None:
    response = client.get("/accounts/login/", HTTP_X_REQUEST_ID="lb-7f3a9c2e-0001")
    assert response.status_code == 200
    assert response["X-Request-ID"] == "lb-7f3a9c2e-0001"
    access = [line for line in lines(json_log) if line["logger"] == "invoiceflow.access"]
    assert len(access) == 1
    assert access[0]["request_id"] == "lb-7f3a9c2e-0001"
    assert access[0]["http_status"] == 200
    assert access[0]["http_path"] == "/accounts/login/"
    assert access[0]["level"] == "INFO"


@pytest.mark.parametrize(
    "incoming",
    ["short", "has space in it", "<script>alert(1)</script>", "x" * 200, "ok-but-\u00e9t\u00e9-accents"],
)
def test_an_unsafe_request_id_is_replaced(db: None, client: Client, incoming: str) -> None:
    response = client.get("/healthz", HTTP_X_REQUEST_ID=incoming)
    returned = response["X-Request-ID"]
    assert returned != incoming
    assert re.fullmatch(r"[0-9a-f]{32}", returned)


def test_every_response_gets_a_fresh_id_without_one(db: None, client: Client) -> None:
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert first != second


def test_the_id_is_cleared_after_the_request(db: None, client: Client) -> None:
    client.get("/healthz", HTTP_X_REQUEST_ID="req-0123456789")
    assert request_id_var.get() is None


def test_a_line_logged_outside_any_request_has_no_id(json_log: io.StringIO) -> None:
    logging.getLogger("invoiceflow.test").info("background work")
    (line,) = lines(json_log)
    assert "request_id" not in line
    assert line["message"] == "background work"


def test_json_lines_keep_extras_and_exceptions(json_log: io.StringIO) -> None:
    logger = logging.getLogger("invoiceflow.test")
    token = request_id_var.set("req-abcdef012345")
    try:
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("it failed", extra={"invoice_id": 42})
    finally:
        request_id_var.reset(token)
    (line,) = lines(json_log)
    assert line["request_id"] == "req-abcdef012345"
    assert line["invoice_id"] == 42
    assert line["level"] == "ERROR"
    assert "ValueError: boom" in line["exception"]


# --- into Celery tasks ---------------------------------------------------------------------------

task_logger = logging.getLogger("invoiceflow.tests.task")
# set_as_current=False: created at import (collection), it must not become the app that every
# shared task in the suite resolves to.
broker_app = Celery("request-id-test", broker="memory://", backend="cache+memory://", set_as_current=False)
broker_app.conf.task_always_eager = False


@broker_app.task(name="request_id_test.log_something")
def log_something(note: str) -> str | None:
    task_logger.info("task ran: %s", note)
    return request_id_var.get()


@pytest.fixture(scope="module")
def worker() -> Iterator[None]:
    """A real Celery worker (in a thread) on an in-memory broker: messages go over the wire format."""
    # Other tests may have reset kombu's shared connection pools: start from fresh ones.
    broker_app._pool = None
    broker_app.amqp._producer_pool = None
    # The solo pool sends worker_process_init in this process, and the project's handler sizes
    # the database pool for a worker process (one connection): the test process gets its back.
    pool_options = connections["default"].settings_dict.get("OPTIONS", {}).get("pool")
    saved_pool_options = dict(pool_options) if isinstance(pool_options, dict) else None
    try:
        with start_worker(broker_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        if saved_pool_options is not None and isinstance(pool_options, dict):
            pool_options.clear()
            pool_options.update(saved_pool_options)
            connections["default"].close()
            connections["default"].close_pool()
        # start_worker made the test app the current one; the rest of the suite needs ours.
        invoiceflow_celery_app.set_current()
        invoiceflow_celery_app.set_default()
        # An in-process worker marks the whole process as "inside a task", after which any
        # result.get() raises; this process is a test runner again.
        _set_task_join_will_block(False)


def test_a_task_queued_by_a_request_logs_that_requests_id(worker: None, json_log: io.StringIO) -> None:
    token = request_id_var.set("req-from-web-0001")
    try:
        result = log_something.delay("invoice sent")
    finally:
        request_id_var.reset(token)
    # The worker thread restored the id from the message headers, not from our context.
    assert result.get(timeout=10) == "req-from-web-0001"
    ran = [line for line in lines(json_log) if line["message"] == "task ran: invoice sent"]
    assert len(ran) == 1
    assert ran[0]["request_id"] == "req-from-web-0001"


def test_a_task_queued_outside_a_request_has_no_id(worker: None, json_log: io.StringIO) -> None:
    # Runs after a task that had an id, on the same worker thread: it must not inherit it.
    assert log_something.delay("nightly").get(timeout=10) is None
    ran = [line for line in lines(json_log) if line["message"] == "task ran: nightly"]
    assert len(ran) == 1
    assert "request_id" not in ran[0]


def test_secret_url_parts_are_redacted_from_access_lines(
    db: None, client: Client, json_log: io.StringIO
) -> None:
    token = "inv-token-that-must-not-reach-the-logs-0123456789"
    client.get(f"/invitations/{token}/?next=/secret-query")
    (access,) = [line for line in lines(json_log) if line["logger"] == "invoiceflow.access"]
    assert access["http_path"] == "/invitations/[redacted]/"
    assert token not in json.dumps(lines(json_log))
    assert "secret-query" not in json.dumps(access)
