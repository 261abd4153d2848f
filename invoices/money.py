"""The one money module: the builder, the PDF, the API and every report go through it.

Rules:
- Amounts are `Decimal`, always with their currency beside them. A `float` is refused with a
  `TypeError` wherever it could enter: binary floating point cannot represent 0.10.
- Each currency's number of decimals (its ISO 4217 minor unit: JPY 0, EUR 2, KWD 3, RSD 2,
  IQD 3) comes from ISO 4217 itself: SIX's official list (list_one.xml) as shipped by the
  `iso4217` package, whose publication date is `ISO4217_PUBLISHED`. Not Babel: CLDR's
  "cash" digits differ (RSD 0, IQD 0) and CLDR knows withdrawn codes (DEM). Only codes on
  the current list with a numeric minor unit are currencies here: the funds codes (CLF,
  UYW, CHE, USN...) are, the "N.A." codes are not (metals XAU/XAG/XPD/XPT, XDR, XSU,
  XUA, the bond units XBA-XBD, XTS for tests and XXX for "no currency"): nothing can be
  invoiced in them, they have no smallest unit to round to.
- Rounding to the minor unit happens in one function, `quantize_money`, with one explicit
  mode: ROUND_HALF_UP ("commercial rounding": 0.005 EUR -> 0.01 EUR, -0.005 -> -0.01), the
  mode tax authorities and EN 16931 examples use. Banker's rounding (Python's default,
  ROUND_HALF_EVEN) would surprise people reading an invoice.
- User input is parsed by `parse_amount` / `parse_unit_price` / `parse_quantity` /
  `parse_percentage`, which raise `ApplicationError` naming the field for non-numeric,
  over-precise or too-long numbers. Text is accepted only in the API's published
  decimal-string form, `^-?[0-9]+(\\.[0-9]+)?$` in ASCII: no exponent ("1e3"), separator
  ("1_000", "1,000"), sign "+", bare point (".5", "5."), spaces or non-ASCII digits, all
  of which `Decimal()` itself would take.
"""

from __future__ import annotations

import copy
import re
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import TYPE_CHECKING

import iso4217
from babel import Locale
from babel.numbers import NumberPattern
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import ApplicationError, FieldRef

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

ROUNDING = ROUND_HALF_UP

# Database columns for money: up to 12 digits before the point (under a trillion, in any
# currency) and 4 after it, the most any ISO 4217 currency uses (CLF, UYW).
MONEY_MAX_DIGITS = 16
MONEY_DECIMAL_PLACES = 4
MONEY_MAX_WHOLE_DIGITS = MONEY_MAX_DIGITS - MONEY_DECIMAL_PLACES

# Net unit prices (EN 16931 BT-146) may be finer than the currency: 0.00880 EUR per kWh.
UNIT_PRICE_DECIMAL_PLACES = 6

# Quantities: up to 8 digits before the point, 4 after it (0.25 h, 1.5 kg, 0.3333 days).
QUANTITY_MAX_DIGITS = 12
QUANTITY_DECIMAL_PLACES = 4

# Tax percentages: 0 to 100 with up to 4 decimals (e.g. 9.975 % Quebec QST).
PERCENT_MAX_DIGITS = 7
PERCENT_DECIMAL_PLACES = 4

ZERO = Decimal(0)
HUNDRED = Decimal(100)

# The only text an amount, quantity, price or percentage may be: the API's published pattern.
DECIMAL_STRING = re.compile(r"-?[0-9]+(?:\.[0-9]+)?", re.ASCII)

# The date SIX published the ISO 4217 list in use (list_one.xml's Pblshd attribute).
ISO4217_PUBLISHED = iso4217.__published__


def _iso4217_minor_units() -> dict[str, int]:
    """Code -> minor unit for every current ISO 4217 code that has one (see the docstring)."""
    table = {}
    for code, entry in iso4217.raw_table.items():
        digits = entry.get("CcyMnrUnts") or ""  # the XML's text: "2", or "N.A." (gold, funds)
        if code and len(code) == 3 and isinstance(digits, str) and digits.isdigit():
            table[code] = int(digits)
    return table


_MINOR_UNITS = _iso4217_minor_units()


def reject_float(value: object) -> None:
    """Raise TypeError if `value` is a float: floats never enter money code."""
    if isinstance(value, float):
        raise TypeError(f"Money code refuses floats ({value!r}): pass a Decimal, an int or a string instead.")


def to_decimal(value: Decimal | int | str) -> Decimal:
    """A Decimal from a Decimal, an int or a numeric string. Floats raise TypeError.

    A string that is not a strict decimal string raises ValueError; user input goes through
    the `parse_*` functions instead, which turn that into a field-level ApplicationError.
    """
    reject_float(value)
    if isinstance(value, bool):
        raise TypeError("A boolean is not an amount.")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        return parse_decimal_string(value)
    raise TypeError(f"Cannot use {type(value).__name__} as an amount.")


def parse_decimal_string(text: str) -> Decimal:
    """The Decimal a strict decimal string stands for; ValueError for anything else.

    Only `^-?[0-9]+(\\.[0-9]+)?$`, ASCII digits. `Decimal()` alone would also take "1e3",
    "1_000", "+12", ".5", " 7 ", "NaN" and "١٢" (Arabic-Indic digits).
    """
    if not isinstance(text, str) or DECIMAL_STRING.fullmatch(text) is None:
        raise ValueError(f"{str(text)[:40]!r} is not a decimal string.")
    return Decimal(text)


def currencies() -> frozenset[str]:
    """Every code `is_currency` accepts."""
    return frozenset(_MINOR_UNITS)


def is_currency(code: str) -> bool:
    return isinstance(code, str) and code in _MINOR_UNITS


def check_currency(currency: str) -> str:
    """The code itself if it is a known ISO 4217 currency; ApplicationError otherwise."""
    if not is_currency(currency):
        raise ApplicationError(
            _("%(code)s is not an ISO 4217 currency code.") % {"code": currency}, field="currency"
        )
    return currency


def minor_units(currency: str) -> int:
    """Number of decimals of `currency` (JPY 0, EUR 2, KWD 3), from ISO 4217 itself."""
    if not is_currency(currency):
        raise ValueError(f"Unknown currency {currency!r}")
    return _MINOR_UNITS[currency]


@lru_cache(maxsize=32)
def _quantum(places: int) -> Decimal:
    """1, 0.1, 0.01…: built once, not for each of the tens of thousands of numbers of a long
    invoice."""
    return Decimal(1).scaleb(-places)


def minor_unit(currency: str) -> Decimal:
    """The smallest amount of `currency`: Decimal('0.01') for EUR, Decimal('1') for JPY."""
    return _quantum(minor_units(currency))


def quantize_money(amount: Decimal, currency: str) -> Decimal:
    """Round `amount` to `currency`'s minor unit, half up (see the module docstring).

    The result always carries exactly the currency's number of decimals, so `str()` of it
    is what a person expects to read ("12.30", "1500", "0.125").
    """
    reject_float(amount)
    if not isinstance(amount, Decimal):
        raise TypeError(f"quantize_money takes a Decimal, not {type(amount).__name__}.")
    rounded = amount.quantize(minor_unit(currency), rounding=ROUNDING)
    return rounded if rounded else abs(rounded)  # never "-0.00" on an invoice


def is_quantized(amount: Decimal, currency: str) -> bool:
    return amount == amount.quantize(minor_unit(currency), rounding=ROUNDING)


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _whole_digits(value: Decimal) -> int:
    # adjusted() is the exponent of the leading digit: 1234.5 -> 3, 0.5 -> -1.
    return max(0, value.adjusted() + 1) if value else 0


# Translated only when a message says them: an invoice of 5,000 lines parses 20,000 numbers.
AMOUNT_LABEL = gettext_lazy("the amount")
UNIT_PRICE_LABEL = gettext_lazy("the unit price")
QUANTITY_LABEL = gettext_lazy("the quantity")
PERCENTAGE_LABEL = gettext_lazy("the percentage")


def _parse(
    raw: Decimal | int | str | None,
    *,
    field: FieldRef,
    decimals: int,
    whole_digits: int,
    allow_negative: bool,
    allow_blank_as_zero: bool,
    label: StrOrPromise,
) -> Decimal:
    reject_float(raw)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if allow_blank_as_zero:
            return ZERO
        raise ApplicationError(_("Enter %(label)s.") % {"label": label}, field=field)
    try:
        value = to_decimal(raw)
    except (ValueError, TypeError):
        raise ApplicationError(
            _("“%(raw)s” is not a number.") % {"raw": str(raw)[:40]}, field=field
        ) from None
    if not value.is_finite():
        raise ApplicationError(_("“%(raw)s” is not a number.") % {"raw": str(raw)[:40]}, field=field)
    if value < 0 and not allow_negative:
        raise ApplicationError(
            _("%(label)s cannot be negative.") % {"label": label.capitalize()}, field=field
        )
    if _decimals(value) > decimals:
        if decimals == 0:
            message = _("%(label)s takes no decimals.") % {"label": label.capitalize()}
        else:
            message = _("%(label)s takes at most %(n)d decimals.") % {
                "label": label.capitalize(),
                "n": decimals,
            }
        raise ApplicationError(message, field=field)
    if _whole_digits(value) > whole_digits:
        raise ApplicationError(
            _("%(label)s has too many digits: at most %(n)d before the decimal point.")
            % {"label": label.capitalize(), "n": whole_digits},
            field=field,
        )
    return value.quantize(_quantum(decimals))


def parse_amount(
    raw: Decimal | int | str | None,
    *,
    currency: str,
    field: FieldRef = "amount",
    allow_negative: bool = False,
    blank_is_zero: bool = False,
    label: StrOrPromise | None = None,
) -> Decimal:
    """User input to an amount of `currency`, or ApplicationError(field=field).

    Refuses non-numbers, more decimals than the currency has ("10.001" EUR, "5.5" JPY), more
    than 12 digits before the point, and negatives unless allowed. Never rounds silently.
    """
    return _parse(
        raw,
        field=field,
        decimals=minor_units(check_currency(currency)),
        whole_digits=MONEY_MAX_WHOLE_DIGITS,
        allow_negative=allow_negative,
        allow_blank_as_zero=blank_is_zero,
        label=label or AMOUNT_LABEL,
    )


def parse_unit_price(
    raw: Decimal | int | str | None, *, currency: str, field: FieldRef = "unit_price"
) -> Decimal:
    """A net unit price (EN 16931 BT-146): never negative (BR-27), up to 6 decimals whatever
    the currency ("0.00880" EUR per kWh), at most 12 digits before the point."""
    check_currency(currency)
    return _parse(
        raw,
        field=field,
        decimals=UNIT_PRICE_DECIMAL_PLACES,
        whole_digits=MONEY_MAX_WHOLE_DIGITS,
        allow_negative=False,
        allow_blank_as_zero=False,
        label=UNIT_PRICE_LABEL,
    )


def parse_quantity(
    raw: Decimal | int | str | None, *, field: FieldRef = "quantity", allow_negative: bool = False
) -> Decimal:
    """A quantity with at most 4 decimals and 8 digits before the point; negative only where
    allowed (a returned item is a line with a negative quantity, EN 16931 BT-129)."""
    return _parse(
        raw,
        field=field,
        decimals=QUANTITY_DECIMAL_PLACES,
        whole_digits=QUANTITY_MAX_DIGITS - QUANTITY_DECIMAL_PLACES,
        allow_negative=allow_negative,
        allow_blank_as_zero=False,
        label=QUANTITY_LABEL,
    )


def parse_percentage(raw: Decimal | int | str | None, *, field: FieldRef = "percentage") -> Decimal:
    """A percentage from 0 to 100 with at most 4 decimals."""
    value = _parse(
        raw,
        field=field,
        decimals=PERCENT_DECIMAL_PLACES,
        whole_digits=PERCENT_MAX_DIGITS - PERCENT_DECIMAL_PLACES,
        allow_negative=False,
        allow_blank_as_zero=False,
        label=PERCENTAGE_LABEL,
    )
    if value > HUNDRED:
        raise ApplicationError(_("The percentage cannot exceed 100."), field=field)
    return value


def check_fits(amount: Decimal, *, field: FieldRef) -> Decimal:
    """ApplicationError if a computed amount would not fit the database's money columns."""
    if _whole_digits(amount) > MONEY_MAX_WHOLE_DIGITS:
        raise ApplicationError(
            _("The amount is too large: at most %(n)d digits before the decimal point.")
            % {"n": MONEY_MAX_WHOLE_DIGITS},
            field=field,
        )
    return amount


def format_money(amount: Decimal, currency: str, locale: str = "en") -> str:
    """`amount` for people, in `locale`'s conventions: "€1,234.50", "1 234,500 KWD", "¥1,500".

    Babel gives the locale's pattern and symbols; the number of decimals is the ISO 4217
    minor unit (Babel's own `currency_digits` are CLDR's: "RSD 100" for 99.99 RSD).
    """
    reject_float(amount)
    digits = minor_units(currency)
    return _currency_pattern(locale.replace("-", "_") or "en", digits).apply(
        quantize_money(amount, currency),
        Locale.parse(locale.replace("-", "_") or "en"),
        currency=currency,
        currency_digits=False,
    )


@lru_cache(maxsize=256)
def _currency_pattern(locale: str, digits: int) -> NumberPattern:
    pattern = copy.copy(Locale.parse(locale).currency_formats["standard"])
    pattern.frac_prec = (digits, digits)
    return pattern


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Integer minor units (cents) for payment processors' APIs: only at that boundary."""
    quantized = quantize_money(amount, currency)
    if quantized != amount:
        raise ValueError(f"{amount} {currency} is not a whole number of minor units.")
    return int(quantized.scaleb(minor_units(currency)))


def from_minor_units(value: int, currency: str) -> Decimal:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("Minor units are an int.")
    return quantize_money(Decimal(value).scaleb(-minor_units(currency)), currency)


def price_text(price: Decimal, currency: str) -> str:
    """A net or gross unit price as text: the currency's decimals ("1200.00"), or more when
    the price has them ("0.00880" EUR stays "0.0088"), never an exponent."""
    money = quantize_money(price, currency)
    if money == price:
        return format(money, "f")
    return format(price.normalize(), "f")
