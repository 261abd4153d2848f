"""The invoice page's e-invoice panel and downloads: members only, valid files only."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import cache

from documents.tests.einvoice_fixtures import complete_invoice
from invoices.tests.factories import ClientFactory, TaxRateFactory, line, make_invoice
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()


def test_panel_offers_the_downloads_of_a_complete_invoice(tenant, owner_client, complete_seller):
    with tenant_scope(tenant):
        invoice = complete_invoice(lines=1)
    page = owner_client.get(f"/t/acme/invoices/{invoice.public_id}/")
    assert b'data-testid="einvoice-box"' in page.content
    panel = owner_client.get(
        f"/t/acme/documents/invoices/{invoice.public_id}/einvoices/", HTTP_HX_REQUEST="true"
    )
    assert panel.status_code == 200
    html = panel.content.decode()
    for fmt in ("ubl", "cii", "facturx"):
        assert f'data-testid="einvoice-download-{fmt}"' in html
    download = owner_client.get(f"/t/acme/documents/invoices/{invoice.public_id}/einvoices/ubl/")
    assert download.status_code == 302
    served = owner_client.get(download["Location"])
    assert served.status_code == 200
    assert b"".join(served.streaming_content).startswith(b"<?xml")


def test_panel_says_which_rule_fails_and_the_download_is_refused(
    tenant, owner_client, seller_frozen_before_profile
):
    with tenant_scope(tenant):
        client = ClientFactory()
        rate = TaxRateFactory(percentage=Decimal("20"))
        invoice = make_invoice(client=client, lines=[line(tax_rates=[rate])], finalize=True)
    panel = owner_client.get(f"/t/acme/documents/invoices/{invoice.public_id}/einvoices/")
    html = panel.content.decode()
    assert "Standard-rated sales need your VAT number." in html
    assert "Fill in: workspace: VAT number" in html
    assert 'data-testid="einvoice-download-ubl"' not in html
    refused = owner_client.get(f"/t/acme/documents/invoices/{invoice.public_id}/einvoices/ubl/", follow=True)
    assert "cannot be produced" in refused.content.decode()


def test_it_validates_ownership(tenant, outsider_client, complete_seller):
    with tenant_scope(tenant):
        invoice = complete_invoice(lines=1)
    for url in (
        f"/t/acme/documents/invoices/{invoice.public_id}/einvoices/",
        f"/t/acme/documents/invoices/{invoice.public_id}/einvoices/ubl/",
        f"/t/globex/documents/invoices/{invoice.public_id}/einvoices/ubl/",
    ):
        assert outsider_client.get(url).status_code == 404
