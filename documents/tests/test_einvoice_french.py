"""A French user reads why an e-invoice fails in French, even when the verdict was cached by
someone reading English."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import translation

from einvoicing.explanations import explain
from invoices.tests.factories import ClientFactory, TaxRateFactory, line, make_invoice
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()


def test_explanations_follow_the_active_language() -> None:
    assert explain("BR-S-02") == ("Standard-rated sales need your VAT number.", "workspace: VAT number")
    with translation.override("fr"):
        assert explain("BR-S-02") == (
            "Les ventes au taux normal exigent votre numéro de TVA.",
            "espace de travail : numéro de TVA",
        )


def test_a_french_user_sees_the_failing_rule_in_french(tenant, owner_client, seller_frozen_before_profile):
    with tenant_scope(tenant):
        client = ClientFactory()
        rate = TaxRateFactory(percentage=Decimal("20"))
        invoice = make_invoice(client=client, lines=[line(tax_rates=[rate])], finalize=True)
    url = f"/t/acme/documents/invoices/{invoice.public_id}/einvoices/"
    english = owner_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Standard-rated sales need your VAT number." in english

    # The verdict is cached now, worded in English; the French reader still reads French.
    french = owner_client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Les ventes au taux normal exigent votre numéro de TVA." in french
    assert "À renseigner : espace de travail : numéro de TVA" in french
    assert "Standard-rated sales need your VAT number." not in french
