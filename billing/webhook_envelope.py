"""What a signed Stripe webhook body must look like before it is stored.

A valid signature proves the bytes came from whoever holds the webhook secret, not that they are
sane: a leaked secret, a Stripe-side bug or a proxy rewriting bodies must still get a 400 with a
reason, never a 500 (a 500 makes Stripe retry the same bytes for three days). So the body is
parsed strictly and the envelope's fields are checked against what `StripeEvent` can hold.

`json` is the parser; only what it lets through is added by hand, because no stdlib or
installed library refuses these:
- `NaN`, `Infinity` and numbers that overflow to infinity (`1e400`): not JSON (RFC 8259), and
  PostgreSQL's jsonb refuses them (the row insert failed with a DataError);
- nesting deeper than `MAX_DEPTH`: measured before parsing, because `json` recurses and a
  deeply nested body raised RecursionError;
- duplicate keys: parsers disagree on which one wins, so the event we store and the one a
  handler reads could differ;
- `\\u0000` and lone surrogates in any string or key: jsonb refuses the first, UTF-8 the second.
"""

from __future__ import annotations

import json
import math
import re
from array import array
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Any, TypeGuard

from django.utils import timezone

from core.errors import ApplicationError

# Stripe's events are a few kilobytes, an invoice with its lines some tens; a megabyte leaves
# room for any real event and bounds the memory and CPU one request can take.
MAX_BODY_BYTES = 1024 * 1024
# A Stripe event nests about ten levels (event.data.object.lines.data[].price.recurring...).
MAX_DEPTH = 64

EVENT_ID = re.compile(r"evt_[A-Za-z0-9_]{1,251}")
ACCOUNT_ID = re.compile(r"acct_[A-Za-z0-9_]{1,250}")
# "checkout.session.completed", "v1.billing.meter.error_report_triggered".
EVENT_TYPE = re.compile(r"[a-z0-9_]+(\.[a-z0-9_]+)*")
MAX_TYPE_LENGTH = 255
# "2026-10-28.endive"; the column holds 64 characters.
API_VERSION = re.compile(r"[A-Za-z0-9._-]{1,64}")
# Stripe was founded in 2010: an earlier `created` is not a Stripe event. A day ahead allows
# for any clock skew between Stripe and us.
EARLIEST_CREATED = datetime(2010, 1, 1, tzinfo=UTC)
CREATED_MAX_AHEAD = timedelta(days=1)

# A JSON string, or an unterminated one up to the end. Possessive (runs of plain characters
# taken whole), and a match at every `"`, so the scan is linear on any input; the parser refuses
# the unterminated ones afterwards.
_STRING = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+(?:"|\\?\Z)', re.DOTALL)
# Each bracket becomes a signed byte: +1 for an opening one, -1 (0xff) for a closing one.
_DEPTH_STEP = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_NOT_BRACKET = bytes(set(range(256)) - set(b"[]{}"))
_SURROGATE = re.compile("[\ud800-\udfff]")
# Where a NUL or a surrogate can come from in UTF-8 JSON text: an escape. (Raw control
# characters in strings are refused by the parser, and UTF-8 cannot encode surrogates.)
_NUL_OR_SURROGATE_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")


class InvalidStripeEventError(ApplicationError):
    """A signed body that is not a Stripe event we can store; `message` says why (a 400)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="invalid_stripe_event")


def _refuse_constant(name: str) -> float:
    raise InvalidStripeEventError(f"Not JSON: {name} is not a number.")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InvalidStripeEventError("Not JSON: a number is out of range.")
    return value


def _object_without_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise InvalidStripeEventError("Not JSON we accept: an object repeats a key.")
    return result


def _too_deep(text: str) -> bool:
    """Whether the brackets outside strings nest deeper than MAX_DEPTH (in C: 1 MB in ~10 ms)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False  # too few to nest that deep: most events (a few dozen brackets) end here
    brackets = _STRING.sub("", text).encode("utf-8", "surrogatepass").translate(_DEPTH_STEP, _NOT_BRACKET)
    return max(accumulate(array("b", brackets)), default=0) > MAX_DEPTH


def json_loads_strict(text: str) -> Any:
    """Parse `text` as RFC 8259 JSON, with the limits above; `InvalidStripeEventError` otherwise."""
    if _too_deep(text):
        raise InvalidStripeEventError(f"JSON nested deeper than {MAX_DEPTH} levels.")
    try:
        value = json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
            object_pairs_hook=_object_without_duplicate_keys,
        )
    except ValueError as exc:  # JSONDecodeError, and an integer of more than 4300 digits
        raise InvalidStripeEventError("Not JSON.") from exc
    # The walk is exact; the search only skips it for the bodies that cannot need it (most).
    if _NUL_OR_SURROGATE_ESCAPE.search(text) or _SURROGATE.search(text):
        for string in _strings(value):
            if "\x00" in string or _SURROGATE.search(string):
                raise InvalidStripeEventError("A string holds a NUL or an unpaired surrogate.")
    return value


def _strings(value: Any) -> Iterator[str]:
    """Every string and key in a parsed JSON value (iteratively: depth is bounded, but cheap)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            yield from item.keys()
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def stripe_event_validate(event: Any) -> None:
    """Raise `InvalidStripeEventError` unless `event` is an envelope `StripeEvent` can store."""
    if not isinstance(event, dict) or event.get("object") != "event":
        raise InvalidStripeEventError("Not a Stripe event.")
    event_id = event.get("id")
    if not isinstance(event_id, str) or not EVENT_ID.fullmatch(event_id):
        raise InvalidStripeEventError("The event id is not a Stripe event id (evt_..., at most 255).")
    event_type = event.get("type")
    if (
        not isinstance(event_type, str)
        or len(event_type) > MAX_TYPE_LENGTH
        or not EVENT_TYPE.fullmatch(event_type)
    ):
        raise InvalidStripeEventError("The event type is not a dotted name of at most 255 characters.")
    created = event.get("created")
    if not _is_int(created) or not _created_in_range(created):
        raise InvalidStripeEventError("The event's created time is not a plausible Unix timestamp.")
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise InvalidStripeEventError("The event has no data.object.")
    account = event.get("account")
    if account is not None and (not isinstance(account, str) or not ACCOUNT_ID.fullmatch(account)):
        raise InvalidStripeEventError("The event's account is not a Stripe account id (acct_...).")
    if "livemode" in event and not isinstance(event["livemode"], bool):
        raise InvalidStripeEventError("The event's livemode is not true or false.")
    api_version = event.get("api_version")
    if api_version is not None and (
        not isinstance(api_version, str) or not API_VERSION.fullmatch(api_version)
    ):
        raise InvalidStripeEventError("The event's api_version is not a Stripe API version.")


def _created_in_range(created: int) -> bool:
    earliest = EARLIEST_CREATED.timestamp()
    latest = (timezone.now() + CREATED_MAX_AHEAD).timestamp()
    return earliest <= created <= latest
