"""The quote pages: the workspace's (list, builder, detail, sending, invoicing, PDF) for the
owner, a viewer and an outsider; the client's `/q/<token>` (read, accept, decline, PDF)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client as HttpClient
from django.urls import reverse

from invoices.models import ClientContact, Invoice
from invoices.tests.factories import ClientFactory, TaxRateFactory
from quotes.models import Quote, QuoteEvent, QuoteInvoice, QuoteStatus
from quotes.services import quote_send
from quotes.tests.factories import make_quote
from tenants.models import Membership, Tenant
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


def _url(tenant: Tenant, name: str, *args: str) -> str:
    return reverse(name, args=[tenant.slug, *args])


def _sent_link(
    tenant: Tenant, actor: Membership, django_capture_on_commit_callbacks, **kwargs
) -> tuple[Quote, str]:
    with tenant_scope(tenant):
        client = ClientFactory(name="Boulangerie Martin SARL", language="fr")
        ClientContact.objects.create(
            client=client, name="Paul Martin", email="paul@martin.test", is_primary=True
        )
        quote = make_quote(actor=actor, client=client, vat=TaxRateFactory(percentage=Decimal("20")), **kwargs)
        with django_capture_on_commit_callbacks(execute=True):
            quote = quote_send(actor=actor, quote=quote)
    email = mail.outbox[-1]
    link = re.search(r"https?://\S+/q/(\S+)", email.body)
    assert link, email.body
    return quote, link.group(1)


def test_sending_emails_a_link_that_greets_the_contact_in_their_language(
    tenant: Tenant, owner_membership: Membership, django_capture_on_commit_callbacks
) -> None:
    quote, token = _sent_link(tenant, owner_membership, django_capture_on_commit_callbacks)
    email = mail.outbox[-1]
    assert email.to == ["paul@martin.test"]
    assert email.body.startswith("Bonjour Paul Martin,")  # the client's language: French
    assert email.subject.startswith("Devis QUO-")
    assert len(token) == 43
    with tenant_scope(tenant):
        quote.refresh_from_db()
    assert quote.token_hash
    assert token not in quote.token_hash


def test_the_client_reads_and_accepts_the_quote(
    tenant: Tenant, owner_membership: Membership, django_capture_on_commit_callbacks
) -> None:
    quote, token = _sent_link(tenant, owner_membership, django_capture_on_commit_callbacks)
    browser = HttpClient(REMOTE_ADDR="203.0.113.7")
    page = browser.get(f"/q/{token}")
    assert page.status_code == 200
    assert page["Referrer-Policy"] == "no-referrer"
    assert page["Cache-Control"] == "private, no-store"
    body = page.content.decode()
    assert quote.number in body
    assert "Accepter le devis" in body
    assert re.search(r"1\s?200,00", body)  # in the client's language (French)
    refused = browser.post(f"/q/{token}/answer", {"answer": "accept", "name": "x"})
    assert refused.status_code == 400
    accepted = browser.post(f"/q/{token}/answer", {"answer": "accept", "name": "Paul Martin"})
    assert accepted.status_code == 303
    with tenant_scope(tenant):
        quote.refresh_from_db()
        event = QuoteEvent.objects.get(quote=quote, verb="accepted")
        assert QuoteEvent.objects.filter(quote=quote, verb="viewed").count() == 1
    assert quote.status == QuoteStatus.ACCEPTED
    assert event.data["ip"] == "203.0.113.7"
    assert event.data["name"] == "Paul Martin"
    again = browser.post(f"/q/{token}/answer", {"answer": "decline", "reason": "no"})
    assert again.status_code == 400
    pdf = browser.get(f"/q/{token}/pdf")
    assert pdf.content.startswith(b"%PDF")


def test_the_client_declines_with_a_reason(
    tenant: Tenant, owner_membership: Membership, django_capture_on_commit_callbacks
) -> None:
    quote, token = _sent_link(tenant, owner_membership, django_capture_on_commit_callbacks)
    HttpClient().post(f"/q/{token}/answer", {"answer": "decline", "reason": "Trop cher"})
    with tenant_scope(tenant):
        quote.refresh_from_db()
    assert quote.status == QuoteStatus.DECLINED
    assert quote.decline_reason == "Trop cher"


def test_a_wrong_or_replaced_token_is_a_404(
    tenant: Tenant, owner_membership: Membership, django_capture_on_commit_callbacks
) -> None:
    quote, token = _sent_link(tenant, owner_membership, django_capture_on_commit_callbacks)
    assert HttpClient().get(f"/q/{token[:-1]}x").status_code == 404
    assert HttpClient().get("/q/short").status_code == 404
    with tenant_scope(tenant), django_capture_on_commit_callbacks(execute=True):
        quote_send(actor=owner_membership, quote=quote)  # sent again: a fresh link
    assert HttpClient().get(f"/q/{token}").status_code == 404
    assert HttpClient().post(f"/q/{token}/answer", {"answer": "accept", "name": "Paul"}).status_code == 404


def test_members_build_send_and_invoice_a_quote(
    tenant: Tenant,
    owner_membership: Membership,
    owner_client: HttpClient,
    viewer_client: HttpClient,
    outsider_client: HttpClient,
    django_capture_on_commit_callbacks,
) -> None:
    with tenant_scope(tenant):
        client = ClientFactory(name="Kestrel")
        contact = ClientContact.objects.create(
            client=client, name="Ada", email="ada@kestrel.test", is_primary=True
        )
        vat = TaxRateFactory(percentage=Decimal("20"))
    data = {
        "client": client.public_id,
        "discount_type": "amount",
        "on_accept": "nothing",
        "lines-TOTAL_FORMS": "2",
        "lines-0-description": "Audit",
        "lines-0-quantity": "2",
        "lines-0-unit_price": "500.00",
        "lines-0-tax_rates": [vat.public_id],
        "lines-1-quantity": "1",
    }
    assert viewer_client.post(_url(tenant, "quote_new"), data).status_code == 403
    response = owner_client.post(_url(tenant, "quote_new"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenant_scope(tenant):
        quote = Quote.objects.get()
    assert quote.total == Decimal("1200.00")
    detail = _url(tenant, "quote_detail", quote.public_id)
    assert outsider_client.get(detail).status_code == 404
    assert outsider_client.post(_url(tenant, "quote_send", quote.public_id)).status_code == 404
    page = owner_client.get(detail).content.decode()
    assert "Audit" in page
    assert 'value="' + contact.public_id + '"' in page  # the client's contacts are the "Send to" choices
    assert "Ada &lt;ada@kestrel.test&gt;" in page
    assert "Audit" in viewer_client.get(detail).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(_url(tenant, "quote_send", quote.public_id))
    assert mail.outbox[-1].to == ["ada@kestrel.test"]
    with tenant_scope(tenant):
        Quote.objects.filter(pk=quote.pk).update(status=QuoteStatus.ACCEPTED)
        quote.refresh_from_db()
    assert (
        outsider_client.post(
            _url(tenant, "quote_invoice", quote.public_id, "deposit"), {"percent": "30"}
        ).status_code
        == 404
    )
    made = owner_client.post(_url(tenant, "quote_invoice", quote.public_id, "deposit"), {"percent": "30"})
    assert made.status_code == 302
    with tenant_scope(tenant):
        deposit = QuoteInvoice.objects.get(quote=quote).invoice
    assert deposit.total == Decimal("360.00")
    invoice_page = owner_client.get(_url(tenant, "invoice_detail", deposit.public_id)).content.decode()
    assert 'data-testid="quote-links"' in invoice_page
    assert quote.number in invoice_page
    assert owner_client.get(_url(tenant, "quote_pdf", quote.public_id)).content.startswith(b"%PDF")
    assert outsider_client.get(_url(tenant, "quote_pdf", quote.public_id)).status_code == 404
    assert "Kestrel" in owner_client.get(_url(tenant, "quote_list")).content.decode()
    assert Invoice  # the deposit is an ordinary invoice
