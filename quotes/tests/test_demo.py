"""The demo workspace (`manage.py seed_demo`) has quotes: one sent and awaiting the client's
answer, one accepted with its deposit invoice. The invoices app adds them without importing
quotes: the quotes app registers them (`invoices.demo.demo_sample_data_register`)."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

from django.core import mail
from django.core.management import call_command
from django.test import Client as HttpClient
from django.urls import reverse

from invoices.models import InvoiceStatus
from quotes.models import BillingKind, Quote, QuoteEventVerb, QuoteStatus
from tenants.models import Tenant, User
from tenants.scoping import tenant_scope


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_the_demo_has_a_sent_quote_and_an_accepted_one_with_its_deposit_invoice(db: None) -> None:
    output = _seed()
    assert "Also 2 quotes (1 sent, 1 accepted with its deposit invoice)." in output
    assert mail.outbox == []  # the demo emails nobody
    tenant = Tenant.objects.get(slug="demo-studio")
    with tenant_scope(tenant):
        quotes = {quote.status: quote for quote in Quote.objects.all()}
        assert set(quotes) == {QuoteStatus.SENT, QuoteStatus.ACCEPTED}
        sent, accepted = quotes[QuoteStatus.SENT], quotes[QuoteStatus.ACCEPTED]
        for quote in (sent, accepted):
            assert quote.number.startswith("QUO-")
            assert quote.total > 0
        assert accepted.accepted_by_name
        assert accepted.events.filter(verb=QuoteEventVerb.ACCEPTED).exists()
        [billing] = accepted.billings.select_related("invoice")
        assert billing.kind == BillingKind.DEPOSIT
        deposit = billing.invoice
        assert deposit.status == InvoiceStatus.OPEN
        assert deposit.number
        assert deposit.client_id == accepted.client_id
        assert deposit.total == (accepted.total * Decimal("0.30")).quantize(Decimal("0.01"))
    # A newcomer clicking through sees them.
    browser = HttpClient()
    browser.force_login(User.objects.get(email="demo@invoiceflow.localhost"))
    page = browser.get(reverse("quote_list", args=[tenant.slug])).content.decode()
    assert sent.number in page
    assert accepted.number in page
    detail = browser.get(reverse("quote_detail", args=[tenant.slug, accepted.public_id])).content.decode()
    assert deposit.number in detail


def test_running_it_again_adds_no_quote(db: None) -> None:
    _seed()
    _seed()
    with tenant_scope(Tenant.objects.get(slug="demo-studio")):
        assert Quote.objects.count() == 2
