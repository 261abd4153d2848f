"""The client's public invoice page /i/<token>: links, 404s, guessing, headers, viewed, language."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.utils import timezone

from billing.models import PaymentSettings
from billing.tests.payment_fixtures import invoice_with_link, refreshed
from core.ratelimit import memory_limiter
from invoices import services
from invoices.models import EventVerb, InvoiceEvent, InvoiceStatus
from invoices.tests.factories import make_invoice
from portal import views
from portal.models import InvoiceLink, PublicInvoiceLink
from portal.services import (
    invoice_link_issue,
    invoice_link_revoke,
    public_link_lookup,
    token_hash,
)
from tenants.models import Membership, Tenant
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


def _ip() -> str:
    """A fresh client address per test: the rate limiter's log (Redis too) is keyed by it."""
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"


@pytest.fixture
def anon() -> Client:
    return Client(REMOTE_ADDR=_ip())


@pytest.fixture(autouse=True)
def _fresh_limiter() -> None:
    memory_limiter.clear()


@pytest.fixture
def shared(tenant: Tenant, owner_membership: Membership) -> tuple[Any, str]:
    return invoice_with_link(tenant, owner_membership)


def test_the_link_opens_the_invoice_without_login(anon: Client, shared: tuple[Any, str]) -> None:
    invoice, token = shared
    assert len(token) >= 43  # 32 random bytes, URL-safe base64
    response = anon.get(f"/i/{token}")
    assert response.status_code == 200
    body = response.content.decode()
    assert invoice.number in body
    assert 'data-testid="balance-due">€100.00<' in body
    assert "Pay now" not in body  # no Stripe keys in the embedded default


def test_token_is_stored_only_as_its_hash(tenant: Tenant, shared: tuple[Any, str]) -> None:
    _, token = shared
    with tenant_scope(tenant):
        row = PublicInvoiceLink.objects.get()
    assert row.token_hash == token_hash(token) != token
    assert row.tenant == tenant
    with tenant_scope(tenant):
        link = InvoiceLink.objects.get()
    assert token not in str(link.__dict__)
    assert token not in str(row.__dict__)


def test_private_headers_on_every_answer(anon: Client, shared: tuple[Any, str]) -> None:
    _, token = shared
    for path, status in [(f"/i/{token}", 200), ("/i/" + "x" * 43, 404), ("/i/short", 404)]:
        response = anon.get(path)
        assert response.status_code == status
        assert response["Referrer-Policy"] == "no-referrer"
        assert "noindex" in response["X-Robots-Tag"]
        assert "no-store" in response["Cache-Control"]
        assert '<meta name="robots" content="noindex, nofollow">' in response.content.decode()


def test_revoked_expired_tampered_and_foreign_tokens_are_404(
    anon: Client,
    tenant: Tenant,
    other_tenant: Tenant,
    owner_membership: Membership,
    outsider_membership: Membership,
    shared: tuple[Any, str],
) -> None:
    invoice, token = shared
    assert anon.get(f"/i/{token}").status_code == 200
    # Tampered: one character changed.
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert anon.get(f"/i/{tampered}").status_code == 404
    # Revoked by a new link: the old token dies, the new one works.
    with tenant_scope(tenant):
        _, new_token = invoice_link_issue(actor=owner_membership, invoice=invoice)
    assert anon.get(f"/i/{token}").status_code == 404
    assert anon.get(f"/i/{new_token}").status_code == 200
    # Revoked outright.
    with tenant_scope(tenant):
        assert invoice_link_revoke(actor=owner_membership, invoice=invoice) == 1
    assert anon.get(f"/i/{new_token}").status_code == 404
    # Expired.
    with tenant_scope(tenant):
        _, expiring = invoice_link_issue(actor=owner_membership, invoice=invoice)
        InvoiceLink.objects.filter(revoked_at__isnull=True).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    assert anon.get(f"/i/{expiring}").status_code == 404
    # Another tenant's link: an index row naming this tenant but another tenant's link id finds
    # nothing, since the link is then looked up inside this tenant's scope.
    _, foreign_token = invoice_with_link(other_tenant, outsider_membership)
    with tenant_scope(other_tenant):
        row = PublicInvoiceLink.objects.get(token_hash=token_hash(foreign_token))
        # Row-level security will not move a row into another workspace: re-made there instead.
        row.delete()
    forged = secrets.token_urlsafe(32)
    with tenant_scope(tenant):
        PublicInvoiceLink.objects.create(
            token_hash=token_hash(forged), tenant=tenant, link_public_id=row.link_public_id + "x"
        )
        PublicInvoiceLink.objects.create(
            token_hash=row.token_hash, tenant=tenant, link_public_id=row.link_public_id
        )
    assert anon.get(f"/i/{foreign_token}").status_code == 404
    assert anon.get(f"/i/{forged}").status_code == 404


def test_drafts_cannot_be_shared(tenant: Tenant, owner_membership: Membership) -> None:
    from core.errors import ApplicationError

    with tenant_scope(tenant):
        draft = make_invoice(actor=owner_membership)
        with pytest.raises(ApplicationError, match="Finalize"):
            invoice_link_issue(actor=owner_membership, invoice=draft)


def test_viewers_cannot_issue_links(
    tenant: Tenant, viewer_membership: Membership, shared: tuple[Any, str]
) -> None:
    from core.errors import ApplicationError

    invoice, _ = shared
    with tenant_scope(tenant), pytest.raises(ApplicationError):
        invoice_link_issue(actor=viewer_membership, invoice=invoice)


def test_ten_thousand_random_tokens_find_nothing_and_trip_the_rate_limit(
    settings: Any, shared: tuple[Any, str]
) -> None:
    _, real = shared
    # Through the view, as one guesser from one address: a handful of 404s, then 429s only.
    factory = RequestFactory()
    ip = _ip()
    statuses: dict[int, int] = {}
    for _ in range(10_000):
        request = factory.get("/", REMOTE_ADDR=ip)
        request.user = type("Anon", (), {"is_authenticated": False})()
        status = views.public_invoice(request, token=secrets.token_urlsafe(32)).status_code
        statuses[status] = statuses.get(status, 0) + 1
    assert statuses == {404: settings.INVOICE_LINK_RATE_LIMIT, 429: 10_000 - settings.INVOICE_LINK_RATE_LIMIT}
    # Even unthrottled, 10,000 random tokens match no link (the lookup's query, batched), while
    # the real one does.
    guesses = [token_hash(secrets.token_urlsafe(32)) for _ in range(10_000)]
    found = {"guesses": 0, "with the real one": 0}
    for workspace in Tenant.objects.all():  # the index is behind row-level security: each in turn
        with tenant_scope(workspace):
            found["guesses"] += PublicInvoiceLink.objects.filter(token_hash__in=guesses).count()
            with_real = [*guesses, token_hash(real)]
            found["with the real one"] += PublicInvoiceLink.objects.filter(token_hash__in=with_real).count()
    assert found == {"guesses": 0, "with the real one": 1}
    assert public_link_lookup(token=real) is not None


def test_the_limit_is_per_address_and_answers_429_with_retry_after(
    settings: Any, shared: tuple[Any, str]
) -> None:
    settings.INVOICE_LINK_RATE_LIMIT = 3
    _, token = shared
    guesser, client = Client(REMOTE_ADDR=_ip()), Client(REMOTE_ADDR=_ip())
    assert [guesser.get("/i/" + "a" * 43).status_code for _ in range(4)] == [404, 404, 404, 429]
    refused = guesser.get(f"/i/{token}")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert refused["Referrer-Policy"] == "no-referrer"
    assert client.get(f"/i/{token}").status_code == 200


def _views(tenant: Tenant, invoice: Any) -> int:
    with tenant_scope(tenant):
        return InvoiceEvent.objects.filter(invoice=invoice, verb=EventVerb.VIEWED).count()


def test_first_view_by_the_client_is_recorded_once(
    anon: Client, tenant: Tenant, owner_membership: Membership, shared: tuple[Any, str]
) -> None:
    invoice, token = shared
    for _ in range(3):
        assert anon.get(f"/i/{token}").status_code == 200
    assert Client(REMOTE_ADDR=_ip()).get(f"/i/{token}").status_code == 200
    assert _views(tenant, invoice) == 1
    # A new link for the same invoice: still one "viewed" on the timeline.
    with tenant_scope(tenant):
        _, again = invoice_link_issue(actor=owner_membership, invoice=invoice)
    anon.get(f"/i/{again}")
    assert _views(tenant, invoice) == 1


def test_members_opening_the_link_do_not_mark_it_viewed(
    owner_client: Client,
    member_client: Client,
    outsider_client: Client,
    tenant: Tenant,
    shared: tuple[Any, str],
) -> None:
    invoice, token = shared
    assert owner_client.get(f"/i/{token}").status_code == 200
    assert member_client.get(f"/i/{token}").status_code == 200
    assert _views(tenant, invoice) == 0
    # A signed-in user of another workspace is not a member: that is the client's view.
    assert outsider_client.get(f"/i/{token}").status_code == 200
    assert _views(tenant, invoice) == 1


def test_page_speaks_the_clients_language(anon: Client, tenant: Tenant, owner_membership: Membership) -> None:
    _, token = invoice_with_link(tenant, owner_membership, language="fr", amount="1234.50")
    response = anon.get(f"/i/{token}", HTTP_ACCEPT_LANGUAGE="de")
    body = response.content.decode()
    assert response["Content-Language"] == "fr"
    assert '<html lang="fr">' in body
    assert "1\u202f234,50\xa0€" in body  # French grouping and decimal comma


def test_void_invoice_says_so_and_offers_no_payment(
    anon: Client, tenant: Tenant, owner_membership: Membership, shared: tuple[Any, str]
) -> None:
    invoice, token = shared
    with tenant_scope(tenant):
        services.invoice_void(actor=owner_membership, invoice=invoice, reason="Sent by mistake")
    body = anon.get(f"/i/{token}").content.decode()
    assert 'data-testid="void-notice"' in body
    assert "Pay now" not in body
    assert "How to pay" not in body


def test_payment_instructions_and_paid_state(
    anon: Client, tenant: Tenant, owner_membership: Membership, shared: tuple[Any, str]
) -> None:
    invoice, token = shared
    with tenant_scope(tenant):
        PaymentSettings.objects.create(payment_instructions="IBAN FR76 3000 6000 0112 3456 7890 189")
    body = anon.get(f"/i/{token}").content.decode()
    assert "IBAN FR76 3000 6000 0112 3456 7890 189" in body
    assert f"Please quote {invoice.number}" in body
    with tenant_scope(tenant):
        services.payment_record(actor=owner_membership, invoice=invoice, amount="100.00")
    assert refreshed(tenant, invoice).status == InvoiceStatus.PAID
    body = anon.get(f"/i/{token}").content.decode()
    assert 'data-testid="paid-notice"' in body
    assert "How to pay" not in body


def test_pay_without_stripe_keys_is_refused_with_the_page(anon: Client, shared: tuple[Any, str]) -> None:
    _, token = shared
    response = anon.post(f"/i/{token}/pay")
    assert response.status_code == 400
    assert "no Stripe keys" in response.content.decode()
    assert anon.get(f"/i/{token}/pay").status_code == 405


def test_pdf_download_through_a_short_lived_link(
    anon: Client, tenant: Tenant, shared: tuple[Any, str], settings: Any, tmp_path: Any
) -> None:
    from django.core.files.base import ContentFile
    from django.core.files.storage import storages

    from documents.einvoices import storage_key
    from documents.invoice_pdf import facturx_wanted, plain_key
    from documents.models import DocumentStatus, InvoiceDocument
    from einvoicing.syntax import Format

    settings.MEDIA_ROOT = str(tmp_path)
    invoice, token = shared
    assert 'data-testid="pdf-download"' not in anon.get(f"/i/{token}").content.decode()
    assert anon.get(f"/i/{token}/pdf").status_code == 404  # not rendered yet
    with tenant_scope(tenant):
        # Under the key the pipeline uses for this invoice's kind of PDF (Factur-X or plain).
        key = storage_key(invoice, Format.FACTURX) if facturx_wanted(invoice) else plain_key(invoice)
    storages["default"].save(key, ContentFile(b"%PDF-1.7 test"))
    with tenant_scope(tenant):
        InvoiceDocument.objects.create(
            invoice=invoice,
            content_version=invoice.content_version,
            status=DocumentStatus.READY,
            storage_key=key,
        )
    assert f'href="/i/{token}/pdf"' in anon.get(f"/i/{token}").content.decode()
    response = anon.get(f"/i/{token}/pdf")
    assert response.status_code == 302
    assert response["Referrer-Policy"] == "no-referrer"
    assert token not in response["Location"]
    download = anon.get(response["Location"])
    assert b"".join(download.streaming_content) == b"%PDF-1.7 test"
    assert f"{invoice.number}.pdf" in download["Content-Disposition"]
