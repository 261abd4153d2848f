"""Keyset ("cursor") pagination over an ordering plus the primary key as tie-breaker.

The cursor holds the last row's sort value and key, and the ordering it belongs to,
encrypted (Fernet, key derived from SECRET_KEY) so the integer key never shows. The next
page is `WHERE (sort, pk) > (last_sort, last_pk)` on an index-friendly ordering: page 1,000
costs what page 1 costs, unlike OFFSET. DRF's CursorPagination handles ties on the sort
column with an offset instead, which degrades to OFFSET when many rows share a date; the key
tie-breaker avoids that.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from cryptography.fernet import Fernet, InvalidToken
from django.db.models import Q, QuerySet
from django.utils.crypto import salted_hmac
from rest_framework.request import Request

from api.errors import ApiError

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class Ordering:
    field: str  # a non-null column of the model (a path such as client__name is allowed)
    descending: bool

    @property
    def param(self) -> str:
        return f"-{self.field}" if self.descending else self.field

    def order_by(self) -> tuple[str, str]:
        sign = "-" if self.descending else ""
        return (f"{sign}{self.field}", f"{sign}pk")


def parse_ordering(raw: str | None, *, allowed: tuple[str, ...], default: str) -> Ordering:
    value = raw or default
    field = value.removeprefix("-")
    if field not in allowed:
        choices = ", ".join(f"{name}, -{name}" for name in allowed)
        raise ApiError(
            f"Order by one of: {choices}.",
            status_code=400,
            code="validation_error",
            fields={"ordering": [choices]},
        )
    return Ordering(field=field, descending=value.startswith("-"))


def _fernet() -> Fernet:
    digest = salted_hmac("api.pagination.cursor", "fernet", algorithm="sha256").digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _encode(payload: dict[str, Any]) -> str:
    return _fernet().encrypt(json.dumps(payload, separators=(",", ":")).encode()).decode("ascii")


def _decode(cursor: str) -> dict[str, Any]:
    try:
        payload = json.loads(_fernet().decrypt(cursor.encode("ascii")))
    except (ValueError, InvalidToken, UnicodeEncodeError):
        payload = None
    if (
        not isinstance(payload, dict)
        or not {"o", "v", "k"} <= set(payload)
        or not isinstance(payload["k"], int)
    ):
        raise ApiError(
            "Invalid cursor.", status_code=400, code="invalid_cursor", fields={"cursor": ["Invalid cursor."]}
        )
    return payload


def page_size(request: Request) -> int:
    raw = request.query_params.get("page_size")
    if raw is None:
        return DEFAULT_PAGE_SIZE
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        message = f"page_size is 1 to {MAX_PAGE_SIZE}."
        raise ApiError(message, status_code=400, code="validation_error", fields={"page_size": [message]})
    return int(raw)


def _value_of(row: Any, field: str) -> Any:
    value = row
    for part in field.split("__"):
        value = getattr(value, part)
    return value


def paginate(request: Request, queryset: QuerySet, ordering: Ordering) -> tuple[list[Any], str | None]:
    """One page of `queryset` in `ordering`, and the `next` URL (None on the last page)."""
    size = page_size(request)
    queryset = queryset.order_by(*ordering.order_by())
    cursor = request.query_params.get("cursor")
    if cursor:
        payload = _decode(cursor)
        if payload["o"] != ordering.param:
            raise ApiError(
                "This cursor belongs to another ordering: keep the ordering while paging.",
                status_code=400,
                code="invalid_cursor",
                fields={"cursor": ["Cursor and ordering differ."]},
            )
        op = "lt" if ordering.descending else "gt"
        value, key = payload["v"], payload["k"]
        try:
            queryset = queryset.filter(
                Q(**{f"{ordering.field}__{op}": value}) | Q(**{ordering.field: value, f"pk__{op}": key})
            )
            rows = list(queryset[: size + 1])
        except (ValueError, TypeError, ArithmeticError) as error:
            raise ApiError(
                "Invalid cursor.",
                status_code=400,
                code="invalid_cursor",
                fields={"cursor": [str(error)[:100]]},
            ) from None
    else:
        rows = list(queryset[: size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    next_url = None
    if has_more and rows:
        last = rows[-1]
        value = _value_of(last, ordering.field)
        token = _encode({"o": ordering.param, "v": str(value), "k": last.pk})
        params = request.query_params.copy()
        params["cursor"] = token
        next_url = request.build_absolute_uri(request.path) + "?" + urlencode(params, doseq=True)
    return rows, next_url


def page_schema(item_schema: Any) -> Any:
    from rest_framework import serializers

    class Page(serializers.Serializer):
        next = serializers.URLField(allow_null=True)
        results = item_schema(many=True)

    Page.__name__ = f"{item_schema.__name__.removesuffix('Serializer')}Page"
    return Page
