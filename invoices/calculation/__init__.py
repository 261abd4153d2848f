"""Invoice totals: a pure function from lines, allowances, charges and tax rates.

No database, no floats, no rounding but `money.quantize_money`. The services store what
`calculate()` returns; the builder shows it live; the PDF and the API read the stored
result. The model is EN 16931's (the European e-invoice), generalised to sales taxes that
are included in prices or compounded; `docs/money.md` explains it with examples.

How the amounts are built, rule by rule (the EN 16931 rule ids are in the code beside them):

1. Line amount (BT-131) = quantity x net price / price base quantity, rounded to the minor
   unit, + line charges - line allowances (each an amount, or a percentage of the line's
   amount rounded once). Quantities may be negative (returns); net prices may not (BR-27).
2. Document-level allowances and charges (BG-20, BG-21) each carry tax rates, like a line.
   A percentage one applies to its base (by default the lines with exactly its rates).
   Today's invoice discount becomes one allowance per rate group (`legacy.py`).
3. Rate groups: the lines, allowances and charges that carry the same set of tax rates.
   Group amount G = lines + charges - allowances, as entered.
4. Net per group (the choice EN 16931 leaves open for prices that include tax): if the
   group's rates include inclusive ones with percentages p1..pn, N = G / (1 + Σp/100),
   rounded once per group; otherwise N = G. The group's lines and allowances get their
   share of N in whole minor units (their BT-131/BT-92/BT-99 net of tax).
5. Per rate, base (BT-116) = Σ N over the groups carrying it; a compound rate's base also
   holds each group's other taxes (N x (1 + Σ non-compound p / 100)), rounded once.
   Tax (BT-117) = base x rate / 100, rounded once per rate, never per line: BR-CO-17 holds
   for exclusive, inclusive and compound rates alike.
6. BT-106 Σ line nets (BR-CO-10), BT-107/BT-108 Σ allowance/charge nets (BR-CO-11/12),
   BT-109 = BT-106 - BT-107 + BT-108 (BR-CO-13), BT-110 = Σ taxes (BR-CO-14),
   BT-112 = BT-109 + BT-110 (BR-CO-15).
7. `total` is what the prices as entered add up to: Σ G + exclusive taxes. Without
   inclusive rates it equals BT-112; with them it may differ by a few minor units, and the
   difference is the rounding amount (BT-114), so the printed lines always add up:
   BT-109 + taxes = BT-112; BT-112 - prepaid (BT-113) + rounding (BT-114) = due (BT-115,
   BR-CO-16). Cash rounding (CHF 0.05, whole HUF) rounds the amount due, and its
   difference joins BT-114.
8. Every amount has the currency's ISO 4217 minor unit (BR-DEC-*: EN 16931 says two
   decimals, which is the minor unit of every currency it was written for). The total and
   the tax-inclusive amount may not be negative: returns larger than the sale make a
   credit note.
"""

from invoices.calculation.allocation import allocate, distribute
from invoices.calculation.engine import (
    allowance_charge_amount,
    calculate,
    line_amount,
    rate_groups,
    round_to_increment,
    tax_amount,
)
from invoices.calculation.inputs import (
    DISCOUNT_REASON_CODE,
    AllowanceCharge,
    CalculationError,
    LineInput,
    RateInput,
    discount,
)
from invoices.calculation.legacy import legacy_discount_allowances, legacy_discount_amount
from invoices.calculation.results import AllowanceChargeResult, LineResult, TaxGroupTotal, Totals

__all__ = [
    "DISCOUNT_REASON_CODE",
    "AllowanceCharge",
    "AllowanceChargeResult",
    "CalculationError",
    "LineInput",
    "LineResult",
    "RateInput",
    "TaxGroupTotal",
    "Totals",
    "allocate",
    "allowance_charge_amount",
    "calculate",
    "discount",
    "distribute",
    "legacy_discount_allowances",
    "legacy_discount_amount",
    "line_amount",
    "rate_groups",
    "round_to_increment",
    "tax_amount",
]
