"""The mapping of real invoices (made by the services) to the EN 16931 model, and the official
rules run on what it gives."""

from __future__ import annotations

from decimal import Decimal

import pytest

from documents.einvoice_mapping import MappingError, to_einvoice
from documents.render import load_invoice_for_render
from documents.tests.einvoice_fixtures import complete_client, complete_invoice
from einvoicing.generate import build_tree
from einvoicing.model import DocumentType
from einvoicing.syntax import Format
from einvoicing.validation import validate_tree
from invoices import services
from invoices.models import TaxCategory
from invoices.tests.factories import ClientFactory, TaxRateFactory, line, make_invoice, writer

pytestmark = pytest.mark.django_db


def mapped(invoice):
    return to_einvoice(load_invoice_for_render(invoice_pk=invoice.pk))


def fatal_rules(model, fmt):
    return sorted({r.rule_id for r in validate_tree(build_tree(model, fmt), fmt).fatal})


def test_a_complete_invoice_passes_cen_and_peppol(in_tenant, complete_seller):
    invoice = complete_invoice()
    model = mapped(invoice)

    assert model.number == invoice.number
    assert model.seller.name == "Acme Design SARL"
    assert model.seller.vat_id == "FR61954506077"
    assert model.buyer.electronic_address.scheme == "9930"
    assert model.totals.tax_inclusive == invoice.total
    assert model.totals.tax_total == invoice.tax_total
    assert model.totals.payable == invoice.total
    assert model.check_totals() == []
    # Today's invoice discount: one allowance per rate group, reason "Discount" (95).
    assert sum(ac.amount for ac in model.allowances_charges) == Decimal("10.00")
    assert {ac.reason_code for ac in model.allowances_charges} == {"95"}
    assert {line.unit_code for line in model.lines} == {"HUR", "H87"}
    assert model.lines[-1].allowances_charges[0].amount == Decimal("1.05")
    assert model.payment.credit_transfers[0].account_id == "FR7630006000011234567890189"
    for fmt in (Format.UBL, Format.CII, Format.FACTURX):
        assert fatal_rules(model, fmt) == [], fmt


def test_a_credit_note_refers_to_its_invoice(in_tenant, complete_seller):
    invoice = complete_invoice()
    note = services.credit_note_create(actor=writer(), invoice=invoice)
    model = mapped(note)

    assert model.type_code == DocumentType.CREDIT_NOTE
    assert model.preceding_invoices[0].number == invoice.number
    assert model.totals.payable == note.total
    assert fatal_rules(model, Format.UBL) == []
    assert fatal_rules(model, Format.CII) == []


def test_reverse_charge_states_its_exemption_reason(in_tenant, complete_seller):
    reverse = TaxRateFactory(
        name="Reverse charge",
        percentage=Decimal("0"),
        category=TaxCategory.REVERSE_CHARGE,
        exemption_reason="Reverse charge, article 196 of Directive 2006/112/EC",
    )
    invoice = make_invoice(
        client=complete_client(),
        lines=[line("Consulting", "3", "150.00", unit="day", tax_rates=[reverse])],
        finalize=True,
        buyer_reference="PO-9",
    )
    model = mapped(invoice)

    assert model.vat_breakdown[0].category == "AE"
    assert model.vat_breakdown[0].tax_amount == Decimal("0.00")
    assert model.vat_breakdown[0].exemption_reason.startswith("Reverse charge")
    assert fatal_rules(model, Format.UBL) == []


def test_an_incomplete_invoice_maps_and_the_rules_say_what_is_missing(
    in_tenant, seller_frozen_before_profile
):
    client = ClientFactory(tax_id="")
    vat = TaxRateFactory(percentage=Decimal("20"))
    invoice = make_invoice(client=client, lines=[line(tax_rates=[vat])], finalize=True)
    model = mapped(invoice)
    report = validate_tree(build_tree(model, Format.UBL), Format.UBL)

    fatal = {r.rule_id: r for r in report.fatal}
    assert "BR-CO-26" in fatal or "BR-S-02" in fatal  # no VAT id: "Your business needs a VAT number…"
    assert fatal["BR-S-02"].explanation == "Standard-rated sales need your VAT number."
    assert "PEPPOL-EN16931-R003" in fatal  # neither a buyer reference nor an order reference


def test_a_line_with_two_taxes_cannot_be_stated(in_tenant, complete_seller):
    first, second = TaxRateFactory(percentage=Decimal("5")), TaxRateFactory(percentage=Decimal("9.975"))
    invoice = make_invoice(client=complete_client(), lines=[line(tax_rates=[first, second])], finalize=True)
    with pytest.raises(MappingError, match="one VAT rate per line"):
        mapped(invoice)


def test_a_line_without_tax_cannot_be_stated(in_tenant, complete_seller):
    invoice = make_invoice(client=complete_client(), lines=[line()], finalize=True, buyer_reference="X")
    with pytest.raises(MappingError, match="Line 1 has no tax rate") as raised:
        mapped(invoice)
    assert raised.value.field == "line: tax rate"


def test_a_german_public_buyer_gets_a_valid_xrechnung(in_tenant, complete_seller):
    leitweg = "04011000-1234512345-06"
    invoice = complete_invoice(
        client=complete_client(peppol_scheme="0204", peppol_id=leitweg), buyer_reference=leitweg
    )
    model = mapped(invoice)
    assert model.buyer_reference == leitweg
    assert model.seller.contact.name == "Alice Martin"
    assert fatal_rules(model, Format.XRECHNUNG_UBL) == []
    assert fatal_rules(model, Format.XRECHNUNG_CII) == []


def test_the_company_profile_and_bank_account_make_a_valid_einvoice(in_tenant):
    """No patching: the seller's settings, frozen at finalization, are what the e-invoice states."""
    owner = writer()
    services.company_profile_update(
        actor=owner,
        legal_name="Studio Fanny Dupont SARL",
        address_line1="12 rue des Arts",
        postal_code="75003",
        city="Paris",
        country="FR",
        vat_id="FR40303265045",
        registration_scheme="FR:SIREN",
        registration_number="303265045",
        email="billing@dupont.example",
        peppol_scheme="0009",
        peppol_id="30326504500017",
        legal_mentions="SARL au capital de 10 000 €, RCS Paris 303 265 045",
    )
    services.bank_account_create(
        actor=owner, holder_name="Studio Fanny Dupont", currency="EUR", iban="FR7630006000011234567890189"
    )
    invoice = complete_invoice(actor=owner)
    model = mapped(invoice)

    assert model.seller.name == "Studio Fanny Dupont SARL"
    assert model.seller.vat_id == "FR40303265045"
    assert model.seller.legal_registration.value == "303265045"
    assert model.seller.legal_registration.scheme == "0002"  # FR:SIREN as its ISO 6523 ICD
    assert model.seller.address.city == "Paris"
    assert model.seller.electronic_address.scheme == "0009"
    assert model.payment.credit_transfers[0].account_id == "FR7630006000011234567890189"
    assert model.payment.credit_transfers[0].account_name == "Studio Fanny Dupont"
    for fmt in (Format.UBL, Format.CII):
        assert fatal_rules(model, fmt) == [], fmt
