"""Invoice totals: worked examples, the defects the EN 16931 engine fixed, and its rules."""

from __future__ import annotations

from decimal import Decimal

import pytest

from invoices.calculation import (
    AllowanceCharge,
    CalculationError,
    LineInput,
    RateInput,
    Totals,
    calculate,
    discount,
)
from invoices.money import quantize_money

D = Decimal
VAT20 = RateInput(key="vat20", percentage=D(20))


def taxes(totals: Totals) -> dict[object, tuple[Decimal, Decimal]]:
    return {tax.rate.key: (tax.taxable_base, tax.tax_amount) for tax in totals.taxes}


# --- worked examples ---------------------------------------------------------------------------


def test_line_net_is_quantity_times_price_minus_discount_rounded() -> None:
    totals = calculate([LineInput(D("1.5"), D("33.33"), D("0.50"))], "EUR")
    assert totals.line_amounts == (D("49.50"),)  # 49.995 - 0.50 = 49.495 -> 49.50 (half up)


def test_tax_is_computed_on_the_sum_of_the_lines_not_per_line() -> None:
    # Per line, 10.04 x 7.5 % = 0.753 -> 0.75, three times 2.25. EN 16931 taxes the sum:
    # 30.12 x 7.5 % = 2.259 -> 2.26.
    rate = RateInput(key="r", percentage=D("7.5"))
    totals = calculate([LineInput(D(1), D("10.04"), rates=(rate,))] * 3, "EUR")
    assert taxes(totals) == {"r": (D("30.12"), D("2.26"))}
    assert totals.total == D("32.38")


def test_inclusive_rate_is_extracted_from_the_gross() -> None:
    rate = RateInput(key="incl", percentage=D(20), inclusive=True)
    totals = calculate([LineInput(D(1), D("120.00"), rates=(rate,))], "EUR")
    assert taxes(totals) == {"incl": (D("100.00"), D("20.00"))}
    assert (totals.subtotal, totals.tax_total, totals.total) == (D("120.00"), D("20.00"), D("120.00"))
    assert totals.tax_exclusive_amount == D("100.00")


def test_compound_rate_applies_on_top_of_the_other_taxes() -> None:
    gst = RateInput(key="gst", percentage=D(5))
    qst = RateInput(key="qst", percentage=D("9.975"), compound=True)
    totals = calculate([LineInput(D(1), D("100.00"), rates=(gst, qst))], "CAD")
    # QST base = 100 + 5 (GST) = 105; 105 x 9.975 % = 10.47375 -> 10.47
    assert taxes(totals) == {"gst": (D("100.00"), D("5.00")), "qst": (D("105.00"), D("10.47"))}
    assert totals.total == D("115.47")


def test_invoice_discount_is_allocated_across_rate_groups() -> None:
    exempt_line = LineInput(D(1), D("50.00"))
    taxed_line = LineInput(D(1), D("100.00"), rates=(VAT20,))
    totals = calculate([taxed_line, exempt_line], "EUR", discount_amount=D("30.00"))
    # The taxed group carries 100/150 of the discount: its base is 100 - 20 = 80.
    assert taxes(totals) == {"vat20": (D("80.00"), D("16.00"))}
    assert totals.total == D("136.00")  # 150 - 30 + 16


def test_percentage_discount_is_rounded_once() -> None:
    totals = calculate([LineInput(D(1), D("99.99"), rates=(VAT20,))], "EUR", discount_percent=D("10"))
    assert totals.discount == D("10.00")  # 9.999 -> 10.00
    assert totals.total == D("107.99")  # 89.99 + 18.00 (17.998)


def test_zero_and_three_decimal_currencies() -> None:
    jpy_vat = RateInput(key="jp", percentage=D(10))
    totals = calculate([LineInput(D(3), D(333), rates=(jpy_vat,))], "JPY")
    assert (totals.subtotal, totals.tax_total, totals.total) == (D(999), D(100), D(1099))  # 99.9 -> 100
    assert totals.total.as_tuple().exponent == 0

    kwd = RateInput(key="kw", percentage=D(5))
    totals = calculate([LineInput(D("0.5"), D("1.005"), rates=(kwd,))], "KWD")
    assert totals.line_amounts == (D("0.503"),)  # 0.5025 -> 0.503
    assert taxes(totals) == {"kw": (D("0.503"), D("0.025"))}  # 0.02515 -> 0.025
    assert totals.total == D("0.528")

    bhd = RateInput(key="bh", percentage=D(10))
    totals = calculate([LineInput(D(1), D("0.125"), rates=(bhd,))], "BHD")
    assert totals.tax_total == D("0.013")  # 0.0125 -> 0.013, half up


def test_a_discount_larger_than_the_line_is_refused() -> None:
    with pytest.raises(CalculationError) as error:
        calculate([LineInput(D(1), D(10), D(11))], "EUR")
    assert (error.value.field, error.value.index) == ("discount", 0)
    with pytest.raises(CalculationError):
        calculate([LineInput(D(1), D(10))], "EUR", discount_amount=D("10.01"))


def test_floats_are_refused_everywhere() -> None:
    with pytest.raises(TypeError):
        LineInput(1.5, D(1))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        LineInput(D(1), D(1), 0.1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        RateInput(key="x", percentage=20.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        calculate([LineInput(D(1), D(1))], "EUR", discount_amount=0.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        calculate([LineInput(D(1), D(1))], "EUR", discount_percent=5.0)  # type: ignore[arg-type]


def test_inclusive_compound_rates_do_not_exist() -> None:
    with pytest.raises(ValueError, match="compound"):
        RateInput(key="x", percentage=D(5), inclusive=True, compound=True)


# --- the defects of the previous engine (each of these failed with it) -------------------------


def br_co_17_holds(totals: Totals) -> bool:
    """Each breakdown line's tax is its base x rate, rounded (EN 16931 BR-CO-17)."""
    return all(
        tax.tax_amount == quantize_money(tax.taxable_base * tax.rate.percentage / 100, totals.currency)
        for tax in totals.taxes
    )


def printed_lines_add_up(totals: Totals) -> bool:
    return (
        totals.tax_exclusive_amount + sum((tax.tax_amount for tax in totals.taxes), D(0))
        == totals.tax_inclusive_amount
        and totals.tax_inclusive_amount - totals.prepaid_amount + totals.rounding_amount == totals.amount_due
    )


def test_an_inclusive_price_prints_a_breakdown_that_adds_up() -> None:
    # 25.11 incl. 20 %: the net is 20.925 -> 20.93, whose VAT is 4.186 -> 4.19, and 20.93 +
    # 4.19 = 25.12. No net and VAT pair makes 25.11 with BR-CO-17, so the breakdown states
    # 25.12 and the rounding amount brings the amount due back to the price, 25.11. (Before,
    # the PDF printed base 20.93 + VAT 4.19 under a total of 25.11.)
    rate = RateInput(key="incl", percentage=D(20), inclusive=True)
    totals = calculate([LineInput(D(1), D("25.11"), rates=(rate,))], "EUR")
    assert taxes(totals) == {"incl": (D("20.93"), D("4.19"))}
    assert (totals.tax_exclusive_amount, totals.tax_inclusive_amount) == (D("20.93"), D("25.12"))
    assert (totals.rounding_amount, totals.amount_due, totals.total) == (D("-0.01"), D("25.11"), D("25.11"))
    assert totals.lines[0].net_amount == D("20.93")
    assert printed_lines_add_up(totals)


def test_a_compound_rate_satisfies_br_co_17() -> None:
    # Before: QST base 105.51 (100.49 + 5.0245 unrounded GST) with tax 10.53, but
    # 105.51 x 9.975 % = 10.5246 -> 10.52.
    gst = RateInput(key="gst", percentage=D(5))
    qst = RateInput(key="qst", percentage=D("9.975"), compound=True)
    totals = calculate([LineInput(D(1), D("100.49"), rates=(gst, qst))], "CAD")
    assert taxes(totals) == {"gst": (D("100.49"), D("5.02")), "qst": (D("105.51"), D("10.52"))}
    assert br_co_17_holds(totals)
    assert printed_lines_add_up(totals)


@pytest.mark.parametrize(
    ("percentage", "inclusive", "compound"),
    [(D(20), True, False), (D("7.7"), True, False), (D(19), True, False), (D("9.975"), False, True)],
)
def test_br_co_17_holds_for_every_amount_up_to_100(
    percentage: Decimal, inclusive: bool, compound: bool
) -> None:
    rate = RateInput(key="r", percentage=percentage, inclusive=inclusive, compound=compound)
    rates = (RateInput(key="gst", percentage=D(5)), rate) if compound else (rate,)
    for cents in range(1, 10_001, 7):
        totals = calculate([LineInput(D(1), D(cents) / 100, rates=rates)], "EUR")
        assert br_co_17_holds(totals), cents
        assert printed_lines_add_up(totals), cents


def test_a_discount_can_be_tied_to_one_vat_rate() -> None:
    # Before, the invoice discount was spread over every rate; an EN 16931 document-level
    # allowance reduces its own VAT category only.
    vat25 = RateInput(key=("S", 25), percentage=D(25))
    vat10 = RateInput(key=("S", 10), percentage=D(10))
    lines = [LineInput(D(1), D(100), rates=(vat25,)), LineInput(D(1), D(100), rates=(vat10,))]
    totals = calculate(lines, "EUR", allowances_charges=[discount(D(20), (vat25,))])
    assert taxes(totals) == {("S", 25): (D("80.00"), D("20.00")), ("S", 10): (D("100.00"), D("10.00"))}
    assert (totals.allowance_total, totals.tax_exclusive_amount, totals.total) == (D(20), D(180), D(210))


def test_document_charges_percentages_and_reasons() -> None:
    vat = RateInput(key="s", percentage=D(25))
    freight = AllowanceCharge(charge=True, amount=D(100), rates=(vat,), reason="Freight", reason_code="FC")
    loyalty = AllowanceCharge(percentage=D(10), rates=(vat,), reason="Loyal customer", reason_code="100")
    totals = calculate(
        [LineInput(D(3), D("333.33"), rates=(vat,))], "EUR", allowances_charges=[freight, loyalty]
    )
    # 10 % of the lines with the same rate, 999.99 -> 99.999 -> 100.00
    assert [(r.amount, r.base_amount) for r in totals.document_allowances_charges] == [
        (D("100.00"), None),
        (D("100.00"), D("999.99")),
    ]
    assert (totals.charge_total, totals.allowance_total, totals.tax_exclusive_amount) == (
        D(100),
        D(100),
        D("999.99"),
    )
    with pytest.raises(ValueError, match="reason"):
        AllowanceCharge(amount=D(1))
    with pytest.raises(ValueError, match="uncl5189"):
        AllowanceCharge(amount=D(1), reason_code="FC")  # a charge code on an allowance
    with pytest.raises(ValueError, match="amount or a percentage"):
        AllowanceCharge(amount=D(1), percentage=D(1), reason="x")


def test_line_charges_allowances_base_quantity_and_fine_prices() -> None:
    # 16000 kWh at 0.00880 EUR (5 decimals); 132 units at 15.24 per 12 (CEN example 8).
    energy = LineInput(D(16000), D("0.00880"))
    boxed = LineInput(D(132), D("15.24"), base_quantity=D(12))
    packed = LineInput(
        D(1000),
        D(1),
        gross_price=D("1.10"),
        allowances_charges=(
            AllowanceCharge(percentage=D(10), reason="Loyal customer", reason_code="100"),
            AllowanceCharge(charge=True, amount=D("5.55"), reason="Packaging", reason_code="ABL"),
        ),
    )
    totals = calculate([energy, boxed, packed], "EUR")
    assert totals.line_amounts == (D("140.80"), D("167.64"), D("905.55"))
    assert packed.price_discount == D("0.10")
    with pytest.raises(ValueError, match="gross price"):
        LineInput(D(1), D(2), gross_price=D(1))
    with pytest.raises(ValueError, match="BR-27"):
        LineInput(D(1), D(-2))


def test_returns_are_negative_lines_on_an_invoice_that_stays_positive() -> None:
    vat = RateInput(key="v", percentage=D(20))
    totals = calculate([LineInput(D(2), D(50), rates=(vat,)), LineInput(D(-1), D(30), rates=(vat,))], "EUR")
    assert (totals.line_total, totals.tax_total, totals.total) == (D(70), D(14), D(84))
    with pytest.raises(CalculationError) as error:
        calculate([LineInput(D(1), D(50)), LineInput(D(-2), D(30))], "EUR")
    assert error.value.field == "lines"


def test_prepaid_amount_and_cash_rounding() -> None:
    line = LineInput(D(1), D("10.02"), rates=(RateInput(key="v", percentage=D("8.1")),))
    totals = calculate([line], "CHF", prepaid_amount=D(5), cash_rounding=D("0.05"))
    # 10.02 + 0.81 VAT = 10.83; minus 5.00 prepaid = 5.83 -> 5.85 in 5-rappen steps
    assert (totals.tax_inclusive_amount, totals.prepaid_amount) == (D("10.83"), D("5.00"))
    assert (totals.rounding_amount, totals.amount_due, totals.cash_rounding) == (
        D("0.02"),
        D("5.85"),
        D("0.02"),
    )
    huf = calculate([LineInput(D(1), D("1234.56"))], "HUF", cash_rounding=D(1))
    assert (huf.amount_due, huf.rounding_amount) == (D("1235.00"), D("0.44"))
    with pytest.raises(CalculationError, match="cash rounding"):
        calculate([line], "EUR", cash_rounding=D("0.005"))
    with pytest.raises(CalculationError, match="prepaid"):
        calculate([line], "EUR", prepaid_amount=D(11))


def test_zero_rate_categories_have_a_zero_rate() -> None:
    with pytest.raises(ValueError, match="0 %"):
        RateInput(key="e", percentage=D(5), category="E")
    with pytest.raises(ValueError, match="VAT category"):
        RateInput(key="x", percentage=D(5), category="XX")
    with pytest.raises(ValueError, match="vatex"):
        RateInput(key="ae", percentage=D(0), category="AE", exemption_code="VATEX-EU-NOPE")
    assert RateInput(key="ae", percentage=D(0), category="AE", exemption_code="VATEX-EU-AE").category == "AE"
