"""PDF documents end to end in the embedded default: services, task body, pages, downloads,
bulk and exports. Tasks run eagerly after commit (no broker), files go to a media folder."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from defusedxml import ElementTree
from django.urls import reverse
from django.utils import timezone

from core.errors import ApplicationError
from core.ratelimit import memory_limiter
from documents import bulk, services, storage
from documents.exports import LINE_HEADER
from documents.models import BulkJob, BulkJobStatus, DocumentStatus, InvoiceDocument
from documents.render import load_invoice_for_render, render_invoice_html
from documents.tests.pdf_samples import sample_invoice
from invoices import services as invoice_services
from invoices.tests.factories import ClientFactory, line, make_invoice
from tenants.scoping import tenant_scope
from tenants.selectors import user_membership_list
from tenants.tests.fixtures import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager_tasks(monkeypatch):
    """Tasks run in this process after commit, as in the embedded default (even with a broker
    configured): these tests are about the pages and services, test_documents_real.py about
    the worker."""
    from invoiceflow.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, eager_tasks):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.REDIS_URL = ""  # the in-memory rate limiter, emptied per test
    memory_limiter.clear()
    yield
    memory_limiter.clear()


@pytest.fixture
def invoice(tenant, owner_membership):
    with tenant_scope(tenant):
        return sample_invoice(lines=3, actor=owner_membership)


def request_pdf(tenant, membership, invoice, capture) -> InvoiceDocument:
    with capture(execute=True), tenant_scope(tenant):
        document = services.document_request(actor=membership, invoice=invoice.public_id)
    with tenant_scope(tenant):
        return InvoiceDocument.objects.get(pk=document.pk)


# --- services ----------------------------------------------------------------------------------


def test_a_request_is_queued_rendered_and_stored_under_its_derived_key(
    tenant, owner_membership, invoice, django_capture_on_commit_callbacks, settings
):
    with django_capture_on_commit_callbacks() as callbacks, tenant_scope(tenant):
        queued = services.document_request(actor=owner_membership, invoice=invoice.public_id)
        assert queued.status == DocumentStatus.QUEUED
    assert callbacks  # the render is queued only when the transaction commits
    for callback in callbacks:
        callback()
    with tenant_scope(tenant):
        document = InvoiceDocument.objects.get(pk=queued.pk)
    assert document.status == DocumentStatus.READY
    assert document.attempts == 1
    assert document.content_version == invoice.content_version
    # A finalized invoice of a seller in the EU: its PDF is the Factur-X, stored once under
    # the Factur-X e-invoice's key (documents/invoice_pdf.py).
    expected_key = storage.document_storage_key(
        tenant_public_id=tenant.public_id,
        invoice_public_id=invoice.public_id,
        content_version=invoice.content_version,
        format="facturx.pdf",
    )
    assert document.storage_key == expected_key
    assert invoice.public_id not in expected_key  # opaque
    stored = (settings.MEDIA_ROOT / expected_key).read_bytes()
    assert stored.startswith(b"%PDF-")
    assert document.size == len(stored)


def test_an_unchanged_invoice_reuses_its_file_without_counting_toward_the_limit(
    tenant, owner_membership, invoice, django_capture_on_commit_callbacks
):
    first = request_pdf(tenant, owner_membership, invoice, django_capture_on_commit_callbacks)
    for _ in range(8):
        again = request_pdf(tenant, owner_membership, invoice, django_capture_on_commit_callbacks)
        assert again.pk == first.pk
        assert again.status == DocumentStatus.READY
        assert again.attempts == 1  # never rendered again
    # The reuses did not count: five new generations are still allowed.
    with tenant_scope(tenant):
        others = [sample_invoice(lines=1, actor=owner_membership) for _ in range(4)]
    for other in others:
        assert (
            request_pdf(tenant, owner_membership, other, django_capture_on_commit_callbacks).status == "ready"
        )


def test_the_sixth_generation_in_a_minute_is_refused_with_a_friendly_message(
    tenant, owner_membership, member_membership, django_capture_on_commit_callbacks
):
    with tenant_scope(tenant):
        invoices = [make_invoice(actor=owner_membership, lines=[line()]) for _ in range(7)]
    with django_capture_on_commit_callbacks(execute=False), tenant_scope(tenant):
        for invoice in invoices[:5]:
            services.document_request(actor=owner_membership, invoice=invoice)
        with pytest.raises(services.RateLimited) as refused:
            services.document_request(actor=owner_membership, invoice=invoices[5])
        # Another user is not affected.
        services.document_request(actor=member_membership, invoice=invoices[6])
    assert 1 <= refused.value.retry_after <= 60
    assert "Please wait" in refused.value.message
    assert refused.value.code == "rate_limited"
    with tenant_scope(tenant):
        assert not InvoiceDocument.objects.filter(invoice=invoices[5]).exists()


def test_an_edit_makes_a_new_version_and_the_old_file_stays(
    tenant, owner_membership, django_capture_on_commit_callbacks, settings
):
    with tenant_scope(tenant):
        draft = make_invoice(actor=owner_membership, lines=[line("Design", "1", "100.00")])
    first = request_pdf(tenant, owner_membership, draft, django_capture_on_commit_callbacks)
    with tenant_scope(tenant):
        edited = invoice_services.invoice_update_draft(
            actor=owner_membership, invoice=draft.public_id, lines=[line("Design", "2", "100.00")]
        )
    second = request_pdf(tenant, owner_membership, edited, django_capture_on_commit_callbacks)
    assert second.pk != first.pk
    assert second.content_version > first.content_version
    assert second.storage_key != first.storage_key
    assert (settings.MEDIA_ROOT / first.storage_key).exists()
    assert (settings.MEDIA_ROOT / second.storage_key).exists()


def test_drafts_are_rendered_again_when_the_workspace_or_their_client_changes(
    tenant, owner_membership, invoice, django_capture_on_commit_callbacks, settings
):
    from tenants import services as tenant_services

    settings.DOCUMENT_RATE_LIMIT = 100
    with tenant_scope(tenant):
        mine = ClientFactory(name="Globex")
        draft = make_invoice(actor=owner_membership, client=mine, lines=[line()])
        other_draft = make_invoice(actor=owner_membership, lines=[line()])
    finalized = invoice  # prints its snapshot of the workspace and client

    def versions():
        with tenant_scope(tenant):
            return {
                i.pk: type(i).objects.get(pk=i.pk).content_version for i in (draft, other_draft, finalized)
            }

    def documents():
        return {
            i.pk: request_pdf(tenant, owner_membership, i, django_capture_on_commit_callbacks)
            for i in (draft, other_draft, finalized)
        }

    before = documents()
    # A new brand colour: every draft prints it; the finalized invoice keeps its file.
    with tenant_scope(tenant):
        tenant_services.tenant_update_branding(actor=owner_membership, brand_color="#123456")
    after_branding = documents()
    for changed in (draft, other_draft):
        assert after_branding[changed.pk].pk != before[changed.pk].pk
        assert after_branding[changed.pk].storage_key != before[changed.pk].storage_key
    assert after_branding[finalized.pk].pk == before[finalized.pk].pk
    assert after_branding[finalized.pk].attempts == 1  # reused, not rendered again
    with tenant_scope(tenant):
        assert "#123456" in render_invoice_html(load_invoice_for_render(invoice_pk=draft.pk))

    # A client's new address: only that client's drafts.
    version = versions()
    with tenant_scope(tenant):
        invoice_services.client_update(actor=owner_membership, client=mine.public_id, city="Lyon")
    assert versions() == {**version, draft.pk: version[draft.pk] + 1}

    # The workspace's name.
    with tenant_scope(tenant):
        tenant_services.tenant_update(
            actor=owner_membership,
            name="Acme Studio",
            country=tenant.country,
            default_currency=tenant.default_currency,
            locale=tenant.locale,
            time_zone=tenant.time_zone,
        )
    after_rename = versions()
    assert after_rename[finalized.pk] == version[finalized.pk]
    assert after_rename[other_draft.pk] == version[other_draft.pk] + 1


def test_a_request_overtaken_by_an_edit_fails_with_a_reason(
    tenant, owner_membership, django_capture_on_commit_callbacks
):
    with tenant_scope(tenant):
        draft = make_invoice(actor=owner_membership, lines=[line()])
    with django_capture_on_commit_callbacks(execute=False), tenant_scope(tenant):
        queued = services.document_request(actor=owner_membership, invoice=draft)
        invoice_services.invoice_update_draft(
            actor=owner_membership, invoice=draft.public_id, notes="changed"
        )
    assert services.document_process(tenant=tenant, document_id=queued.pk) == "skipped"
    with tenant_scope(tenant):
        document = InvoiceDocument.objects.get(pk=queued.pk)
    assert document.status == DocumentStatus.FAILED
    assert "changed" in document.failure_reason


def test_processing_is_idempotent(tenant, owner_membership, invoice, django_capture_on_commit_callbacks):
    document = request_pdf(tenant, owner_membership, invoice, django_capture_on_commit_callbacks)
    assert services.document_process(tenant=tenant, document_id=document.pk) == "skipped"
    with tenant_scope(tenant):
        assert InvoiceDocument.objects.get(pk=document.pk).attempts == 1


def test_a_broken_render_is_marked_failed_and_can_be_retried(
    tenant, owner_membership, invoice, django_capture_on_commit_callbacks, monkeypatch
):
    def broken(job: object) -> bytes:
        raise ValueError("layout exploded")

    monkeypatch.setattr(services, "render_pdf", broken)
    failed = request_pdf(tenant, owner_membership, invoice, django_capture_on_commit_callbacks)
    assert failed.status == DocumentStatus.FAILED
    assert "could not be rendered" in failed.failure_reason
    monkeypatch.undo()
    retried = request_pdf(tenant, owner_membership, invoice, django_capture_on_commit_callbacks)
    assert retried.pk == failed.pk
    assert retried.status == DocumentStatus.READY
    assert retried.failure_reason == ""


def test_a_storage_outage_is_reported_readably(
    tenant, owner_membership, invoice, django_capture_on_commit_callbacks, monkeypatch
):
    calls = []

    def unavailable(key: str, content: bytes) -> None:
        calls.append(key)
        raise ConnectionError("storage down")

    monkeypatch.setattr(storage, "store_exact", unavailable)
    document = request_pdf(tenant, owner_membership, invoice, django_capture_on_commit_callbacks)
    # In-process (no broker) there is nothing to wait in: reported at once. A worker retries
    # with backoff first (documents/tasks.py).
    assert len(calls) == 1
    assert document.status == DocumentStatus.FAILED
    assert "storage unavailable" in document.failure_reason


def test_a_worker_retries_a_storage_outage_with_backoff(tenant, owner_membership, invoice, monkeypatch):
    from celery.exceptions import Retry

    from documents import tasks

    with tenant_scope(tenant):
        document = InvoiceDocument.objects.create(
            invoice=invoice, content_version=invoice.content_version, storage_key="documents/x.pdf"
        )
    monkeypatch.setattr(storage, "store_exact", lambda key, content: (_ for _ in ()).throw(OSError("down")))
    countdowns = []

    def fake_retry(*, exc, countdown, max_retries):
        countdowns.append(countdown)
        return Retry(exc=exc, when=countdown)

    monkeypatch.setattr(tasks.render_document, "retry", fake_retry)
    tasks.render_document.push_request(retries=2, is_eager=False)
    try:
        with pytest.raises(Retry):
            tasks.render_document.run(tenant_id=tenant.pk, document_id=document.pk)
    finally:
        tasks.render_document.pop_request()
    assert countdowns == [8]
    with tenant_scope(tenant):
        assert InvoiceDocument.objects.get(pk=document.pk).status == DocumentStatus.PROCESSING
    tasks.render_document.push_request(retries=tasks.MAX_RETRIES, is_eager=False)
    try:
        assert tasks.render_document.run(tenant_id=tenant.pk, document_id=document.pk) == "failed"
    finally:
        tasks.render_document.pop_request()
    with tenant_scope(tenant):
        assert InvoiceDocument.objects.get(pk=document.pk).status == DocumentStatus.FAILED


def test_another_tenants_invoice_cannot_be_requested(
    tenant, other_tenant, owner_membership, outsider_membership, invoice
):
    with tenant_scope(other_tenant), pytest.raises(ApplicationError):
        services.document_request(actor=outsider_membership, invoice=invoice.public_id)
    with tenant_scope(tenant), pytest.raises(ApplicationError):
        services.document_request(actor=outsider_membership, invoice=invoice.public_id)


# --- pages -------------------------------------------------------------------------------------


def test_generate_answers_at_once_and_the_download_redirects_to_a_short_lived_link(
    tenant, owner, invoice, django_capture_on_commit_callbacks
):
    client = client_for(owner)
    url = reverse("document_generate", args=[tenant.slug, invoice.public_id])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, HTTP_ACCEPT="application/json")
    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    status = client.get(reverse("document_status", args=[tenant.slug]), {"invoice": invoice.public_id}).json()
    (document,) = status["documents"]
    assert document["status"] == "ready"
    download = client.get(document["download_url"])
    assert download.status_code == 302
    link = download["Location"]
    assert "documents/" not in link  # the storage key is never shown
    assert document["document"] not in link
    served = client.get(link)
    assert served.status_code == 200
    assert served["Content-Disposition"] == f'attachment; filename="{invoice.number}.pdf"'
    assert b"".join(served.streaming_content).startswith(b"%PDF-")


def test_the_detail_page_shows_the_document_box_and_the_list_its_badges(tenant, owner, invoice):
    client = client_for(owner)
    page = client.get(reverse("invoice_detail", args=[tenant.slug, invoice.public_id])).content.decode()
    assert 'data-testid="document-box"' in page
    assert 'id="documents-live"' in page
    assert f'data-socket-path="/ws/t/{tenant.slug}/documents/"' in page
    listing = client.get(reverse("invoice_list", args=[tenant.slug])).content.decode()
    assert f'value="{invoice.public_id}" form="bulk-documents"' in listing
    assert 'id="bulk-documents"' in listing
    assert listing.count('id="documents-live"') == 1


def test_the_sixth_click_gets_a_429_with_retry_after(tenant, owner, owner_membership):
    with tenant_scope(tenant):
        invoices = [make_invoice(actor=owner_membership, lines=[line()]) for _ in range(6)]
    client = client_for(owner)
    codes = []
    for invoice in invoices:
        response = client.post(
            reverse("document_generate", args=[tenant.slug, invoice.public_id]),
            HTTP_ACCEPT="application/json",
        )
        codes.append(response.status_code)
    assert codes == [202] * 5 + [429]
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "Please wait" in response.json()["error"]
    # Without JS: the same message as a flash on the invoice page.
    page = client.post(reverse("document_generate", args=[tenant.slug, invoices[5].public_id]), follow=True)
    assert "Please wait" in page.content.decode()


def test_an_outsider_gets_404_and_never_a_link(
    tenant, outsider, owner, invoice, django_capture_on_commit_callbacks
):
    owner_client = client_for(owner)
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("document_generate", args=[tenant.slug, invoice.public_id]))
    with tenant_scope(tenant):
        document = InvoiceDocument.objects.get(invoice=invoice)
    outsider_client = client_for(outsider)
    (outsiders_own,) = user_membership_list(user=outsider)
    other_slug = outsiders_own.tenant.slug
    for slug in (tenant.slug, other_slug):
        download = outsider_client.get(reverse("document_download", args=[slug, document.public_id]))
        assert download.status_code == 404
        assert "Location" not in download
        generate = outsider_client.post(reverse("document_generate", args=[slug, invoice.public_id]))
        assert generate.status_code == 404
        status = outsider_client.get(reverse("document_status", args=[slug]), {"invoice": invoice.public_id})
        assert status.status_code == 404 or status.json()["documents"] == []
        export = outsider_client.get(reverse("invoice_export", args=[slug, invoice.public_id, "csv"]))
        assert export.status_code == 404


def test_the_web_preview_is_the_pdfs_html_under_a_strict_policy(tenant, owner, outsider, invoice):
    response = client_for(owner).get(reverse("document_preview", args=[tenant.slug, invoice.public_id]))
    assert response.status_code == 200
    html = response.content.decode()
    assert invoice.number in html
    assert "css/invoice-pdf.css" in html
    assert "css/invoice-pdf-screen.css" in html
    policy = response["Content-Security-Policy"]
    style_src = next(part for part in policy.split(";") if part.strip().startswith("style-src"))
    nonce = style_src.split("'nonce-")[1].split("'")[0]
    assert f'<style nonce="{nonce}">' in html
    assert "unsafe-inline" not in policy
    outsider_client = client_for(outsider)
    assert (
        outsider_client.get(reverse("document_preview", args=[tenant.slug, invoice.public_id])).status_code
        == 404
    )


def test_the_preview_is_the_print_template_with_a_toolbar_the_pdf_never_has(
    tenant, owner_membership, member, outsider, invoice, django_capture_on_commit_callbacks
):
    url = reverse("document_preview", args=[tenant.slug, invoice.public_id])
    member_client = client_for(member)
    page = member_client.get(url).content.decode()
    # The print template's own markup, as the PDF is made from it...
    assert '<table class="lines">' in page
    assert "@page { size: A4;" in page
    assert '<p class="doc-number">' + invoice.number + "</p>" in page
    # ...with a toolbar: back to the invoice, Print (a static script's handler: strict CSP).
    ElementTree.fromstring(page)  # still well-formed XHTML with the toolbar in
    assert 'data-testid="preview-toolbar"' in page
    assert f'href="{reverse("invoice_detail", args=[tenant.slug, invoice.public_id])}"' in page
    assert 'data-print="data-print"' in page
    assert 'js/invoices.js" defer="defer"></script>' in page
    assert "preview-download" not in page  # no PDF of this version yet...
    generate = reverse("document_generate", args=[tenant.slug, invoice.public_id])
    assert f'action="{generate}"' in page  # ...but a Generate PDF button, a signed form
    csrf_client = client_for(member, enforce_csrf_checks=True)
    page = csrf_client.get(url).content.decode()
    token = ElementTree.fromstring(page).find(".//{*}input[@name='csrfmiddlewaretoken']").get("value")
    with django_capture_on_commit_callbacks(execute=True):
        answer = csrf_client.post(generate, {"csrfmiddlewaretoken": token})
    # To the invoice page, where the document box follows the status live.
    assert answer.status_code == 302
    assert answer["Location"] == reverse("invoice_detail", args=[tenant.slug, invoice.public_id])
    with tenant_scope(tenant):
        document = InvoiceDocument.objects.get(invoice=invoice)
    assert document.status == DocumentStatus.READY
    page = member_client.get(url).content.decode()
    download = reverse("document_download", args=[tenant.slug, document.public_id])
    assert f'href="{download}" data-testid="preview-download">Download PDF<' in page
    assert "preview-generate" not in page
    # The PDF's HTML has none of it.
    with tenant_scope(tenant):
        pdf_html = render_invoice_html(load_invoice_for_render(invoice_pk=invoice.pk))
    for screen_only in ("preview-toolbar", "<nav", "<script", "invoice-pdf-screen.css"):
        assert screen_only not in pdf_html
    assert client_for(outsider).get(url).status_code == 404


def test_the_old_preview_address_sends_members_to_the_pdf_preview(tenant, member, outsider, invoice):
    old = reverse("invoice_preview", args=[tenant.slug, invoice.public_id])
    response = client_for(member).get(old)
    assert response.status_code == 302
    assert response.url == reverse("document_preview", args=[tenant.slug, invoice.public_id])
    assert client_for(outsider).get(old).status_code == 404


def test_anonymous_users_are_sent_to_sign_in(tenant, invoice):
    from django.test import Client

    response = Client().get(reverse("document_status", args=[tenant.slug]))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_tampered_or_expired_local_link_is_refused(
    tenant, owner, invoice, django_capture_on_commit_callbacks, time_machine
):
    client = client_for(owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("document_generate", args=[tenant.slug, invoice.public_id]))
    with tenant_scope(tenant):
        document = InvoiceDocument.objects.get(invoice=invoice)
    link = client.get(reverse("document_download", args=[tenant.slug, document.public_id]))["Location"]
    path = urlsplit(link).path
    token = path.rstrip("/").rsplit("/", 1)[1]
    tampered = path.replace(token, token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB"))
    assert client.get(tampered).status_code == 404
    time_machine.move_to(timezone.now() + timedelta(seconds=301))
    assert client.get(path).status_code == 404


# --- bulk ---------------------------------------------------------------------------------------


def test_bulk_generate_counts_every_invoice_and_reuses_stored_files(
    tenant, owner, owner_membership, django_capture_on_commit_callbacks
):
    with tenant_scope(tenant):
        invoices = [sample_invoice(lines=2, actor=owner_membership) for _ in range(4)]
    already = request_pdf(tenant, owner_membership, invoices[0], django_capture_on_commit_callbacks)
    client = client_for(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("bulk_documents", args=[tenant.slug]),
            {"action": "generate", "invoices": [invoice.public_id for invoice in invoices]},
            HTTP_ACCEPT="application/json",
        )
    assert response.status_code == 202
    job_id = response.json()["job"]
    status = client.get(reverse("document_status", args=[tenant.slug]), {"job": job_id}).json()
    (job,) = status["jobs"]
    assert (job["total"], job["done"], job["failed"], job["status"]) == (4, 4, 0, "ready")
    with tenant_scope(tenant):
        assert InvoiceDocument.objects.get(pk=already.pk).attempts == 1  # reused, not re-rendered
        assert InvoiceDocument.objects.filter(status=DocumentStatus.READY).count() == 4


@pytest.mark.parametrize("count", [3, 30])
def test_a_bulk_request_takes_the_same_queries_for_3_or_30_invoices(
    count, tenant, owner_membership, django_capture_on_commit_callbacks, settings
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with tenant_scope(tenant):
        invoices = [make_invoice(actor=owner_membership, lines=[line()]) for _ in range(count)]
        failed = invoices[0]  # one asked before and failed: queued again, on its own
    request_pdf(tenant, owner_membership, failed, django_capture_on_commit_callbacks)
    with tenant_scope(tenant):
        InvoiceDocument.objects.filter(invoice=failed).update(status=DocumentStatus.FAILED)
    with (
        django_capture_on_commit_callbacks(execute=False) as queued,
        tenant_scope(tenant),
        CaptureQueriesContext(connection) as queries,
    ):
        job = bulk.bulk_generate(actor=owner_membership, invoices=[i.public_id for i in invoices])
    # The selection, the job, current documents, one INSERT for the new ones, the failed one's
    # re-queue, the items, the count: not a query per invoice.
    assert len(queries) <= 16, [q["sql"][:80] for q in queries]
    assert len(queued) == count + 1  # every render, and the job's progress message
    with tenant_scope(tenant):
        assert job.items.count() == count
        assert set(InvoiceDocument.objects.values_list("status", flat=True)) == {DocumentStatus.QUEUED}
        assert InvoiceDocument.objects.count() == count


def test_a_bulk_request_racing_another_for_the_same_invoice_uses_its_document(
    tenant, owner_membership, django_capture_on_commit_callbacks, monkeypatch
):
    with tenant_scope(tenant):
        invoices = [make_invoice(actor=owner_membership, lines=[line()]) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=False), tenant_scope(tenant):
        theirs = services.document_request(actor=owner_membership, invoice=invoices[1].public_id)
    # This request read the documents before the other one committed: it sees none.
    monkeypatch.setattr(bulk, "current_documents_of", lambda *args, **kwargs: {})
    with django_capture_on_commit_callbacks(execute=False) as queued, tenant_scope(tenant):
        job = bulk.bulk_generate(actor=owner_membership, invoices=[i.public_id for i in invoices])
    with tenant_scope(tenant):
        documents = {item.invoice_id: item.document_id for item in job.items.all()}
        assert documents[invoices[1].pk] == theirs.pk  # theirs, not a second row
        assert InvoiceDocument.objects.count() == 3
    # One at a time after the failed INSERT: each invoice's render queued once, and progress.
    assert len(queued) == 3 + 1


def test_bulk_zip_holds_one_pdf_per_invoice(
    tenant, owner, owner_membership, django_capture_on_commit_callbacks
):
    with tenant_scope(tenant):
        invoices = [sample_invoice(lines=2, actor=owner_membership) for _ in range(3)]
        draft = make_invoice(actor=owner_membership, lines=[line()])
    client = client_for(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("bulk_documents", args=[tenant.slug]),
            {"action": "zip", "invoices": [invoice.public_id for invoice in [*invoices, draft]]},
        )
    assert response.status_code == 302
    with tenant_scope(tenant):
        job = BulkJob.objects.get()
    assert job.status == BulkJobStatus.READY
    assert job.done == 4
    link = client.get(reverse("bulk_job_download", args=[tenant.slug, job.public_id]))["Location"]
    served = client.get(link)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(served.streaming_content)))
    names = sorted(archive.namelist())
    assert names == sorted(
        [*(f"{invoice.number}.pdf" for invoice in invoices), f"draft-{draft.public_id}.pdf"]
    )
    assert all(archive.read(name).startswith(b"%PDF-") for name in names)


def test_bulk_refuses_another_tenants_invoices(tenant, other_tenant, owner, outsider_membership):
    with tenant_scope(other_tenant):
        theirs = make_invoice(actor=outsider_membership, lines=[line()])
    response = client_for(owner).post(
        reverse("bulk_documents", args=[tenant.slug]),
        {"action": "generate", "invoices": [theirs.public_id]},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400
    with tenant_scope(tenant):
        assert not BulkJob.objects.exists()


# --- exports ------------------------------------------------------------------------------------


def test_one_invoice_exports_header_and_lines_with_formulas_neutralised(tenant, owner, owner_membership):
    with tenant_scope(tenant):
        evil = ClientFactory(name='=HYPERLINK("http://evil.example","click")')
        invoice = make_invoice(
            actor=owner_membership,
            client=evil,
            lines=[line("+cmd|' /C calc'!A0", "2", "10.00"), line("@SUM(A1:A2)", "1", "5.00")],
        )
    client = client_for(owner)
    text = client.get(
        reverse("invoice_export", args=[tenant.slug, invoice.public_id, "csv"])
    ).content.decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert ["Client", '\'=HYPERLINK("http://evil.example","click")'] in rows
    descriptions = [row[1] for row in rows[rows.index(LINE_HEADER) + 1 :]]
    assert descriptions == ["'+cmd|' /C calc'!A0", "'@SUM(A1:A2)"]
    assert ["Total", "25.00"] in rows
    from openpyxl import load_workbook

    response = client.get(reverse("invoice_export", args=[tenant.slug, invoice.public_id, "xlsx"]))
    assert response["Content-Disposition"] == f'attachment; filename="draft-{invoice.public_id}.xlsx"'
    workbook = load_workbook(io.BytesIO(response.content))
    header = {row[0]: row[1] for row in workbook["Invoice"].iter_rows(values_only=True)}
    assert header["Client"].startswith("'=")
    assert header["Total"] == 25
    lines = list(workbook["Lines"].iter_rows(values_only=True))
    assert lines[1][1] == "'+cmd|' /C calc'!A0"
    assert lines[1][2] == 2
    for row in workbook["Lines"].iter_rows():
        for cell in row:
            assert cell.data_type != "f"


def test_the_list_export_follows_the_current_filter(tenant, owner, owner_membership):
    with tenant_scope(tenant):
        paid_client = ClientFactory(name="Filtered Out GmbH")
        kept = make_invoice(actor=owner_membership, lines=[line("A", "1", "10.00")], finalize=True)
        other = make_invoice(actor=owner_membership, client=paid_client, lines=[line()], finalize=True)
        invoice_services.payment_record(actor=owner_membership, invoice=other, amount=Decimal("100.00"))
    client = client_for(owner)
    response = client.get(reverse("invoice_list_export", args=[tenant.slug, "csv"]), {"status": "open"})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    numbers = [row[0] for row in rows[1:]]
    assert numbers == [kept.number]
    everything = client.get(reverse("invoice_list_export", args=[tenant.slug, "csv"])).content.decode()
    assert other.number in everything
