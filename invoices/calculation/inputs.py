"""What the engine reads: tax rates, lines, allowances and charges (EN 16931 terms in brackets).

Frozen dataclasses that check themselves when built, so a calculation never starts from an
impossible input. Amounts are Decimals (floats raise TypeError). Sums of money that the
engine rounds are rounded there, not here.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from decimal import Decimal

from invoices import codelists, vat
from invoices.money import ZERO, reject_float

ONE = Decimal(1)

# UNTDID 5189 "Discount": the reason of today's line and invoice discounts, which carry none.
DISCOUNT_REASON_CODE = "95"


class CalculationError(ValueError):
    """Inputs that cannot make an invoice (an allowance larger than what it reduces)."""

    def __init__(self, message: str, *, field: str, index: int | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.index = index


def _decimal(value: object, name: str) -> Decimal:
    reject_float(value)
    if not isinstance(value, Decimal) or not value.is_finite():
        raise TypeError(f"{name} is a finite Decimal, not {value!r}.")
    return value


@dataclass(frozen=True)
class RateInput:
    """A tax rate (BG-23's category and rate). `key` identifies it (a pk or a public id).

    `inclusive`: prices of lines carrying it already contain it. `compound`: applied on top
    of the line's other taxes (Quebec QST before 2013, some US local taxes).
    """

    key: Hashable
    percentage: Decimal
    inclusive: bool = False
    compound: bool = False
    category: str = vat.STANDARD  # BT-118 / BT-151, UNCL 5305
    exemption_reason: str = ""  # BT-120
    exemption_code: str = ""  # BT-121, CEF VATEX

    def __post_init__(self) -> None:
        _decimal(self.percentage, "A tax percentage")
        if not ZERO <= self.percentage <= 100:
            raise ValueError("A tax percentage is between 0 and 100.")
        if self.inclusive and self.compound:
            raise ValueError("A compound tax rate cannot be inclusive.")
        category = vat.category(self.category)  # BR-CL-17/18
        if category.zero_rate and self.percentage != 0:
            # BR-Z-05, BR-E-05, BR-AE-05, BR-IC-05, BR-G-05, BR-O-05
            raise ValueError(f"VAT category {self.category} always has a 0 % rate.")
        if self.exemption_code:
            vat.vatex().check(self.exemption_code)  # BR-CL-22


@dataclass(frozen=True)
class AllowanceCharge:
    """An allowance (a reduction) or a charge (a surcharge), on a line or on the document.

    Either `amount`, or `percentage` of `base_amount`: the amount is then base x % / 100,
    rounded to the minor unit (BT-92 = BT-93 x BT-94 / 100). A line's allowance without a
    base takes the line's own amount (quantity x price / base quantity) as its base; a
    document allowance without a base takes the sum of the lines that carry exactly its
    tax rates. A document allowance or charge has its own tax rates (BT-95/BT-102: the VAT
    category it reduces or adds to); a line's has none, it takes the line's. Each states a
    reason as text or code (BR-33, BR-38, BR-42, BR-44): UNTDID 5189 for allowances,
    7161 for charges (BR-CL-19, BR-CL-20).
    """

    charge: bool = False
    amount: Decimal | None = None
    percentage: Decimal | None = None
    base_amount: Decimal | None = None
    rates: tuple[RateInput, ...] = ()
    reason: str = ""
    reason_code: str = ""

    def __post_init__(self) -> None:
        if (self.amount is None) == (self.percentage is None):
            raise ValueError("An allowance or charge has an amount or a percentage, not both.")
        if self.amount is not None and _decimal(self.amount, "An allowance amount") < 0:
            raise ValueError("An allowance or charge amount is not negative: use the other kind.")
        if self.percentage is not None and _decimal(self.percentage, "A percentage") < 0:
            raise ValueError("An allowance or charge percentage is not negative.")
        if self.base_amount is not None:
            if self.percentage is None:
                raise ValueError("A base amount goes with a percentage.")
            _decimal(self.base_amount, "A base amount")
        if not (self.reason.strip() or self.reason_code):
            raise ValueError("An allowance or charge states its reason, as text or as a code.")
        if self.reason_code:
            reasons = codelists.charge_reasons() if self.charge else codelists.allowance_reasons()
            reasons.check(self.reason_code)
        _check_rates(self.rates)

    @property
    def sign(self) -> int:
        return 1 if self.charge else -1


def discount(amount: Decimal, rates: tuple[RateInput, ...] = ()) -> AllowanceCharge:
    """Today's plain discount as an allowance: reason "Discount" (UNTDID 5189 code 95)."""
    return AllowanceCharge(amount=amount, rates=rates, reason="Discount", reason_code=DISCOUNT_REASON_CODE)


def _check_rates(rates: tuple[RateInput, ...]) -> None:
    keys = [rate.key for rate in rates]
    if len(set(keys)) != len(keys):
        raise ValueError("A line carries each tax rate at most once.")


@dataclass(frozen=True)
class LineInput:
    """An invoice line (BG-25).

    quantity (BT-129) is negative for a returned item. unit_price is the net price (BT-146,
    never negative: BR-27), per `base_quantity` units (BT-149: 0.88 EUR per 100 kWh).
    gross_price (BT-148), when known, is the price before the price discount; the discount
    (BT-147) is then gross - net, never negative. `discount` is today's line discount, an
    allowance with reason "Discount"; `allowances_charges` are the line's others (BG-27/28).
    """

    quantity: Decimal
    unit_price: Decimal
    discount: Decimal = ZERO
    rates: tuple[RateInput, ...] = ()
    base_quantity: Decimal = ONE
    gross_price: Decimal | None = None
    allowances_charges: tuple[AllowanceCharge, ...] = ()

    def __post_init__(self) -> None:
        for name in ("quantity", "unit_price", "discount", "base_quantity"):
            value = getattr(self, name)
            reject_float(value)
            if not isinstance(value, Decimal):
                raise TypeError(f"Line {name} is a Decimal, not {type(value).__name__}.")
            _decimal(value, f"Line {name}")
        if self.unit_price < 0:
            raise ValueError(
                "A net unit price is never negative (EN 16931 BR-27): a return has a negative quantity."
            )
        if self.base_quantity <= 0:
            raise ValueError("A price base quantity is above zero.")
        if self.discount < 0:
            raise ValueError("A line discount is not negative.")
        if self.gross_price is not None and _decimal(self.gross_price, "A gross price") < self.unit_price:
            raise ValueError("A gross price is at least the net price (BT-147 = BT-148 - BT-146 >= 0).")
        if any(item.rates for item in self.allowances_charges):
            raise ValueError("A line's allowances and charges take the line's tax rates.")
        _check_rates(self.rates)

    @property
    def price_discount(self) -> Decimal | None:
        """BT-147, derived: gross price - net price."""
        return None if self.gross_price is None else self.gross_price - self.unit_price

    def all_allowances_charges(self) -> tuple[AllowanceCharge, ...]:
        if self.discount:
            return (discount(self.discount), *self.allowances_charges)
        return self.allowances_charges
