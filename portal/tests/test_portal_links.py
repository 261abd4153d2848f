"""Each portal document page names the invoices linked with it: the deposit and progress
invoices of a quote on the final invoice (and the other way round), the credited invoice on a
credit note, each a link to its own portal page."""

from __future__ import annotations

from decimal import Decimal

import pytest

from invoices import services
from invoices.models import ClientContact
from invoices.tests.factories import ClientFactory, TaxRateFactory, line, writer
from portal.tests.test_client_portal import _signed_in
from quotes import invoicing
from quotes import services as quote_services
from quotes.tests.factories import make_quote
from tenants.models import Tenant
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    from django.core.cache import cache

    cache.clear()


def test_the_final_invoice_and_its_deposit_link_each_other(tenant: Tenant) -> None:
    with tenant_scope(tenant):
        actor = writer()
        client = ClientFactory(language="en")
        ClientContact.objects.create(client=client, name="Paul", email="paul@links.test", is_primary=True)
        vat = TaxRateFactory(percentage=Decimal("20"))
        quote = make_quote(
            actor=actor, client=client, lines=[line("Roof", "1", "1000.00", tax_rates=[vat])], send=True
        )
        quote_services.quote_accept(quote_pk=quote.pk, name="Paul", ip="203.0.113.5")
        deposit = services.invoice_finalize(
            actor=actor, invoice=invoicing.quote_invoice_deposit(actor=actor, quote=quote, percent="30")
        )
        final = services.invoice_finalize(
            actor=actor, invoice=invoicing.quote_invoice_final(actor=actor, quote=quote)
        )
        note = services.credit_note_create(actor=actor, invoice=final, reason="Goodwill")
    browser = _signed_in(tenant, "paul@links.test")
    page = browser.get(f"/portal/invoices/{final.public_id}").content.decode()
    related = page.split('data-testid="linked-invoices"')[1].split("</ul>")[0]
    assert f'href="/portal/invoices/{deposit.public_id}"' in related
    assert "Deposit invoice" in related
    page = browser.get(f"/portal/invoices/{deposit.public_id}").content.decode()
    related = page.split('data-testid="linked-invoices"')[1].split("</ul>")[0]
    assert f'href="/portal/invoices/{final.public_id}"' in related
    assert "Final invoice" in related
    page = browser.get(f"/portal/invoices/{note.public_id}").content.decode()
    assert f'href="/portal/invoices/{final.public_id}"' in page
