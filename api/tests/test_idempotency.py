"""Idempotency-Key on POST: replays, conflicts, and concurrent retries creating one invoice."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection
from rest_framework.test import APIClient

from api.models import IdempotencyRecord
from api.tests.conftest import access_token, make_data
from invoices.models import Invoice
from tenants.scoping import tenant_scope


def _payload(data, notes: str = "idempotent") -> dict:
    return {
        "client": data.client.public_id,
        "notes": notes,
        "lines": [{"description": "Work", "quantity": "1", "unit_price": "100"}],
    }


def _count(tenant, notes: str) -> int:
    with tenant_scope(tenant):
        return Invoice.objects.filter(notes=notes).count()


@pytest.mark.django_db
def test_retry_with_the_same_key_replays_the_first_answer(owner_api, data, tenant):
    key = str(uuid.uuid4())
    first = owner_api.post("/api/v1/invoices/", _payload(data), format="json", HTTP_IDEMPOTENCY_KEY=key)
    second = owner_api.post("/api/v1/invoices/", _payload(data), format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    assert second["Location"] == first["Location"]
    assert not first.has_header("Idempotent-Replayed")
    assert _count(tenant, "idempotent") == 1
    # Without a key, the same body is new work.
    owner_api.post("/api/v1/invoices/", _payload(data), format="json")
    assert _count(tenant, "idempotent") == 2


@pytest.mark.django_db
def test_same_key_with_another_body_is_refused(owner_api, data, tenant):
    key = "order-42"
    owner_api.post("/api/v1/invoices/", _payload(data), format="json", HTTP_IDEMPOTENCY_KEY=key)
    other = owner_api.post(
        "/api/v1/invoices/", _payload(data, "changed"), format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert _count(tenant, "changed") == 0


@pytest.mark.django_db
def test_errors_are_replayed_too_and_keys_are_per_credential(owner_api, member_api, data, tenant):
    bad = {
        "client": data.client.public_id,
        "lines": [{"description": "x", "quantity": "1", "unit_price": "1.0000001"}],
    }
    first = owner_api.post("/api/v1/invoices/", bad, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = owner_api.post("/api/v1/invoices/", bad, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == again.status_code == 400
    assert again.json() == first.json()
    # Another user's "k1" is another key.
    other = member_api.post(
        "/api/v1/invoices/", _payload(data, "member"), format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert other.status_code == 201
    assert _count(tenant, "member") == 1
    with tenant_scope(tenant):
        assert IdempotencyRecord.objects.count() == 2


@pytest.mark.django_db
def test_key_too_long_is_a_400(owner_api, data):
    response = owner_api.post(
        "/api/v1/invoices/", _payload(data), format="json", HTTP_IDEMPOTENCY_KEY="x" * 256
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_idempotency_key"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_replays_create_exactly_one_invoice(tenant, owner_membership):
    data = make_data(tenant, prefix="Acme")
    token = access_token(owner_membership)
    threads_count = 8
    barrier = threading.Barrier(threads_count)
    results: list[tuple[int, dict]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def attempt() -> None:
        try:
            api = APIClient()
            api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
            barrier.wait(timeout=10)
            response = api.post(
                "/api/v1/invoices/", _payload(data, "race"), format="json", HTTP_IDEMPOTENCY_KEY="race-key"
            )
            with lock:
                results.append((response.status_code, response.json()))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(results) == threads_count
    assert {status for status, _ in results} == {201}
    assert len({body["id"] for _, body in results}) == 1
    assert _count(tenant, "race") == 1
