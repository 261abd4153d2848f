"""What the engine returns. Every amount is rounded to the currency's minor unit.

Two conventions live side by side, because an invoice whose prices include tax is printed
with the prices as entered, while EN 16931's totals are always net of VAT:

- "as entered" amounts (`LineResult.amount`, `Totals.subtotal`, `discount`, `charges`,
  `total`) are gross of the *inclusive* rates of their line or allowance, like the prices;
- "net" amounts (`LineResult.net_amount`, BT-106 to BT-115) exclude every tax.

Without inclusive rates the two are the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from invoices.calculation.inputs import AllowanceCharge, RateInput


@dataclass(frozen=True)
class AllowanceChargeResult:
    source: AllowanceCharge
    amount: Decimal  # as entered (BT-92/BT-99 on a line: BT-136/BT-141)
    base_amount: Decimal | None  # the base its percentage applied to (BT-93, BT-100)
    net_amount: Decimal  # net of inclusive taxes; equals `amount` unless its rates are inclusive

    @property
    def charge(self) -> bool:
        return self.source.charge


@dataclass(frozen=True)
class LineResult:
    amount: Decimal  # quantity x price / base quantity + charges - allowances, as entered
    net_amount: Decimal  # BT-131: the same, net of inclusive taxes
    allowances_charges: tuple[AllowanceChargeResult, ...]


@dataclass(frozen=True)
class TaxGroupTotal:
    """One line of the tax breakdown (BG-23): base x percentage / 100 = tax, to the minor unit."""

    rate: RateInput
    taxable_base: Decimal  # BT-116
    tax_amount: Decimal  # BT-117


@dataclass(frozen=True)
class Totals:
    currency: str
    # As entered (the builder and today's stored fields read these).
    line_amounts: tuple[Decimal, ...]
    subtotal: Decimal  # sum of line amounts
    discount: Decimal  # sum of document-level allowances (today's invoice discount among them)
    taxes: tuple[TaxGroupTotal, ...]
    tax_total: Decimal  # BT-110
    inclusive_tax_total: Decimal  # the part of BT-110 already inside the prices
    exclusive_tax_total: Decimal  # the part added on top of them
    tax_exclusive_amount: Decimal  # BT-109
    total: Decimal  # what the prices add up to: subtotal - discount + charges + exclusive taxes
    # EN 16931's document totals (BG-22) and the detail behind them.
    lines: tuple[LineResult, ...]
    document_allowances_charges: tuple[AllowanceChargeResult, ...]
    charges: Decimal  # sum of document-level charges, as entered
    line_total: Decimal  # BT-106
    allowance_total: Decimal  # BT-107
    charge_total: Decimal  # BT-108
    tax_inclusive_amount: Decimal  # BT-112
    prepaid_amount: Decimal  # BT-113
    rounding_amount: Decimal  # BT-114
    amount_due: Decimal  # BT-115

    @property
    def price_rounding(self) -> Decimal:
        """The part of BT-114 that brings BT-112 back to what tax-inclusive prices add up to."""
        return self.total - self.tax_inclusive_amount

    @property
    def cash_rounding(self) -> Decimal:
        """The part of BT-114 that rounds the amount due to the chosen cash increment."""
        return self.rounding_amount - self.price_rounding
