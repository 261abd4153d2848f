"""The client portal: magic sign-in (single use, short-lived, rate limited), exactly the
client's documents, the statement, and isolation from other clients and workspaces."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.test import Client as HttpClient
from django.utils import timezone

from invoices import services as invoicing
from invoices.models import ClientContact, Payment
from invoices.tests.factories import ClientFactory, TaxRateFactory, line, make_invoice, writer
from quotes.tests.factories import make_quote
from tenants.models import Tenant
from tenants.scoping import tenant_scope
from tenants.tests.factories import TenantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    from django.core.cache import cache

    cache.clear()


def _books(tenant: Tenant, name: str, email: str) -> dict:
    """A client with a contact, an open, a paid and a credited invoice, a payment, a quote."""
    with tenant_scope(tenant):
        actor = writer()
        client = ClientFactory(name=name, language="fr")
        contact = ClientContact.objects.create(
            client=client, name=f"Contact {name}", email=email, is_primary=True
        )
        vat = TaxRateFactory(percentage=Decimal("20"))
        opened = make_invoice(
            actor=actor, client=client, lines=[line("Open", "1", "100.00", tax_rates=[vat])], finalize=True
        )
        paid = make_invoice(actor=actor, client=client, lines=[line("Paid", "1", "50.00")], finalize=True)
        payment = invoicing.payment_record(actor=actor, invoice=paid, amount="50.00")
        credited = make_invoice(
            actor=actor, client=client, lines=[line("Credited", "1", "30.00")], finalize=True
        )
        credit_note = invoicing.credit_note_create(actor=actor, invoice=credited, reason="Wrong")
        quote = make_quote(actor=actor, client=client, vat=vat, send=True)
        draft = make_invoice(actor=actor, client=client, lines=[line("Draft", "1", "10.00")])
    return {
        "tenant": tenant,
        "client": client,
        "contact": contact,
        "open": opened,
        "paid": paid,
        "payment": payment,
        "credited": credited,
        "credit_note": credit_note,
        "quote": quote,
        "draft": draft,
    }


def _link_for(tenant: Tenant, email: str, browser: HttpClient | None = None) -> str:
    browser = browser or HttpClient()
    mail.outbox.clear()
    response = browser.post(f"/portal/w/{tenant.slug}", {"email": email})
    assert response.status_code == 200
    assert 'data-testid="link-sent"' in response.content.decode()
    if not mail.outbox:
        return ""
    found = re.search(r"/portal/sign-in/(\S+)", mail.outbox[-1].body)
    assert found
    return found.group(1)


def _signed_in(tenant: Tenant, email: str) -> HttpClient:
    browser = HttpClient(enforce_csrf_checks=True)
    token = _link_for(tenant, email)
    assert browser.post(f"/portal/sign-in/{token}").status_code == 303
    return browser


def test_a_contact_signs_in_once_and_sees_exactly_their_documents(tenant: Tenant) -> None:
    x = _books(tenant, "Xylo", "ana@xylo.test")
    y = _books(tenant, "Yak", "bob@yak.test")
    browser = HttpClient()
    token = _link_for(tenant, "ANA@xylo.test ", browser)
    assert mail.outbox[-1].to == ["ana@xylo.test"]
    assert "Contact Xylo" in mail.outbox[-1].body
    confirm = browser.get(f"/portal/sign-in/{token}")  # a scanner's GET uses nothing
    assert confirm.status_code == 200
    assert browser.post(f"/portal/sign-in/{token}").status_code == 303
    home = browser.get("/portal/")
    assert home.status_code == 200
    assert home["Content-Language"] == "fr"
    page = home.content.decode()
    assert "Factures à payer" in page  # the client's language
    assert mail.outbox[-1].subject.startswith("Votre lien de connexion")
    for key in ("open", "paid", "credit_note"):
        assert x[key].number in page
        assert y[key].number not in page
    with tenant_scope(tenant):
        x["quote"].refresh_from_db()
        y["quote"].refresh_from_db()
    assert x["quote"].number in page
    assert y["quote"].number not in page
    assert "Draft" not in page
    statement = browser.get("/portal/statement", {"format": "csv", "start": "2020-01-01"})
    rows = list(csv.reader(io.StringIO(statement.content.decode())))
    assert rows[1][-1] == "0.00"  # opening balance
    assert rows[-1][-1] == "120.00"  # 120 open; 50 paid; 30 credited
    assert browser.get("/portal/statement", {"format": "pdf"}).content.startswith(b"%PDF")
    # The link works once: a second use, in any browser, signs nobody in.
    other = HttpClient()
    assert other.post(f"/portal/sign-in/{token}").status_code == 404
    assert other.get(f"/portal/sign-in/{token}").status_code == 404
    assert other.get("/portal/").status_code == 403


def test_a_link_expires_after_15_minutes(tenant: Tenant) -> None:
    _books(tenant, "Xylo", "ana@xylo.test")
    token = _link_for(tenant, "ana@xylo.test")
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert HttpClient().post(f"/portal/sign-in/{token}").status_code == 404


def test_asking_reveals_nobody_and_is_rate_limited(tenant: Tenant) -> None:
    _books(tenant, "Xylo", "ana@xylo.test")
    assert _link_for(tenant, "nobody@xylo.test") == ""  # same page, no email
    assert [bool(_link_for(tenant, "ana@xylo.test")) for _ in range(4)] == [True, True, True, False]


def test_a_contact_never_sees_another_client_or_workspace(tenant: Tenant) -> None:
    x = _books(tenant, "Xylo", "ana@xylo.test")
    y = _books(tenant, "Yak", "bob@yak.test")
    elsewhere = _books(TenantFactory(), "Zed", "ana@xylo.test")  # same email, other workspace
    browser = _signed_in(tenant, "ana@xylo.test")
    assert browser.get(f"/portal/invoices/{x['open'].public_id}").status_code == 200
    assert browser.get(f"/portal/payments/{x['payment'].public_id}/receipt").status_code == 200
    assert browser.get(f"/portal/quotes/{x['quote'].public_id}").status_code == 200
    for other in (y, elsewhere):
        for key in ("open", "paid", "credited", "credit_note", "draft"):
            assert browser.get(f"/portal/invoices/{other[key].public_id}").status_code == 404
        assert browser.get(f"/portal/payments/{other['payment'].public_id}/receipt").status_code == 404
        assert browser.get(f"/portal/quotes/{other['quote'].public_id}").status_code == 404
        response = browser.post(f"/portal/quotes/{other['quote'].public_id}/answer", {"name": "Ana X"})
        assert response.status_code in (403, 404)  # CSRF first, then not found
    assert browser.get(f"/portal/invoices/{x['draft'].public_id}").status_code == 404
    with tenant_scope(elsewhere["tenant"]):
        assert not Payment.objects.filter(invoice__client=x["client"]).exists()


def test_a_contact_accepts_a_quote_in_the_portal(tenant: Tenant) -> None:
    x = _books(tenant, "Xylo", "ana@xylo.test")
    browser = HttpClient()
    token = _link_for(tenant, "ana@xylo.test", browser)
    browser.post(f"/portal/sign-in/{token}")
    response = browser.post(f"/portal/quotes/{x['quote'].public_id}/answer", {"name": "Ana Xylo"})
    assert response.status_code == 303
    with tenant_scope(tenant):
        x["quote"].refresh_from_db()
    assert x["quote"].status == "accepted"
    assert x["quote"].accepted_by_name == "Ana Xylo"


def test_signing_out_ends_the_session(tenant: Tenant) -> None:
    _books(tenant, "Xylo", "ana@xylo.test")
    browser = HttpClient()
    token = _link_for(tenant, "ana@xylo.test", browser)
    browser.post(f"/portal/sign-in/{token}")
    browser.post("/portal/sign-out")
    assert browser.get("/portal/").status_code == 403
