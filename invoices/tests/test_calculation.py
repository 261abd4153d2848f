"""Invoice totals: worked examples and Hypothesis properties of the invariants."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invoices.calculation import (
    CalculationError,
    LineInput,
    RateInput,
    Totals,
    allocate,
    calculate,
)
from invoices.money import minor_units

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


# --- properties --------------------------------------------------------------------------------

CURRENCIES = ["EUR", "USD", "JPY", "KWD", "BHD", "CLF"]


@st.composite
def rates(draw: st.DrawFn) -> list[RateInput]:
    count = draw(st.integers(min_value=0, max_value=4))
    result = []
    for index in range(count):
        inclusive = draw(st.booleans())
        compound = not inclusive and draw(st.integers(0, 4)) == 0
        percentage = draw(st.decimals(min_value=0, max_value=30, places=draw(st.integers(0, 4))))
        result.append(
            RateInput(key=f"r{index}", percentage=percentage, inclusive=inclusive, compound=compound)
        )
    return result


@st.composite
def invoices(draw: st.DrawFn) -> tuple[str, list[LineInput], dict[str, Decimal]]:
    currency = draw(st.sampled_from(CURRENCIES))
    places = minor_units(currency)
    available = draw(rates())
    lines = []
    for _ in range(draw(st.integers(min_value=0, max_value=8))):
        quantity = draw(st.decimals(min_value=0, max_value=1000, places=draw(st.integers(0, 4))))
        price = draw(st.decimals(min_value=0, max_value=100_000, places=places))
        gross = (quantity * price).quantize(D(1).scaleb(-places), rounding="ROUND_DOWN")
        discount = draw(st.decimals(min_value=0, max_value=gross, places=places)) if gross else D(0)
        line_rates = (
            draw(st.lists(st.sampled_from(available), unique_by=lambda r: r.key)) if available else []
        )
        lines.append(LineInput(quantity, price, discount, tuple(line_rates)))
    discount_kind = draw(st.sampled_from(["none", "amount", "percent"]))
    kwargs: dict[str, Decimal] = {}
    if discount_kind == "percent":
        kwargs["discount_percent"] = draw(st.decimals(min_value=0, max_value=100, places=2))
    elif discount_kind == "amount":
        kwargs["discount_amount"] = draw(st.sampled_from([D(0), D(1), D("0.5")]))
    return currency, lines, kwargs


def _calculate_or_none(currency: str, lines: list[LineInput], kwargs: dict[str, Decimal]) -> Totals | None:
    try:
        return calculate(lines, currency, **kwargs)
    except CalculationError:
        return None  # a fixed discount above the subtotal: refused, covered by its own test


def _is_quantized(value: Decimal, currency: str) -> bool:
    return isinstance(value, Decimal) and value.as_tuple().exponent == -minor_units(currency)


@settings(max_examples=300, deadline=None)
@given(invoices())
def test_total_is_the_sum_of_the_rounded_parts(case: tuple[str, list[LineInput], dict[str, Decimal]]) -> None:
    currency, lines, kwargs = case
    totals = _calculate_or_none(currency, lines, kwargs)
    if totals is None:
        return
    assert totals.subtotal == sum(totals.line_amounts, D(0))
    assert totals.tax_total == sum((tax.tax_amount for tax in totals.taxes), D(0))
    # total = sum of line nets - invoice discount + sum of taxes, where inclusive taxes are
    # already inside the line amounts (they are extracted, not added):
    assert totals.total == totals.subtotal - totals.discount + totals.exclusive_tax_total
    assert totals.total == totals.tax_exclusive_amount + totals.tax_total
    if not any(rate.inclusive for line in lines for rate in line.rates):
        assert totals.total == sum(totals.line_amounts, D(0)) - totals.discount + totals.tax_total
    assert 0 <= totals.discount <= totals.subtotal
    for value in (*totals.line_amounts, totals.subtotal, totals.discount, totals.tax_total, totals.total):
        assert _is_quantized(value, currency), value
    for tax in totals.taxes:
        assert _is_quantized(tax.tax_amount, currency)
        assert _is_quantized(tax.taxable_base, currency)
        assert tax.tax_amount >= 0


@settings(max_examples=200, deadline=None)
@given(invoices(), st.randoms(use_true_random=False))
def test_totals_do_not_depend_on_line_order(
    case: tuple[str, list[LineInput], dict[str, Decimal]], rnd
) -> None:
    currency, lines, kwargs = case
    totals = _calculate_or_none(currency, lines, kwargs)
    if totals is None:
        return
    shuffled = list(lines)
    rnd.shuffle(shuffled)
    reordered = calculate(shuffled, currency, **kwargs)
    assert (reordered.subtotal, reordered.discount, reordered.tax_total, reordered.total) == (
        totals.subtotal,
        totals.discount,
        totals.tax_total,
        totals.total,
    )
    assert taxes(reordered) == taxes(totals)
    assert sorted(reordered.line_amounts) == sorted(totals.line_amounts)


@settings(max_examples=200, deadline=None)
@given(invoices())
def test_exclusive_tax_base_is_the_sum_of_the_lines_carrying_the_rate(
    case: tuple[str, list[LineInput], dict[str, Decimal]],
) -> None:
    currency, lines, _kwargs = case
    plain = [
        LineInput(
            line.quantity, line.unit_price, line.discount, tuple(r for r in line.rates if not r.inclusive)
        )
        for line in lines
    ]
    totals = calculate(plain, currency)
    for tax in totals.taxes:
        if tax.rate.compound:
            continue
        carrying = sum(
            (
                amount
                for line, amount in zip(plain, totals.line_amounts, strict=True)
                if tax.rate in line.rates
            ),
            D(0),
        )
        assert tax.taxable_base == carrying


@given(
    st.lists(st.decimals(min_value=0, max_value=10**6, places=2), min_size=1, max_size=10),
    st.data(),
)
def test_allocation_is_exact_and_fair(weights: list[Decimal], data: st.DataObject) -> None:
    total_weight = sum(weights, D(0))
    amount = data.draw(st.decimals(min_value=0, max_value=total_weight, places=2))
    shares = allocate(amount, weights, "EUR")
    assert sum(shares, D(0)) == (amount if total_weight else D(0))
    for share, weight in zip(shares, weights, strict=True):
        assert D(0) <= share <= weight
        if total_weight:
            assert abs(share - amount * weight / total_weight) < D("0.01")


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["JPY", "KWD", "BHD"]), st.data())
def test_zero_and_three_decimal_currencies_round_right(currency: str, data: st.DataObject) -> None:
    places = minor_units(currency)
    price = data.draw(st.decimals(min_value=0, max_value=10**6, places=places))
    quantity = data.draw(st.decimals(min_value=0, max_value=100, places=4))
    percentage = data.draw(st.decimals(min_value=0, max_value=25, places=3))
    rate = RateInput(key="r", percentage=percentage)
    totals = calculate([LineInput(quantity, price, rates=(rate,))], currency)
    unit = D(1).scaleb(-places)
    exact_net = quantity * price
    exact_tax = totals.line_amounts[0] * percentage / 100
    # Half up: the rounded value is within half a minor unit, and exact halves go up.
    assert abs(totals.line_amounts[0] - exact_net) <= unit / 2
    assert abs(totals.tax_total - exact_tax) <= unit / 2
    if (exact_tax / unit) % 1 == D("0.5"):
        assert totals.tax_total > exact_tax
    assert totals.total.as_tuple().exponent == -places
