"""Clients, tax rates and catalog items: validation, tenancy and archiving."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.errors import ApplicationError
from invoices import services
from invoices.models import CatalogItem, Client, TaxCategory, TaxRate
from invoices.tests.factories import ClientFactory, TaxRateFactory, line, make_invoice, writer
from tenants.models import Role, Tenant
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


def test_client_create_normalizes_and_defaults_to_the_workspace(in_tenant: Tenant) -> None:
    client = services.client_create(
        actor=writer(),
        name="  Initech  ",
        emails="Bill@Initech.example; ap@initech.example, bill@initech.example",
        country="de",
        payment_terms_days="14",
    )
    client.refresh_from_db()
    assert client.name == "Initech"
    assert client.emails == ["bill@initech.example", "ap@initech.example"]
    assert (client.currency, client.language, client.country) == ("EUR", "en", "DE")
    assert client.payment_terms_days == 14
    assert client.public_id.startswith("cli_")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": " "}, "name", "name"),
        ({"emails": []}, "emails", "at least one"),
        ({"emails": ["not-an-email"]}, "emails", "not a valid email"),
        ({"currency": "EURO"}, "currency", "ISO 4217"),
        ({"country": "XX"}, "country", "ISO 3166"),
        ({"payment_terms_days": "soon"}, "payment_terms_days", "number of days"),
        ({"payment_terms_days": 400}, "payment_terms_days", "0 to 365"),
    ],
)
def test_client_create_refuses_bad_input(in_tenant: Tenant, fields: dict, field: str, message: str) -> None:
    values = {"name": "Initech", "emails": ["a@initech.example"], **fields}
    with pytest.raises(ApplicationError) as error:
        services.client_create(actor=writer(), **values)
    assert error.value.field == field
    assert message in error.value.message
    assert not Client.objects.exists()


def test_a_viewer_cannot_write(in_tenant: Tenant) -> None:
    with pytest.raises(ApplicationError) as error:
        services.client_create(actor=writer(Role.VIEWER), name="Initech", emails=["a@initech.example"])
    assert error.value.code == "forbidden"


def test_an_actor_from_another_tenant_is_refused(in_tenant: Tenant, other_tenant: Tenant) -> None:
    with tenant_scope(other_tenant):
        stranger = writer()
    with pytest.raises(ApplicationError, match="not a member"):
        services.client_create(actor=stranger, name="Initech", emails=["a@initech.example"])


def test_client_update_changes_only_given_fields(in_tenant: Tenant) -> None:
    client = ClientFactory(name="Old", notes="keep me")
    services.client_update(actor=writer(), client=client.public_id, name="New", emails=["x@y.example"])
    client.refresh_from_db()
    assert (client.name, client.emails, client.notes) == ("New", ["x@y.example"], "keep me")


def test_another_tenants_client_is_not_found(tenant: Tenant, other_tenant: Tenant) -> None:
    with tenant_scope(other_tenant):
        foreign = ClientFactory(name="Globex client")
    with tenant_scope(tenant):
        actor = writer()
        for call in (
            lambda: services.client_update(actor=actor, client=foreign.public_id, name="Hijacked"),
            lambda: services.client_update(actor=actor, client=foreign, name="Hijacked"),
            lambda: services.client_archive(actor=actor, client=foreign.public_id),
            lambda: services.invoice_create_draft(actor=actor, client=foreign.public_id, lines=[line()]),
        ):
            with pytest.raises(ApplicationError) as error:
                call()
            assert error.value.code == "not_found"
            assert error.value.field == "client"
    with tenant_scope(other_tenant):
        foreign.refresh_from_db()
        assert foreign.name == "Globex client"
        assert foreign.archived_at is None


def test_a_client_with_invoices_is_archived_not_deleted(in_tenant: Tenant) -> None:
    actor = writer()
    invoiced = ClientFactory()
    make_invoice(actor=actor, client=invoiced)
    with pytest.raises(ApplicationError, match="archive it instead"):
        services.client_delete(actor=actor, client=invoiced)
    services.client_archive(actor=actor, client=invoiced)
    invoiced.refresh_from_db()
    assert invoiced.archived_at is not None
    with pytest.raises(ApplicationError, match="archived"):
        services.invoice_create_draft(actor=actor, client=invoiced, lines=[line()])
    services.client_unarchive(actor=actor, client=invoiced)
    services.invoice_create_draft(actor=actor, client=invoiced, lines=[line()])

    never_invoiced = ClientFactory()
    services.client_delete(actor=actor, client=never_invoiced)
    assert not Client.objects.filter(pk=never_invoiced.pk).exists()


# --- tax rates ---------------------------------------------------------------------------------


def test_tax_rate_create(in_tenant: Tenant) -> None:
    rate = services.tax_rate_create(
        actor=writer(), name="TVA", percentage="20", category=TaxCategory.STANDARD
    )
    assert rate.percentage == Decimal(20)
    assert not rate.inclusive


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"percentage": "abc"}, "percentage"),
        ({"percentage": "101"}, "percentage"),
        ({"percentage": "5.12345"}, "percentage"),
        ({"category": "XX"}, "category"),
        ({"category": TaxCategory.EXEMPT, "percentage": "0"}, "exemption_reason"),
        ({"category": TaxCategory.REVERSE_CHARGE, "percentage": "0"}, "exemption_reason"),
        ({"category": TaxCategory.EXEMPT, "percentage": "5", "exemption_reason": "Art. 261"}, "percentage"),
        ({"inclusive": True, "compound": True}, "compound"),
    ],
)
def test_tax_rate_validation(in_tenant: Tenant, fields: dict, field: str) -> None:
    values = {"name": "Tax", "percentage": "10", **fields}
    with pytest.raises(ApplicationError) as error:
        services.tax_rate_create(actor=writer(), **values)
    assert error.value.field == field
    assert not TaxRate.objects.exists()


def test_exempt_rate_with_its_reason(in_tenant: Tenant) -> None:
    rate = services.tax_rate_create(
        actor=writer(),
        name="Reverse charge",
        percentage="0",
        category=TaxCategory.REVERSE_CHARGE,
        exemption_reason="Reverse charge, Art. 196 Directive 2006/112/EC",
    )
    assert rate.category == "AE"


def test_changing_a_rate_recomputes_drafts_but_not_finalized_invoices(in_tenant: Tenant) -> None:
    actor = writer()
    rate = TaxRateFactory(percentage=Decimal(10))
    draft = make_invoice(actor=actor, lines=[line(unit_price="100.00", tax_rates=[rate])])
    final = make_invoice(actor=actor, lines=[line(unit_price="100.00", tax_rates=[rate])], finalize=True)
    services.tax_rate_update(actor=actor, tax_rate=rate, percentage="20")
    draft.refresh_from_db()
    final.refresh_from_db()
    assert draft.total == Decimal("120.00")
    assert final.total == Decimal("110.00")
    assert final.tax_totals.get().percentage == Decimal(10)


# --- catalog -----------------------------------------------------------------------------------


def test_catalog_item_with_default_taxes(in_tenant: Tenant) -> None:
    actor = writer()
    vat = TaxRateFactory()
    item = services.catalog_item_create(
        actor=actor, name="Design hour", unit_price="80", unit="hour", tax_rates=[vat.public_id]
    )
    assert item.unit_price == Decimal("80.00")
    assert list(item.tax_rates.all()) == [vat]
    services.catalog_item_update(actor=actor, item=item, unit_price="85.50", tax_rates=[])
    item.refresh_from_db()
    assert item.unit_price == Decimal("85.50")
    assert not item.tax_rates.exists()


def test_catalog_item_refuses_over_precise_price_and_foreign_rates(
    in_tenant: Tenant, other_tenant: Tenant
) -> None:
    actor = writer()
    with pytest.raises(ApplicationError) as error:
        services.catalog_item_create(actor=actor, name="Yen thing", unit_price="10.5", currency="JPY")
    assert error.value.field == "unit_price"
    with tenant_scope(other_tenant):
        foreign_rate = TaxRateFactory()
    with pytest.raises(ApplicationError) as error:
        services.catalog_item_create(
            actor=actor, name="Item", unit_price="10", tax_rates=[foreign_rate.public_id]
        )
    assert (error.value.field, error.value.code) == ("tax_rates", "not_found")
    assert not CatalogItem.objects.exists()
