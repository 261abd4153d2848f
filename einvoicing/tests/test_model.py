"""`Invoice.check_totals()` flags each arithmetic rule an inconsistent model breaks."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, replace
from decimal import Decimal

import pytest

from einvoicing.model import Invoice
from einvoicing.tests.matrix import matrix

ONE = Decimal(1)


def _totals(invoice: Invoice, **changes: Decimal) -> Invoice:
    return replace(invoice, totals=replace(invoice.totals, **changes))


def _first_line(invoice: Invoice, **changes: object) -> Invoice:
    return replace(invoice, lines=(replace(invoice.lines[0], **changes), *invoice.lines[1:]))


def _first_breakdown(invoice: Invoice, **changes: object) -> Invoice:
    return replace(
        invoice, vat_breakdown=(replace(invoice.vat_breakdown[0], **changes), *invoice.vat_breakdown[1:])
    )


def _first_allowance(invoice: Invoice, **changes: object) -> Invoice:
    first, *rest = invoice.allowances_charges
    return replace(invoice, allowances_charges=(replace(first, **changes), *rest))


BASE = "document-allowances-charges"
CASES = [
    ("BR-CO-10", lambda i: _totals(i, line_total=i.totals.line_total + ONE)),
    ("BR-CO-11", lambda i: _totals(i, allowance_total=i.totals.allowance_total + ONE)),
    ("BR-CO-12", lambda i: _totals(i, charge_total=i.totals.charge_total + ONE)),
    ("BR-CO-13", lambda i: _totals(i, tax_exclusive=i.totals.tax_exclusive + ONE)),
    ("BR-CO-14", lambda i: _totals(i, tax_total=i.totals.tax_total + ONE)),
    ("BR-CO-15", lambda i: _totals(i, tax_inclusive=i.totals.tax_inclusive + ONE)),
    ("BR-CO-16", lambda i: _totals(i, payable=i.totals.payable + ONE)),
    ("BR-CO-17", lambda i: _first_breakdown(i, tax_amount=i.vat_breakdown[0].tax_amount + 5)),
    ("BR-CO-18", lambda i: replace(i, vat_breakdown=())),
    ("BR-S-08", lambda i: _first_breakdown(i, taxable_amount=i.vat_breakdown[0].taxable_amount + ONE)),
    ("PEPPOL-EN16931-R120", lambda i: _first_line(i, net_amount=i.lines[0].net_amount + ONE)),
    ("PEPPOL-EN16931-R040", lambda i: _first_allowance(i, amount=i.allowances_charges[0].amount + ONE)),
]


@pytest.mark.parametrize(("rule", "break_it"), CASES, ids=[c[0] for c in CASES])
def test_check_totals_names_the_broken_rule(rule: str, break_it) -> None:
    invoice = matrix()[BASE]
    assert invoice.check_totals() == []

    issues = break_it(invoice).check_totals()

    assert rule in {issue.rule for issue in issues}
    assert all(issue.message for issue in issues)


def test_vat_rounding_follows_the_currency() -> None:
    """JPY has no minor unit: ¥10% of 1,234 is ¥123, not ¥123.40, and that is consistent."""
    invoice = matrix()["jpy"]
    assert all(b.tax_amount == b.tax_amount.to_integral_value() for b in invoice.vat_breakdown)
    assert invoice.check_totals() == []


def test_the_model_is_immutable() -> None:
    invoice = matrix()["standard-rate"]
    with pytest.raises(FrozenInstanceError):
        invoice.number = "X"  # type: ignore[misc]
