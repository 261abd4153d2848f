""" "Upload and generate": POST the invoice JSON with formats → 202 and a status URL; the PDF
goes through the documents pipeline (queued → ready), 409 until then, 302 to a signed link
after; CSV/XLSX are answered directly; the 5-per-minute PDF limit applies (429 +
Retry-After); another tenant's ids are not found."""

from __future__ import annotations

from decimal import Decimal

import pytest

from api.tests.conftest import key_client
from invoices.models import Client, Invoice
from tenants.models import Role
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db

GENERATE = "/api/v1/invoices/generate/"


def _body(client, formats=("pdf", "csv", "xlsx")):
    return {
        "client": client,
        "currency": "EUR",
        "lines": [{"description": "Design sprint", "quantity": "3", "unit_price": "400.00"}],
        "formats": list(formats),
    }


def test_generate_with_an_inline_client_then_poll_and_download(
    owner_api, tenant, django_capture_on_commit_callbacks
):
    inline = {"name": "Initech GmbH", "emails": ["ap@initech.example"], "currency": "EUR"}
    response = owner_api.post(GENERATE, _body(inline), format="json")
    assert response.status_code == 202, response.content
    answer = response.json()
    assert response["Location"] == answer["status_url"]
    states = {row["format"]: row["status"] for row in answer["formats"]}
    assert states == {"pdf": "queued", "csv": "ready", "xlsx": "ready"}
    with tenant_scope(tenant):
        invoice = Invoice.objects.get(public_id=answer["invoice"])
        assert invoice.client.name == "Initech GmbH"
        assert invoice.total == Decimal("1200.00")
    base = f"/api/v1/invoices/{invoice.public_id}/generation/"
    assert owner_api.get(base + "pdf/").status_code == 409  # queued: not yet
    csv = owner_api.get(base + "csv/")
    assert csv.status_code == 200
    assert csv["Content-Type"].startswith("text/csv")
    assert "Design sprint" in csv.content.decode()
    xlsx = owner_api.get(base + "xlsx/")
    assert xlsx.status_code == 200
    assert xlsx.content[:2] == b"PK"

    # The queued render runs (in-process Celery) once the request's transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        again = owner_api.post(GENERATE, _body(inline, formats=("pdf",)), format="json")
    second = again.json()["invoice"]
    status = owner_api.get(f"/api/v1/invoices/{second}/generation/", {"formats": "pdf"}).json()
    assert status["formats"][0]["status"] == "ready"
    assert status["formats"][0]["download_url"] == f"/api/v1/invoices/{second}/generation/pdf/"
    download = owner_api.get(f"/api/v1/invoices/{second}/generation/pdf/")
    assert download.status_code == 302
    link = owner_api.get(download["Location"])
    assert link.status_code == 200
    assert b"".join(link.streaming_content).startswith(b"%PDF")


def test_generate_with_an_existing_client_and_a_bad_format(owner_api, data):
    ok = owner_api.post(GENERATE, _body(data.client.public_id, formats=("csv",)), format="json")
    assert ok.status_code == 202
    assert [row["format"] for row in ok.json()["formats"]] == ["csv"]
    bad = owner_api.post(GENERATE, _body(data.client.public_id, formats=("docx",)), format="json")
    assert bad.status_code == 400
    assert (
        owner_api.get(f"/api/v1/invoices/{data.draft.public_id}/generation/?formats=gif").status_code == 400
    )


def test_the_pdf_limit_applies_through_the_api(owner_api, data, settings, tenant):
    settings.DOCUMENT_RATE_LIMIT = 2
    for _ in range(2):
        assert owner_api.post(GENERATE, _body(data.client.public_id), format="json").status_code == 202
    with tenant_scope(tenant):
        before = Invoice.objects.count()
    refused = owner_api.post(GENERATE, _body(data.client.public_id), format="json")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    with tenant_scope(tenant):
        assert Invoice.objects.count() == before  # nothing half-done
    # CSV only: no PDF, no limit.
    assert owner_api.post(GENERATE, _body(data.client.public_id, ("csv",)), format="json").status_code == 202


def test_an_api_key_has_its_own_pdf_bucket(tenant, owner_membership, data, settings):
    settings.DOCUMENT_RATE_LIMIT = 1
    api = key_client(tenant, Role.MEMBER)
    assert api.post(GENERATE, _body(data.client.public_id), format="json").status_code == 202
    assert api.post(GENERATE, _body(data.client.public_id), format="json").status_code == 429


def test_viewers_cannot_generate(viewer_api, data):
    assert viewer_api.post(GENERATE, _body(data.client.public_id), format="json").status_code == 403


def test_another_tenants_ids_are_not_found(owner_api, data, other_data, other_tenant):
    response = owner_api.post(GENERATE, _body(other_data.client.public_id), format="json")
    assert response.status_code in (400, 404)
    assert "Globex" not in response.content.decode()
    for suffix in ("", "pdf/", "csv/", "xlsx/"):
        path = f"/api/v1/invoices/{other_data.open_invoice.public_id}/generation/{suffix}"
        answer = owner_api.get(path)
        assert answer.status_code == 404, path
        assert "Globex" not in answer.content.decode()
    with tenant_scope(other_tenant):
        assert Client.objects.count() == 1
