"""The engine as it was before EN 16931 (commit d78e04e), kept as the baseline the new one is
compared with: its totals for invoices without inclusive rates (tests) and its speed (bench).

Invoice totals: a pure function from lines, tax rates and the invoice discount.

No database, no floats, no rounding but `money.quantize_money`. The services store what
`calculate()` returns; the builder shows it live; the PDF and the API read the stored result.

How the amounts are built (EN 16931's model, with the choices it leaves open written down):

1. Line amount = quantity x unit price - line discount, rounded to the currency's minor unit.
   For a line whose rates are all exclusive this is the line net (BT-131). For a line that
   carries an *inclusive* rate the unit price already contains that tax, so the line amount
   is gross of it.
2. Subtotal = Σ line amounts.
3. The invoice-level discount (an amount, or a percentage of the subtotal rounded once) is
   allocated to the *rate groups* — the lines sharing the same set of tax rates — in
   proportion to each group's amount, in whole minor units by the largest-remainder method
   (ties broken by the group's key, never by line order). So each rate's taxable base is
   reduced by its fair share and the shares add up to the discount exactly, to the cent.
4. For each rate group with amount A (after its discount share): if the group carries
   inclusive rates with percentages p₁…pₙ, its net is N = A / (1 + Σpᵢ/100) (the inclusive
   taxes are extracted from the gross); otherwise N = A. N is kept unrounded.
5. For each tax rate, its taxable base is the sum of N over the groups that carry it; a
   *compound* rate's base also includes the (unrounded) non-compound taxes of those groups,
   i.e. it is applied after the others. Tax = base x percentage / 100, rounded once per
   rate (never per line), as EN 16931 requires (BT-117 is computed on BT-116).
6. Tax total = Σ rounded taxes. The inclusive part of it is already inside the subtotal, so
   total = subtotal - discount + Σ exclusive taxes, and, equivalently,
   total = tax-exclusive amount + Σ taxes, where tax-exclusive amount = subtotal - discount -
   Σ inclusive taxes. Every term is a rounded amount: the total is the sum of rounded parts.

Compound rates must be exclusive (the tax-rate model refuses inclusive compound rates).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from invoices.money import HUNDRED, ZERO, minor_unit, minor_units, quantize_money, reject_float


@dataclass(frozen=True)
class RateInput:
    """A tax rate as the calculation sees it. `key` identifies it (a pk or public id)."""

    key: Hashable
    percentage: Decimal
    inclusive: bool = False
    compound: bool = False

    def __post_init__(self) -> None:
        reject_float(self.percentage)
        if not isinstance(self.percentage, Decimal):
            raise TypeError("A tax percentage is a Decimal.")
        if self.inclusive and self.compound:
            raise ValueError("A compound tax rate cannot be inclusive.")


@dataclass(frozen=True)
class LineInput:
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal = ZERO
    rates: tuple[RateInput, ...] = ()

    def __post_init__(self) -> None:
        for name in ("quantity", "unit_price", "discount"):
            value = getattr(self, name)
            reject_float(value)
            if not isinstance(value, Decimal):
                raise TypeError(f"Line {name} is a Decimal, not {type(value).__name__}.")
        keys = [rate.key for rate in self.rates]
        if len(set(keys)) != len(keys):
            raise ValueError("A line carries each tax rate at most once.")


@dataclass(frozen=True)
class TaxGroupTotal:
    rate: RateInput
    taxable_base: Decimal
    tax_amount: Decimal


@dataclass(frozen=True)
class Totals:
    currency: str
    line_amounts: tuple[Decimal, ...]
    subtotal: Decimal
    discount: Decimal
    taxes: tuple[TaxGroupTotal, ...] = field(default_factory=tuple)
    tax_total: Decimal = ZERO
    inclusive_tax_total: Decimal = ZERO
    exclusive_tax_total: Decimal = ZERO
    tax_exclusive_amount: Decimal = ZERO
    total: Decimal = ZERO


class CalculationError(ValueError):
    """Inputs that cannot make an invoice (a discount larger than what it discounts)."""

    def __init__(self, message: str, *, field: str, index: int | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.index = index


def line_amount(line: LineInput, currency: str) -> Decimal:
    """quantity x unit price - line discount, rounded to the minor unit."""
    return quantize_money(line.quantity * line.unit_price - line.discount, currency)


def _sort_key(key: Hashable) -> str:
    return f"{type(key).__name__}:{key}"


def _group_key(rates: tuple[RateInput, ...]) -> tuple[str, ...]:
    return tuple(sorted(_sort_key(rate.key) for rate in rates))


def allocate(total: Decimal, weights: Sequence[Decimal], currency: str) -> list[Decimal]:
    """Split `total` in proportion to `weights`, in whole minor units, summing to `total`.

    Largest-remainder method: everyone gets the rounded-down share, then the leftover minor
    units go one each to the largest remainders, the earlier weight winning a tie (callers
    pass weights in a canonical order, so the result never depends on line order).
    """
    unit = minor_unit(currency)
    weight_sum = sum(weights, ZERO)
    if total == ZERO or weight_sum == ZERO:
        return [ZERO.quantize(unit) for _ in weights]
    exact = [total * weight / weight_sum for weight in weights]
    shares = [share.quantize(unit, rounding=ROUND_DOWN) for share in exact]
    leftover = int((total - sum(shares, ZERO)) / unit)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in by_remainder[:leftover]:
        shares[i] += unit
    return shares


def invoice_discount_amount(
    subtotal: Decimal, currency: str, *, amount: Decimal | None = None, percent: Decimal | None = None
) -> Decimal:
    """The invoice-level discount: a fixed amount, or a percentage of the subtotal rounded once."""
    if amount is not None and percent is not None:
        raise ValueError("Give a discount amount or a percentage, not both.")
    if percent is not None:
        reject_float(percent)
        return quantize_money(subtotal * percent / HUNDRED, currency)
    if amount is not None:
        reject_float(amount)
        return quantize_money(amount, currency)
    return quantize_money(ZERO, currency)


def calculate(
    lines: Sequence[LineInput],
    currency: str,
    *,
    discount_amount: Decimal | None = None,
    discount_percent: Decimal | None = None,
) -> Totals:
    """Every stored total of an invoice. See the module docstring for the method."""
    minor_units(currency)  # unknown currency: fail before doing anything
    amounts: list[Decimal] = []
    for index, line in enumerate(lines):
        amount = line_amount(line, currency)
        if amount < ZERO:
            raise CalculationError(
                "The line discount cannot exceed the line amount.", field="discount", index=index
            )
        amounts.append(amount)
    subtotal = quantize_money(sum(amounts, ZERO), currency)
    discount = invoice_discount_amount(subtotal, currency, amount=discount_amount, percent=discount_percent)
    if discount < ZERO or discount > subtotal:
        raise CalculationError("The discount cannot exceed the subtotal.", field="discount")

    # Rate groups: lines sharing one set of rates, in a canonical order.
    groups: dict[tuple[str, ...], tuple[tuple[RateInput, ...], Decimal]] = {}
    for line, amount in zip(lines, amounts, strict=True):
        key = _group_key(line.rates)
        rates = tuple(sorted(line.rates, key=lambda rate: _sort_key(rate.key)))
        previous = groups.get(key, (rates, ZERO))[1]
        groups[key] = (rates, previous + amount)
    ordered = sorted(groups.items())
    shares = allocate(discount, [amount for _, (_, amount) in ordered], currency)

    rates_by_key: dict[str, RateInput] = {}
    bases: dict[str, Decimal] = {}
    for (_, (rates, amount)), share in zip(ordered, shares, strict=True):
        gross = amount - share
        inclusive = sum((rate.percentage for rate in rates if rate.inclusive), ZERO)
        net = gross / (1 + inclusive / HUNDRED) if inclusive else gross
        simple_taxes = sum((net * rate.percentage / HUNDRED for rate in rates if not rate.compound), ZERO)
        for rate in rates:
            key = _sort_key(rate.key)
            rates_by_key[key] = rate
            bases[key] = bases.get(key, ZERO) + (net + simple_taxes if rate.compound else net)

    taxes = []
    for key in sorted(bases):
        rate = rates_by_key[key]
        base = bases[key]
        taxes.append(
            TaxGroupTotal(
                rate=rate,
                taxable_base=quantize_money(base, currency),
                tax_amount=quantize_money(base * rate.percentage / HUNDRED, currency),
            )
        )
    tax_total = sum((tax.tax_amount for tax in taxes), quantize_money(ZERO, currency))
    inclusive_total = sum(
        (tax.tax_amount for tax in taxes if tax.rate.inclusive), quantize_money(ZERO, currency)
    )
    exclusive_total = tax_total - inclusive_total
    return Totals(
        currency=currency,
        line_amounts=tuple(amounts),
        subtotal=subtotal,
        discount=discount,
        taxes=tuple(taxes),
        tax_total=tax_total,
        inclusive_tax_total=inclusive_total,
        exclusive_tax_total=exclusive_total,
        tax_exclusive_amount=subtotal - discount - inclusive_total,
        total=subtotal - discount + exclusive_total,
    )
