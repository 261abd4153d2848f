"""The send page warns, before sending, when the client's e-invoice format fails its rules for
this invoice (the email would then go with the PDF alone), naming the rules in plain words."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import cache

from documents.tests.einvoice_fixtures import (  # noqa: F401 (fixtures)
    complete_client,
    complete_invoice,
    complete_seller,
    seller_frozen_before_profile,
)
from invoices.tests.factories import ClientFactory, TaxRateFactory, line, make_invoice
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()


def _send_page(client, invoice, **headers) -> str:
    page = client.get(f"/t/acme/invoices/{invoice.public_id}/send/", **headers)
    assert page.status_code == 200
    return page.content.decode()


@pytest.mark.usefixtures("seller_frozen_before_profile")
def test_the_send_page_names_the_failing_rules(tenant, owner_client):
    with tenant_scope(tenant):
        client = ClientFactory(einvoice_format="ubl")
        rate = TaxRateFactory(percentage=Decimal("20"))
        invoice = make_invoice(client=client, lines=[line(tax_rates=[rate])], finalize=True)
    html = _send_page(owner_client, invoice)
    assert 'data-testid="einvoice-warning"' in html
    assert "The client asked for UBL" in html
    assert "the email will go with the PDF alone" in html
    assert "Standard-rated sales need your VAT number." in html
    assert "Fill in: workspace: VAT number" in html

    french = _send_page(owner_client, invoice, HTTP_ACCEPT_LANGUAGE="fr")
    assert "Les ventes au taux normal exigent votre numéro de TVA." in french
    assert "partira avec le PDF seul" in french


@pytest.mark.usefixtures("complete_seller")
def test_no_warning_when_the_einvoice_is_valid_or_none_was_chosen(tenant, owner_client):
    with tenant_scope(tenant):
        valid = complete_invoice(client=complete_client(einvoice_format="ubl"), lines=1)
        unchosen = complete_invoice(client=complete_client(einvoice_format=""), lines=1)
    for invoice in (valid, unchosen):
        html = _send_page(owner_client, invoice)
        assert 'data-testid="send-form"' in html
        assert 'data-testid="einvoice-warning"' not in html
