"""The company profile, bank accounts, the seller frozen into finalized invoices, and finalize
refusing what the law of the seller's country still asks for."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from core.errors import ApplicationError
from invoices import services
from invoices.models import BankAccount, CompanyProfile, InvoiceStatus, TaxCategory
from invoices.tests.factories import ClientFactory, TaxRateFactory, line, make_invoice
from tenants.models import Membership, Role, Tenant
from tenants.scoping import tenant_scope
from tenants.tests.factories import MembershipFactory, TenantFactory

pytestmark = pytest.mark.django_db

IBAN_DE = "DE89370400440532013000"


def _bare_workspace(country: str, currency: str = "EUR") -> tuple[Tenant, Membership]:
    """A workspace with no company profile: only its name and country are known."""
    tenant = TenantFactory(country=country, default_currency=currency, company_profile=False)
    return tenant, MembershipFactory(tenant=tenant, role=Role.OWNER)


# --- the profile -------------------------------------------------------------------------------


def test_a_new_workspace_profile_is_its_name_and_country_unsaved() -> None:
    tenant, _owner = _bare_workspace("FR")
    with tenant_scope(tenant):
        profile = services.company_profile_get()
        assert (profile.legal_name, profile.country, profile.pk) == (tenant.name, "FR", None)
        assert not profile.has_address
        assert CompanyProfile.objects.count() == 0


def test_profile_update_compacts_and_checks_ids() -> None:
    tenant, owner = _bare_workspace("FR")
    with tenant_scope(tenant):
        profile = services.company_profile_update(
            actor=owner,
            legal_name="Studio Fanny Dupont SARL",
            address_line1="12 rue des Arts",
            postal_code="75003",
            city="Paris",
            country="FR",
            vat_id="fr 40 303 265 045",
            registration_scheme="FR:SIREN",
            registration_number="303 265 045",
            legal_mentions="SARL au capital de 10 000 € · RCS Paris 303 265 045",
        )
        assert (profile.vat_id, profile.registration_number) == ("FR40303265045", "303265045")
        assert CompanyProfile.objects.get().legal_mentions.startswith("SARL au capital")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"vat_id": "FR40303265046"}, "vat_id"),  # check digits
        ({"registration_scheme": "FR:SIREN", "registration_number": "303265046"}, "registration_number"),
        ({"registration_scheme": "DE:HRN", "registration_number": "Berlin HRB 12345"}, "registration_scheme"),
        ({"registration_number": "303265045"}, "registration_scheme"),
        ({"legal_name": ""}, "legal_name"),
        ({"website": "not a url"}, "website"),
    ],
)
def test_profile_update_refuses_bad_details(fields: dict, field: str) -> None:
    tenant, owner = _bare_workspace("FR")
    with tenant_scope(tenant):
        with pytest.raises(ApplicationError) as error:
            services.company_profile_update(actor=owner, **{"legal_name": "Studio", **fields})
        assert error.value.field == field
        assert CompanyProfile.objects.count() == 0


def test_members_cannot_change_the_profile(tenant: Tenant, member_membership: Membership) -> None:
    with tenant_scope(tenant):
        with pytest.raises(ApplicationError) as error:
            services.company_profile_update(actor=member_membership, legal_name="Mine now")
        assert error.value.code == "forbidden"


# --- bank accounts -----------------------------------------------------------------------------


def test_the_first_account_of_a_currency_is_its_default(tenant: Tenant, owner_membership: Membership) -> None:
    with tenant_scope(tenant):
        first = services.bank_account_create(
            actor=owner_membership, country="DE", currency="eur", iban="de89 3704 0044 0532 0130 00"
        )
        second = services.bank_account_create(
            actor=owner_membership, country="FR", currency="EUR", iban="FR1420041010050500013M02606"
        )
        usd = services.bank_account_create(
            actor=owner_membership,
            country="US",
            currency="USD",
            account_number="123456789",
            routing_code="011000015",
        )
        assert (first.is_default, second.is_default, usd.is_default) == (True, False, True)
        assert first.iban == IBAN_DE
        assert first.display == "DE89 3704 0044 0532 0130 00"
        services.bank_account_set_default(actor=owner_membership, account=second.public_id)
        assert services.default_bank_account("EUR") == second
        assert BankAccount.objects.filter(currency="EUR", is_default=True).count() == 1
        services.bank_account_delete(actor=owner_membership, account=second)
        assert services.default_bank_account("EUR") is None
        assert services.default_bank_account("USD") == usd


def test_the_database_keeps_one_default_per_currency(tenant: Tenant, owner_membership: Membership) -> None:
    with tenant_scope(tenant):
        services.bank_account_create(actor=owner_membership, country="DE", currency="EUR", iban=IBAN_DE)
        with pytest.raises(IntegrityError), transaction.atomic():
            BankAccount.objects.create(
                tenant=tenant, country="DE", currency="EUR", iban=IBAN_DE, is_default=True
            )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"country": "DE", "currency": "EUR", "iban": "DE89370400440532013001"}, "iban"),
        ({"country": "DE", "currency": "EUR", "iban": IBAN_DE, "bic": "BNPAFRPPXXX"}, "bic"),
        (
            {"country": "US", "currency": "USD", "account_number": "123456789", "routing_code": "011000016"},
            "routing_code",
        ),
        ({"country": "DE", "currency": "EUR"}, "iban"),
        ({"country": "DE", "currency": "USD", "iban": IBAN_DE, "payment_means": "58"}, "payment_means"),
    ],
)
def test_bad_bank_accounts_are_refused(
    tenant: Tenant, owner_membership: Membership, fields: dict, field: str
) -> None:
    with tenant_scope(tenant):
        with pytest.raises(ApplicationError) as error:
            services.bank_account_create(actor=owner_membership, **fields)
        assert error.value.field == field
        assert not BankAccount.objects.exists()


def test_another_workspaces_account_is_not_found(
    tenant: Tenant, owner_membership: Membership, other_tenant: Tenant, outsider_membership: Membership
) -> None:
    with tenant_scope(tenant):
        account = services.bank_account_create(
            actor=owner_membership, country="DE", currency="EUR", iban=IBAN_DE
        )
    with tenant_scope(other_tenant):
        with pytest.raises(ApplicationError) as error:
            services.bank_account_delete(actor=outsider_membership, account=account.public_id)
        assert error.value.code == "not_found"
    with tenant_scope(tenant):
        assert BankAccount.objects.count() == 1


# --- frozen at finalization --------------------------------------------------------------------


def test_finalize_freezes_the_profile_and_the_currencys_default_account(
    tenant: Tenant, owner_membership: Membership
) -> None:
    with tenant_scope(tenant):
        services.company_profile_update(
            actor=owner_membership,
            trading_name="Acme",
            email="hello@acme.test",
            legal_mentions="TVA non applicable, art. 293 B du CGI",
        )
        services.bank_account_create(
            actor=owner_membership, country="DE", currency="EUR", iban=IBAN_DE, bic="COBADEFFXXX"
        )
        services.bank_account_create(
            actor=owner_membership,
            country="US",
            currency="USD",
            account_number="123456789",
            routing_code="011000015",
        )
        invoice = make_invoice(actor=owner_membership, finalize=True)
        snapshot = invoice.seller_snapshot
        assert snapshot["legal_name"] == tenant.name
        assert snapshot["address_line1"] == "12 Rue des Arts"
        assert snapshot["tax_id"] == snapshot["vat_id"] == "FR40303265045"
        assert snapshot["legal_mentions"] == "TVA non applicable, art. 293 B du CGI"
        assert (snapshot["iban"], snapshot["bic"]) == (IBAN_DE, "COBADEFFXXX")
        assert snapshot["bank_account"]["currency"] == "EUR"
        # Later changes leave the finalized invoice as it was issued.
        services.company_profile_update(actor=owner_membership, legal_name="Renamed SAS")
        BankAccount.objects.all().delete()
        invoice.refresh_from_db()
        assert invoice.seller_snapshot["legal_name"] == tenant.name
        assert invoice.seller_snapshot["iban"] == IBAN_DE


# --- finalize knows the law --------------------------------------------------------------------


def _finalize_refusal(tenant: Tenant, owner: Membership, **invoice_kwargs) -> ApplicationError:
    with tenant_scope(tenant):
        invoice = make_invoice(actor=owner, **invoice_kwargs)
        with pytest.raises(ApplicationError) as error:
            services.invoice_finalize(actor=owner, invoice=invoice)
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.DRAFT
        assert not invoice.number
        return error.value


def test_an_eu_seller_with_vat_must_state_address_and_vat_number() -> None:
    tenant, owner = _bare_workspace("FR")
    with tenant_scope(tenant):
        vat = TaxRateFactory(name="TVA", percentage=Decimal("20"))
    with translation.override("en"):
        error = _finalize_refusal(tenant, owner, lines=[line(tax_rates=[vat])])
    assert error.code == "legally_incomplete"
    assert list(error.fields) == ["seller.address", "seller.vat_id"]
    assert "Your address" in error.message
    assert "Your VAT number" in error.message


def test_the_buyers_name_address_and_vat_id_are_asked_for_reverse_charge() -> None:
    tenant, owner = _bare_workspace("DE")
    with tenant_scope(tenant):
        services.company_profile_update(
            actor=owner,
            legal_name="Muster GmbH",
            address_line1="Hauptstr. 1",
            postal_code="10115",
            city="Berlin",
            vat_id="DE136695976",
        )
        rc = TaxRateFactory(
            name="Reverse charge",
            percentage=Decimal("0"),
            category=TaxCategory.REVERSE_CHARGE,
            exemption_reason="Reverse charge, art. 196 VAT directive",
        )
        client = ClientFactory(address_line1="", city="", country="FR", tax_id="")
    error = _finalize_refusal(tenant, owner, client=client, lines=[line(tax_rates=[rc])])
    assert list(error.fields) == ["buyer.address", "buyer.vat_id"]


def test_an_exempt_invoice_must_say_why() -> None:
    tenant, owner = _bare_workspace("FR")
    with tenant_scope(tenant):
        services.company_profile_update(
            actor=owner,
            legal_name="Studio",
            address_line1="1 rue A",
            postal_code="75001",
            city="Paris",
            vat_id="FR40303265045",
        )
        exempt = TaxRateFactory(
            name="Exempt", percentage=Decimal("0"), category=TaxCategory.EXEMPT, exemption_reason="x"
        )
        # A reason emptied behind the form's back (the model refuses an empty one).
        type(exempt).objects.filter(pk=exempt.pk).update(exemption_reason="")
    error = _finalize_refusal(tenant, owner, lines=[line(tax_rates=[exempt])])
    assert list(error.fields) == ["exemption_reason.E"]


@pytest.mark.parametrize(
    ("country", "currency", "missing"),
    [
        ("GB", "GBP", ["seller.address", "seller.vat_id"]),
        ("CH", "CHF", ["seller.address", "seller.vat_id"]),
        ("CA", "CAD", ["seller.vat_id"]),
        # US sales tax: who sells, from where; never a VAT id.
        ("US", "USD", ["seller.address"]),
    ],
)
def test_each_covered_country_names_what_is_missing(country: str, currency: str, missing: list[str]) -> None:
    tenant, owner = _bare_workspace(country, currency)
    with tenant_scope(tenant):
        tax = TaxRateFactory(name="Tax", percentage=Decimal("8"))
        client = ClientFactory(currency=currency, country=country)
    error = _finalize_refusal(
        tenant, owner, client=client, lines=[line("Work", "1", "500.00", tax_rates=[tax])]
    )
    assert list(error.fields) == missing


def test_a_us_seller_with_an_address_finalizes_without_a_vat_id() -> None:
    tenant, owner = _bare_workspace("US", "USD")
    with tenant_scope(tenant):
        services.company_profile_update(
            actor=owner,
            legal_name="Studio LLC",
            address_line1="350 Fifth Ave",
            postal_code="10118",
            city="New York",
            region="NY",
        )
        tax = TaxRateFactory(name="NYC sales tax", percentage=Decimal("8.875"))
        client = ClientFactory(currency="USD", country="US")
        invoice = make_invoice(actor=owner, client=client, lines=[line(tax_rates=[tax])], finalize=True)
        assert invoice.status == InvoiceStatus.OPEN
        assert services.invoice_legal_gaps(invoice) == []


def test_new_drafts_take_the_companys_default_notes_and_terms(
    tenant: Tenant, owner_membership: Membership
) -> None:
    with tenant_scope(tenant):
        services.company_profile_update(
            actor=owner_membership, default_notes="Merci !", default_terms="Paiement à 30 jours."
        )
        defaulted = make_invoice(actor=owner_membership)
        own = make_invoice(actor=owner_membership, notes="Just this once")
    assert (defaulted.notes, defaulted.terms) == ("Merci !", "Paiement à 30 jours.")
    assert (own.notes, own.terms) == ("Just this once", "Paiement à 30 jours.")
