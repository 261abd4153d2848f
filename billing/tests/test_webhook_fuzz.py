"""Hypothesis against POST /billing/stripe/webhook/ with bodies signed by our own secret.

Whatever a holder of the webhook secret signs (valid events with hostile values in every
envelope field and in the object, NaN and huge numbers, deep nesting, long and NUL-laden
strings, bytes that are not UTF-8, timestamps on either side of the tolerance), the answer is a
200 or a 400, never a 5xx: a 400 stores nothing, a 200 stores the event once and its handler's
outcome (processed or failed) is recorded on the row. Handlers run against the Stripe stand-in,
with a connected account the events may name, so their failures are real ones.

Derandomized with a fixed number of examples and no example database: the same inputs on every
run, a few seconds each.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.models import StripeEvent
from billing.stripe_client import WEBHOOK_TOLERANCE_SECONDS
from billing.tests.fixtures import CONNECT_WEBHOOK_SECRET, PLATFORM_WEBHOOK_SECRET, make_stripe_event
from billing.tests.fixtures import post_stripe_event as post
from billing.tests.payment_fixtures import connect_tenant
from billing.tests.stripe_standin import StripeStandIn
from tenants.models import Membership, Tenant

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("billing_celery_eager")]

FUZZ = settings(
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Event types with a handler (and one without), each with the Stripe sample its object is.
EVENT_SAMPLES = {
    "checkout.session.completed": "checkout.session",
    "payment_intent.succeeded": "payment_intent",
    "payment_intent.payment_failed": "payment_intent",
    "charge.refunded": "charge",
    "charge.dispute.created": "dispute",
    "account.updated": "account",
    "customer.subscription.updated": "subscription",
    "invoice.paid": "invoice",
    "plan.created": "plan",
}
ENVELOPE_FIELDS = ["id", "object", "type", "created", "data", "account", "livemode", "api_version", "request"]

HOSTILE_STRINGS = [
    "",
    "\x00",
    "a\x00b",
    "\ud800",
    "\udfff\ud800",
    "\u202eevt_1",
    "evt_" + "x" * 300,
    "acct_" + "1" * 300,
    "x" * 5000,
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "..%2f..%2f..%2fetc%2fpasswd",
    "..\\..\\..\\etc\\passwd",
    "%00%ff",
    "1e400",
    "NaN",
    "evt_1 ",
    "charge.succeeded\n",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.just(int("9" * 4300)),  # the most digits Python reads back (jsonb keeps more)
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(HOSTILE_STRINGS),
)
keys = st.one_of(st.text(max_size=12), st.sampled_from(HOSTILE_STRINGS))
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=12,
)


class Nesting:
    """`depth` empty arrays inside one another, written into the body by `encoded`: built as
    Python lists, a deep value would overflow `json.dumps` (and Hypothesis' printer) itself."""

    def __init__(self, depth: int) -> None:
        self.depth = depth

    def __repr__(self) -> str:
        return f"Nesting({self.depth})"


NESTING = re.compile(r'"@@nesting:(\d+)@@"')
hostile_values = st.one_of(
    json_values,
    st.builds(Nesting, st.integers(min_value=60, max_value=70) | st.integers(min_value=1, max_value=100_000)),
)


@pytest.fixture
def connected_account(stripe_standin: StripeStandIn, tenant: Tenant, owner_membership: Membership) -> str:
    """A tenant's onboarded account on the stand-in: events naming it reach the handlers' calls."""
    return connect_tenant(stripe_standin, tenant, owner_membership).stripe_id


@st.composite
def hostile_events(draw: st.DrawFn, account_id: str) -> dict[str, Any]:
    """A real event, then a few of its envelope fields or object's fields replaced or removed."""
    event_type = draw(st.sampled_from(sorted(EVENT_SAMPLES)))
    event = make_stripe_event(event_type, EVENT_SAMPLES[event_type])
    if draw(st.booleans()):
        event["account"] = account_id
    obj = event["data"]["object"]
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        where = draw(st.sampled_from(["envelope", "object"]))
        if where == "envelope":
            field = draw(st.sampled_from(ENVELOPE_FIELDS))
            target = event
        else:
            field = draw(st.sampled_from(sorted(obj)))
            target = obj
        if draw(st.integers(min_value=0, max_value=4)) == 0:
            target.pop(field, None)
        else:
            target[field] = draw(hostile_values)
    return event


def encoded(event: Any, *, ascii_only: bool) -> bytes:
    text = json.dumps(
        event, allow_nan=True, ensure_ascii=ascii_only, default=lambda deep: f"@@nesting:{deep.depth}@@"
    )
    text = NESTING.sub(lambda match: "[" * int(match[1]) + "]" * int(match[1]), text)
    # Unescaped surrogates make bytes that are not UTF-8: that, too, is an input.
    return text.encode("utf-8", "surrogatepass")


# Offsets of the signed timestamp from now, clear of the tolerance's edges.
IN_TOLERANCE = [0, -WEBHOOK_TOLERANCE_SECONDS // 2, WEBHOOK_TOLERANCE_SECONDS // 2]
OUT_OF_TOLERANCE = [-WEBHOOK_TOLERANCE_SECONDS - 30, WEBHOOK_TOLERANCE_SECONDS + 30, 3600, -86400]


def assert_answered_without_5xx(
    client: Client,
    body: bytes,
    *,
    secret: str = PLATFORM_WEBHOOK_SECRET,
    offset: int = 0,
    capture: Any,
) -> int:
    before = StripeEvent.objects.count()
    with capture(execute=True):
        response = post(client, body, secret=secret, timestamp=int(time.time()) + offset)
    assert response.status_code in (200, 400), (response.status_code, body[:300])
    if response.status_code == 400:
        assert "error" in response.json()
        assert StripeEvent.objects.count() == before, "a refused delivery stored something"
    else:
        assert offset in IN_TOLERANCE
        event_id = json.loads(body)["id"]
        row = StripeEvent.objects.get(stripe_id=event_id)
        # Stored, and its processing ended one way or the other (never left half-way).
        assert row.status in (StripeEvent.Status.PROCESSED, StripeEvent.Status.FAILED), row.last_error
    return response.status_code


def test_hostile_envelopes_and_objects_are_a_200_or_a_400(
    client: Client, connected_account: str, django_capture_on_commit_callbacks: Any
) -> None:
    answers: list[int] = []

    @FUZZ
    @given(
        event=hostile_events(connected_account),
        ascii_only=st.booleans(),
        connect=st.booleans(),
        offset=st.sampled_from(IN_TOLERANCE * 3 + OUT_OF_TOLERANCE),
    )
    def deliver(event: dict[str, Any], ascii_only: bool, connect: bool, offset: int) -> None:
        answers.append(
            assert_answered_without_5xx(
                client,
                encoded(event, ascii_only=ascii_only),
                secret=CONNECT_WEBHOOK_SECRET if connect else PLATFORM_WEBHOOK_SECRET,
                offset=offset,
                capture=django_capture_on_commit_callbacks,
            )
        )

    deliver()
    # The fuzz reached both outcomes, and handlers ran against the connected account.
    assert {200, 400} <= set(answers)
    assert StripeEvent.objects.filter(account=connected_account).exclude(type="plan.created").exists()


@FUZZ
@given(value=hostile_values, ascii_only=st.booleans())
def test_any_json_value_is_a_200_or_a_400(
    client: Client,
    stripe_webhook_secret: str,
    value: Any,
    ascii_only: bool,
    django_capture_on_commit_callbacks: Any,
) -> None:
    assert_answered_without_5xx(
        client, encoded(value, ascii_only=ascii_only), capture=django_capture_on_commit_callbacks
    )


@FUZZ
@given(body=st.binary(max_size=512), prefix=st.sampled_from([b"", b'{"id": "evt_1", "object": "event", ']))
def test_any_bytes_are_a_400(
    client: Client,
    stripe_webhook_secret: str,
    body: bytes,
    prefix: bytes,
    django_capture_on_commit_callbacks: Any,
) -> None:
    assert (
        assert_answered_without_5xx(client, prefix + body, capture=django_capture_on_commit_callbacks) == 400
    )


def test_the_fuzz_would_see_a_500(
    client: Client, stripe_webhook_secret: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checks above can fail: an intake that crashes is reported, not swallowed."""
    from billing import views

    def crash(**kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "stripe_event_record", crash)
    broken = Client(raise_request_exception=False)
    body = encoded(make_stripe_event("plan.created", "plan"), ascii_only=True)
    with pytest.raises(AssertionError, match="500"):
        assert_answered_without_5xx(broken, body, capture=lambda execute: contextlib.nullcontext())
