"""Signed but malformed Stripe deliveries: a 400 with its reason and nothing stored, never a 500.

Each case here answered 500 (or was stored) before `billing.webhook_envelope` and the future
timestamp check: NaN, deep nesting, a string or huge `created`, ids and types over 255
characters, NUL bytes, a timestamp an hour ahead.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from billing import handlers
from billing.models import StripeEvent
from billing.stripe_client import WEBHOOK_TOLERANCE_SECONDS
from billing.tests.fixtures import make_stripe_event, post_stripe_event
from billing.webhook_envelope import MAX_BODY_BYTES, MAX_DEPTH, InvalidStripeEventError, json_loads_strict

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_webhook_secret", "billing_celery_eager")]


def event(**fields: Any) -> dict[str, Any]:
    return {**make_stripe_event("payment_intent.succeeded", "payment_intent"), **fields}


def nested(depth: int) -> Any:
    value: Any = {}
    for level in range(depth - 1):
        value = [value] if level % 2 else {"n": value}
    return value


def dumps(value: Any) -> str:
    return json.dumps(value, allow_nan=True)


def without(key: str) -> str:
    whole = event()
    del whole[key]
    return dumps(whole)


# body -> the start of the reason the 400 gives.
HOSTILE_BODIES: dict[str, tuple[Callable[[], str | bytes], str]] = {
    "NaN literal": (lambda: dumps(event(livemode=float("nan"))), "Not JSON: NaN"),
    "Infinity literal": (lambda: dumps(event(amount=float("inf"))), "Not JSON: Infinity"),
    "-Infinity literal": (lambda: dumps(event(amount=float("-inf"))), "Not JSON: -Infinity"),
    "number overflowing to infinity": (
        lambda: dumps(event()).replace('"created"', '"x": 1e400, "created"'),
        "Not JSON: a number",
    ),
    "integer of 5000 digits": (
        lambda: dumps(event()).replace('"created"', '"x": ' + "9" * 5000 + ', "created"'),
        "Not JSON.",
    ),
    "nesting one level too deep": (
        lambda: dumps(event(data={"object": nested(MAX_DEPTH)})),
        "JSON nested deeper",
    ),
    "nesting 100,000 levels": (
        lambda: dumps(event()).replace('"created"', '"x": ' + "[" * 100_000 + "]" * 100_000 + ', "created"'),
        "JSON nested deeper",
    ),
    "duplicate id key": (
        lambda: dumps(event()).replace('"created"', '"id": "evt_other", "created"'),
        "Not JSON we accept",
    ),
    "NUL in a nested string": (
        lambda: dumps(event(data={"object": {"description": "a\x00b"}})),
        "A string holds a NUL",
    ),
    "NUL in a key": (lambda: dumps(event(data={"object": {"a\x00": 1}})), "A string holds a NUL"),
    "lone surrogate": (
        lambda: dumps(event()).replace('"created"', '"x": "\\ud800", "created"'),
        "A string holds",
    ),
    "not UTF-8": (
        lambda: dumps(event()).encode().replace(b'"created"', b'"x": "\xff\xfe", "created"'),
        "The body is not UTF-8",
    ),
    "a list": (lambda: '["evt_1"]', "Not a Stripe event"),
    "not an event": (lambda: dumps(event(object="charge")), "Not a Stripe event"),
    "id of 256 characters": (lambda: dumps(event(id="evt_" + "a" * 252)), "The event id"),
    "id of 10,000 characters": (lambda: dumps(event(id="evt_" + "a" * 10_000)), "The event id"),
    "id not evt_": (lambda: dumps(event(id="ch_123")), "The event id"),
    "id an integer": (lambda: dumps(event(id=12)), "The event id"),
    "id missing": (lambda: without("id"), "The event id"),
    "type of 256 characters": (lambda: dumps(event(type="a." * 127 + "ab")), "The event type"),
    "type a list": (lambda: dumps(event(type=["charge.succeeded"])), "The event type"),
    "type with spaces": (lambda: dumps(event(type="charge succeeded; drop table")), "The event type"),
    "type missing": (lambda: without("type"), "The event type"),
    "created a string": (lambda: dumps(event(created="yesterday")), "The event's created"),
    "created 10**30": (lambda: dumps(event(created=10**30)), "The event's created"),
    "created a float": (lambda: dumps(event(created=1.7e9)), "The event's created"),
    "created true": (lambda: dumps(event(created=True)), "The event's created"),
    "created negative": (lambda: dumps(event(created=-1)), "The event's created"),
    "created before Stripe": (lambda: dumps(event(created=946684800)), "The event's created"),
    "created a week ahead": (
        lambda: dumps(event(created=int(time.time()) + 7 * 86400)),
        "The event's created",
    ),
    "created missing": (lambda: without("created"), "The event's created"),
    "data missing": (lambda: without("data"), "The event has no data.object"),
    "data.object a list": (lambda: dumps(event(data={"object": [1]})), "The event has no data.object"),
    "data a string": (lambda: dumps(event(data="x")), "The event has no data.object"),
    "account an object": (lambda: dumps(event(account={"id": "acct_1"})), "The event's account"),
    "account of 300 characters": (lambda: dumps(event(account="acct_" + "1" * 295)), "The event's account"),
    "livemode a string": (lambda: dumps(event(livemode="false")), "The event's livemode"),
    "api_version of 100 characters": (lambda: dumps(event(api_version="2" * 100)), "The event's api_version"),
    "api_version a number": (lambda: dumps(event(api_version=2024)), "The event's api_version"),
    "body over the size limit": (lambda: dumps(event(pad="x" * MAX_BODY_BYTES)), "The body is larger"),
}


@pytest.mark.parametrize("case", list(HOSTILE_BODIES))
def test_signed_hostile_body_is_a_400_with_its_reason(client: Client, case: str) -> None:
    make_body, reason = HOSTILE_BODIES[case]
    response = post_stripe_event(client, make_body())
    assert response.status_code == 400, response.content
    assert response.json()["error"].startswith(reason)
    assert StripeEvent.objects.count() == 0


def test_refusal_is_logged(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    post_stripe_event(client, dumps(event(created="yesterday")))
    assert "Stripe webhook refused: The event's created time" in caplog.text


def test_unparsable_content_length_is_a_400(client: Client) -> None:
    response = client.post(
        "/billing/stripe/webhook/", b"{}", content_type="application/json", CONTENT_LENGTH="12abc"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "The Content-Length header is not a number."


@pytest.mark.parametrize(
    ("seconds_ahead", "status"),
    [(3600, 400), (WEBHOOK_TOLERANCE_SECONDS + 2, 400), (WEBHOOK_TOLERANCE_SECONDS - 20, 200)],
)
def test_signature_timestamp_ahead_of_our_clock(client: Client, seconds_ahead: int, status: int) -> None:
    response = post_stripe_event(client, event(), timestamp=int(time.time()) + seconds_ahead)
    assert response.status_code == status
    assert StripeEvent.objects.count() == (status == 200)
    if status == 400:
        assert response.json() == {"error": "Invalid signature."}


def test_envelope_at_its_limits_is_stored(client: Client) -> None:
    at_limits = event(
        id="evt_" + "a" * 251,
        type="a." * 126 + "abc",
        account="acct_" + "1" * 250,
        created=int(time.time()) + 3600,
        data={"object": nested(MAX_DEPTH - 2), "note": "brackets in strings [[[[{{{{ do not count"},
        api_version="2026-10-28.endive",
    )
    assert len(at_limits["id"]) == len(at_limits["type"]) == len(at_limits["account"]) == 255
    response = post_stripe_event(client, at_limits)
    assert response.status_code == 200, response.content
    row = StripeEvent.objects.get()
    assert (row.stripe_id, row.type, row.account) == (
        at_limits["id"],
        at_limits["type"],
        at_limits["account"],
    )
    assert row.payload == at_limits


def test_handler_error_quoting_the_payload_is_kept_on_the_row(
    client: Client, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    """A handler's error text with a NUL or a lone surrogate still lands in last_error."""

    def failing(stored: StripeEvent) -> None:
        raise ValueError("unexpected value 'a\x00b\ud800'")

    monkeypatch.setitem(handlers._registry, "payment_intent.succeeded", failing)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_stripe_event(client, event())
    assert response.status_code == 200
    row = StripeEvent.objects.get()
    assert row.status == StripeEvent.Status.FAILED
    assert "ValueError: unexpected value 'a\\x00b\\ud800'" in row.last_error


def test_depth_check_ignores_brackets_in_strings_and_escapes() -> None:
    deep_in_strings = json.dumps({"s": "[" * 1000, "t": '\\"[[[[' * 100, "u": "{" * 1000})
    assert json_loads_strict(deep_in_strings)["s"] == "[" * 1000
    with pytest.raises(InvalidStripeEventError, match="nested deeper"):
        json_loads_strict('{"s": "\\\\", "x": ' + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "}")


def test_depth_check_is_linear_on_unterminated_escaped_strings() -> None:
    # A naive string regex backtracks from every quote of this body: quadratic, minutes at 1 MB.
    body = '"\\"' * (MAX_BODY_BYTES // 3) + "\\"
    started = time.perf_counter()
    with pytest.raises(InvalidStripeEventError, match="Not JSON"):
        json_loads_strict(body)
    assert time.perf_counter() - started < 2


def test_handler_error_with_tasks_in_process_and_propagating_is_a_200(
    client: Client, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    """With no broker (the default setup) tasks run in-process and propagate their errors; the
    delivery is still a 200 and the failure stays on the row."""
    from invoiceflow.celery import app as celery_app

    def failing(stored: StripeEvent) -> None:
        raise RuntimeError("handler bug")

    monkeypatch.setitem(handlers._registry, "payment_intent.succeeded", failing)
    celery_app.conf.task_eager_propagates = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = post_stripe_event(client, event())
    finally:
        celery_app.conf.task_eager_propagates = False  # as billing_celery_eager set it
    assert response.status_code == 200
    row = StripeEvent.objects.get()
    assert row.status == StripeEvent.Status.FAILED
    assert "RuntimeError: handler bug" in row.last_error
