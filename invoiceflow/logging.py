"""Structured logs and the request id that ties a request to everything it caused.

- `RequestIdMiddleware` (first in MIDDLEWARE) takes the caller's `X-Request-ID` when it is sane
  (a load balancer's or another service's id), otherwise makes one, keeps it in a context
  variable for the request's duration, returns it in the response header and writes one access
  line per request.
- The Celery signal handlers below copy the id into the headers of every task published while
  it is set, and restore it in the worker around the task, so a task's log lines carry the id
  of the request that queued it.
- `RequestIdFilter` (on the console handler) stamps each record with the id; `JsonFormatter`
  writes one JSON object per line (LOG_FORMAT=json, the default when DEBUG is off).
- `configure_celery_logging` keeps Celery from replacing Django's logging setup in the worker.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from typing import Any

import sentry_sdk
from celery.signals import before_task_publish, setup_logging, task_postrun, task_prerun
from django.http import HttpRequest, HttpResponse

REQUEST_ID_HEADER = "X-Request-ID"
# The message header a published task carries the id in.
TASK_HEADER = "request_id"
# An id from outside is only accepted if it cannot smuggle anything into a log line or header.
SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$")
# Paths a load balancer polls every few seconds: their access lines are DEBUG, not INFO.
QUIET_PATHS = frozenset({"/healthz", "/readyz"})

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
_task_tokens: dict[str, Token[str | None]] = {}

access_logger = logging.getLogger("invoiceflow.access")


def current_request_id() -> str | None:
    return request_id_var.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


def sanitize_request_id(value: str | None) -> str:
    """The caller's id if it looks like an id, otherwise a fresh one."""
    if value and SANE_REQUEST_ID.match(value):
        return value
    return new_request_id()


# URL parts that are secrets (invitation and download tokens, allauth's reset and confirmation
# keys) are replaced in access lines; query strings are never logged at all.
SECRET_URL_KWARGS = frozenset({"token", "key", "uidb36", "signature"})


def loggable_path(request: HttpRequest) -> str:
    path = request.path
    match = getattr(request, "resolver_match", None)
    for name, value in match.kwargs.items() if match else ():
        if (name in SECRET_URL_KWARGS or "token" in name) and value:
            path = path.replace(str(value), "[redacted]")
    return path


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = sanitize_request_id(request.headers.get(REQUEST_ID_HEADER))
        # Our own attribute for code holding the request; HttpRequest does not declare it.
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        sentry_sdk.set_tag("request_id", request_id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            path = loggable_path(request)
            access_logger.log(
                logging.DEBUG if request.path in QUIET_PATHS else logging.INFO,
                "%s %s %s",
                request.method,
                path,
                response.status_code,
                extra={
                    "http_method": request.method,
                    "http_path": path,
                    "http_status": response.status_code,
                    "duration_ms": round((time.monotonic() - started) * 1000, 1),
                },
            )
            return response
        finally:
            request_id_var.reset(token)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record ("-" outside a request or a task a request queued)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get() or "-"
        return True


# Attributes every LogRecord has; anything else on a record came from `extra=` and is kept.
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "request_id",
    "taskName",
    "color_message",  # uvicorn's ANSI-coloured copy of the message
}


_PLAIN = (str, int, float, bool, type(None), list, tuple, dict)


# Python's warnings (a deprecation, a missing directory) go through logging too, so that with
# JSON logs they are JSON lines like the rest instead of two lines of plain text on stderr.
logging.captureWarnings(True)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        if request_id and request_id != "-":
            payload["request_id"] = request_id
        for key, value in vars(record).items():
            # Extras that are plain values only: objects such as Django's `request` would be
            # written as their repr, URL and all.
            if key not in _STANDARD_ATTRS and not key.startswith("_") and isinstance(value, _PLAIN):
                payload[key] = value
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            payload["stack"] = self.formatStack(record.stack_info)
        return json.dumps(payload, default=str, ensure_ascii=False)


# --- Celery ------------------------------------------------------------------------------------


@before_task_publish.connect(dispatch_uid="invoiceflow-request-id-publish")
def _add_request_id_header(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    request_id = request_id_var.get()
    if request_id and headers is not None:
        headers[TASK_HEADER] = request_id


def _task_request_id(task: Any) -> str | None:
    request = getattr(task, "request", None)
    value = getattr(request, TASK_HEADER, None)
    if value is None:
        # Older message protocols nest custom headers.
        value = (getattr(request, "headers", None) or {}).get(TASK_HEADER)
    return value if isinstance(value, str) and SANE_REQUEST_ID.match(value) else None


@task_prerun.connect(dispatch_uid="invoiceflow-request-id-prerun")
def _restore_request_id(task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    request_id = _task_request_id(task)
    if request_id is None and getattr(getattr(task, "request", None), "is_eager", False):
        return  # run in-process by the request itself: the id is already set
    if task_id:
        # A worker thread runs one task after another: a task without an id must not keep
        # the previous task's.
        _task_tokens[task_id] = request_id_var.set(request_id)


@task_postrun.connect(dispatch_uid="invoiceflow-request-id-postrun")
def _clear_request_id(task_id: str | None = None, **kwargs: Any) -> None:
    token = _task_tokens.pop(task_id, None) if task_id else None
    if token is not None:
        try:
            request_id_var.reset(token)
        except ValueError:  # set in another context (a different thread): just clear it
            request_id_var.set(None)


@setup_logging.connect(dispatch_uid="invoiceflow-celery-logging")
def configure_celery_logging(**kwargs: Any) -> None:
    """A receiver here tells Celery not to install its own handlers: Django's LOGGING applies."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
