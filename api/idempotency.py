"""`Idempotency-Key` on POST, as Stripe does it.

A POST carrying `Idempotency-Key: <up to 255 chars>` is remembered per credential and key,
with a SHA-256 of its method, path and body:

- first time: the record is inserted *before* the work, in the request's transaction, and the
  response (status, body, Location) is stored in it before that transaction commits;
- a retry with the same key and the same request gets the stored response back, with
  `Idempotent-Replayed: true`, and nothing is done twice;
- the same key with a different method, path or body is refused (422, idempotency_key_reused).

Concurrent replays: the insert hits the unique constraint (tenant, credential, key). On
PostgreSQL the second insert *waits* on the first transaction's uncommitted index entry; when
the first commits, the second gets IntegrityError and reads the stored response (so exactly one
invoice is created and both callers see it); if the first rolled back (a crash, a 500), the
second's insert succeeds and it does the work itself. A record found without a response (only
possible if a transaction committed without storing one, i.e. never here) answers 409
idempotency_key_in_use rather than doing the work again. Records live 24 hours: an older key
is reusable.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http.request import RawPostDataException
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from api.errors import ApiError
from api.models import IdempotencyRecord

HEADER = "HTTP_IDEMPOTENCY_KEY"
MAX_KEY_LENGTH = 255
LIFETIME = timedelta(hours=24)
REPLAYED_HEADER = "Idempotent-Replayed"
_KEPT_HEADERS = ("Location",)


@dataclass
class Claim:
    """A fresh record this request owns; `store()` writes the response into it."""

    record: IdempotencyRecord

    def store(self, response: Response) -> None:
        data = getattr(response, "data", None)
        self.record.status_code = response.status_code
        self.record.response_body = (
            json.loads(json.dumps(data, cls=JSONEncoder)) if data is not None else None
        )
        self.record.response_headers = {
            name: response[name] for name in _KEPT_HEADERS if response.has_header(name)
        }
        self.record.save(update_fields=["status_code", "response_body", "response_headers"])


def request_hash(request: Request) -> str:
    try:
        body = request._request.body
    except RawPostDataException:  # a form already read by the CSRF check: hash its data
        body = json.dumps(request.data, sort_keys=True, cls=JSONEncoder, default=str).encode()
    digest = hashlib.sha256()
    for part in ((request.method or "").encode(), request.get_full_path().encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def idempotency_key(request: Request) -> str | None:
    if request.method != "POST":
        return None
    key = request.META.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ApiError(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters.",
            status_code=400,
            code="invalid_idempotency_key",
        )
    return key


def _replay(record: IdempotencyRecord) -> Response:
    response = Response(record.response_body, status=record.status_code)
    for name, value in (record.response_headers or {}).items():
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    return response


def begin(request: Request, *, credential: str) -> Claim | Response | None:
    """None: no key. A Claim: do the work, then `claim.store(response)`. A Response: answer it."""
    key = idempotency_key(request)
    if key is None:
        return None
    fingerprint = request_hash(request)
    try:
        with transaction.atomic():  # a savepoint: a conflict must not poison the request's transaction
            record = IdempotencyRecord.objects.create(
                credential=credential, key=key, request_hash=fingerprint
            )
        return Claim(record)
    except IntegrityError:
        pass
    existing = IdempotencyRecord.objects.select_for_update().get(credential=credential, key=key)
    if existing.created_at < timezone.now() - LIFETIME:
        existing.request_hash = fingerprint
        existing.status_code = None
        existing.response_body = None
        existing.response_headers = {}
        existing.created_at = timezone.now()
        existing.save()
        return Claim(existing)
    if existing.request_hash != fingerprint:
        raise ApiError(
            "This Idempotency-Key was already used for a different request: use a new key for new work.",
            status_code=422,
            code="idempotency_key_reused",
        )
    if existing.status_code is None:
        raise ApiError(
            "A request with this Idempotency-Key is still in progress: retry shortly.",
            status_code=409,
            code="idempotency_key_in_use",
        )
    return _replay(existing)
