"""The proof matrix: every invoice in every format is schema-valid with zero fatal assertions
from every applicable rule set, and reads back into the same model."""

from __future__ import annotations

from dataclasses import replace

import pytest
from lxml import etree

from einvoicing.cii_reader import read_cii
from einvoicing.generate import build_tree, generate_validated
from einvoicing.model import Invoice
from einvoicing.syntax import Format
from einvoicing.tests.matrix import matrix
from einvoicing.ubl_reader import read_ubl
from einvoicing.validation import (
    CEN_CII,
    CEN_UBL,
    FACTURX_EN16931,
    PEPPOL,
    RULE_SETS,
    XRECHNUNG_CII,
    XRECHNUNG_UBL,
    EInvoiceInvalid,
    RuleSet,
    validate_rules,
    validate_tree,
)
from einvoicing.xmlsafe import parse_untrusted_xml

CASES = [(name, fmt) for name in matrix() for fmt in Format]


def test_the_matrix_covers_what_the_issue_asks() -> None:
    invoices = matrix()
    assert len(invoices) >= 20
    categories = {line.vat_category for invoice in invoices.values() for line in invoice.lines}
    assert {"S", "Z", "E", "AE", "K", "G"} <= categories
    assert {invoice.currency for invoice in invoices.values()} >= {"EUR", "JPY", "HUF", "USD"}
    assert any(invoice.is_credit_note for invoice in invoices.values())
    assert any(invoice.totals.prepaid for invoice in invoices.values())
    assert any(invoice.totals.rounding for invoice in invoices.values())
    assert any(len(invoice.lines) >= 1000 for invoice in invoices.values())
    assert any(line.net_price.as_tuple().exponent < -2 for i in invoices.values() for line in i.lines)
    assert any(line.allowances_charges for i in invoices.values() for line in i.lines)
    assert any(i.allowances_charges for i in invoices.values())
    assert any(
        b.exemption_reason_code.startswith("VATEX") for i in invoices.values() for b in i.vat_breakdown
    )


@pytest.mark.parametrize("name", list(matrix()))
def test_fixture_totals_are_consistent(name: str) -> None:
    assert matrix()[name].check_totals() == []


@pytest.mark.parametrize(("name", "fmt"), CASES, ids=[f"{n}-{f}" for n, f in CASES])
def test_valid_in_every_format_and_reads_back(name: str, fmt: Format) -> None:
    invoice = matrix()[name]
    xml, report = generate_validated(invoice, fmt)

    assert report.fatal == [], [f"{r.rule_id}: {r.message}" for r in report.fatal]
    assert report.rule_sets == tuple(rs.label for rs in RULE_SETS[fmt])
    tree = parse_untrusted_xml(xml)
    back = read_ubl(tree) if fmt.syntax == "ubl" else read_cii(tree)
    assert back == invoice


def _broken_payable(invoice: Invoice) -> Invoice:
    return replace(invoice, totals=replace(invoice.totals, payable=invoice.totals.payable + 1))


# Each rule set, alone, catches a mistake it owns: none is silently skipped or mis-wired.
RULE_SET_PROBES = [
    (CEN_UBL, Format.UBL, _broken_payable, "BR-CO-16"),
    (CEN_CII, Format.CII, _broken_payable, "BR-CO-16"),
    (FACTURX_EN16931, Format.FACTURX, _broken_payable, "BR-CO-16"),
    (
        PEPPOL,
        Format.UBL,
        lambda i: replace(i, buyer=replace(i.buyer, electronic_address=None)),
        "PEPPOL-EN16931-R010",
    ),
    (XRECHNUNG_UBL, Format.XRECHNUNG_UBL, lambda i: replace(i, buyer_reference=""), "BR-DE-15"),
    (XRECHNUNG_CII, Format.XRECHNUNG_CII, lambda i: replace(i, buyer_reference=""), "BR-DE-15"),
]


@pytest.mark.parametrize(
    ("rule_set", "fmt", "break_it", "rule_id"), RULE_SET_PROBES, ids=lambda p: getattr(p, "key", None)
)
def test_each_rule_set_runs(rule_set: RuleSet, fmt: Format, break_it, rule_id: str) -> None:
    invoice = matrix()["standard-rate"]
    good = etree.tostring(build_tree(invoice, fmt), encoding="unicode")
    bad = etree.tostring(build_tree(break_it(invoice), fmt), encoding="unicode")

    assert [r for r in validate_rules(good, (rule_set,)) if r.is_fatal] == []
    fatal = [r for r in validate_rules(bad, (rule_set,)) if r.is_fatal]
    assert rule_id in {r.rule_id for r in fatal}
    assert all(r.rule_set == rule_set.label for r in fatal)


def test_a_fatal_assertion_is_never_offered() -> None:
    invoice = matrix()["standard-rate"]
    with pytest.raises(EInvoiceInvalid) as caught:
        generate_validated(
            replace(invoice, seller=replace(invoice.seller, contact=None)), Format.XRECHNUNG_UBL
        )

    fatal = {r.rule_id: r for r in caught.value.report.fatal}
    assert fatal["BR-DE-2"].field == "workspace: contact"
    assert "XRechnung needs your contact details" in str(caught.value)


def test_schema_errors_are_reported_before_the_rules() -> None:
    tree = build_tree(matrix()["standard-rate"], Format.UBL)
    tree.insert(
        0, etree.Element("{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}Bogus")
    )
    report = validate_tree(tree, Format.UBL)

    assert not report.is_valid
    assert {r.rule_id for r in report.fatal} == {"XSD"}
    assert "Bogus" in report.fatal[0].message
