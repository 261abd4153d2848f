"""The money module: minor units from ISO 4217, one rounding mode, strict parsing, no floats."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from core.errors import ApplicationError
from invoices import money
from invoices.money import (
    format_money,
    from_minor_units,
    minor_units,
    parse_amount,
    parse_percentage,
    parse_quantity,
    quantize_money,
    to_minor_units,
)


@pytest.mark.parametrize(
    ("currency", "digits"),
    [("EUR", 2), ("USD", 2), ("JPY", 0), ("KRW", 0), ("KWD", 3), ("BHD", 3), ("TND", 3), ("CLF", 4)],
)
def test_minor_units_come_from_iso_4217(currency: str, digits: int) -> None:
    assert minor_units(currency) == digits


def test_minor_units_are_iso_4217s_own_list() -> None:
    # Every code and minor unit comes from SIX's list as published, not a table written here.
    import iso4217

    listed = {
        code: int(entry["CcyMnrUnts"])
        for code, entry in iso4217.raw_table.items()
        if (entry["CcyMnrUnts"] or "").isdigit()
    }
    assert {code: minor_units(code) for code in money.currencies()} == listed
    assert money.ISO4217_PUBLISHED.year >= 2026


@pytest.mark.parametrize(("currency", "digits"), [("RSD", 2), ("IQD", 3), ("LYD", 3), ("UYW", 4), ("ISK", 0)])
def test_minor_units_differ_from_cldr_where_iso_says_so(currency: str, digits: int) -> None:
    # CLDR (Babel) says RSD 0 and IQD 0: "99.99 RSD" and "1.500 IQD" were refused.
    assert minor_units(currency) == digits


def test_amounts_of_rsd_and_iqd_are_taken_and_shown_at_iso_precision() -> None:
    assert parse_amount("99.99", currency="RSD") == Decimal("99.99")
    assert parse_amount("1.500", currency="IQD") == Decimal("1.500")
    assert format_money(Decimal("99.99"), "RSD") == "RSD99.99"
    assert format_money(Decimal("1.5"), "IQD", "de") == "1,500\xa0IQD"


@pytest.mark.parametrize(
    "code", ["DEM", "FRF", "XTS", "XXX", "XAU", "XAG", "XDR", "XBA", "VEF", "eur", "EURO"]
)
def test_withdrawn_and_non_currency_codes_are_refused(code: str) -> None:
    # DEM and FRF left ISO 4217 in 2002; XTS/XXX/metals/SDR/bond units have no minor unit:
    # nothing is invoiced in them.
    assert not money.is_currency(code)
    with pytest.raises(ApplicationError) as error:
        money.check_currency(code)
    assert error.value.field == "currency"


def test_unknown_currency_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown currency"):
        minor_units("EURO")
    with pytest.raises(ApplicationError) as error:
        parse_amount("1", currency="ZZZ")
    assert error.value.field == "currency"


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("0.005", "EUR", "0.01"),
        ("0.015", "EUR", "0.02"),  # half-even would give 0.02 too; the next one tells them apart
        ("0.025", "EUR", "0.03"),  # half-even: 0.02
        ("-0.005", "EUR", "-0.01"),  # half away from zero, symmetric for credits
        ("2.5", "JPY", "3"),  # half-even: 2
        ("1499.4999", "JPY", "1499"),
        ("0.0125", "KWD", "0.013"),  # half-even: 0.012
        ("1.0005", "BHD", "1.001"),
        ("10", "KWD", "10.000"),
        ("-0.001", "EUR", "0.00"),  # never a negative zero
    ],
)
def test_quantize_money_rounds_half_up_to_the_minor_unit(amount: str, currency: str, expected: str) -> None:
    result = quantize_money(Decimal(amount), currency)
    assert str(result) == expected


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_no_float_ever_enters(value: float) -> None:
    with pytest.raises(TypeError):
        quantize_money(value, "EUR")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        parse_amount(value, currency="EUR")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        parse_quantity(value)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        parse_percentage(value)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        money.to_decimal(value)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        format_money(value, "EUR")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "currency", "expected"),
    [
        ("12.5", "EUR", "12.50"),
        ("0.5", "EUR", "0.50"),
        ("1500", "JPY", "1500"),
        ("1.250", "KWD", "1.250"),
        (Decimal("3.10"), "USD", "3.10"),
        (7, "EUR", "7.00"),
        ("999999999999.99", "EUR", "999999999999.99"),
    ],
)
def test_parse_amount_accepts_exact_amounts(raw: object, currency: str, expected: str) -> None:
    assert str(parse_amount(raw, currency=currency)) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "currency", "message"),
    [
        ("abc", "EUR", "is not a number"),
        ("12,50", "EUR", "is not a number"),
        ("NaN", "EUR", "is not a number"),
        ("Infinity", "EUR", "is not a number"),
        ("", "EUR", "Enter the amount"),
        ("10.001", "EUR", "at most 2 decimals"),
        ("5.5", "JPY", "takes no decimals"),
        ("1.0001", "KWD", "at most 3 decimals"),
        ("1000000000000", "EUR", "too many digits"),
        ("-1", "EUR", "cannot be negative"),
        # Decimal() takes all of these; the API's published pattern takes none.
        ("1e3", "EUR", "is not a number"),
        ("1E3", "EUR", "is not a number"),
        ("1_000", "EUR", "is not a number"),
        ("+12", "EUR", "is not a number"),
        (".5", "EUR", "is not a number"),
        ("5.", "EUR", "is not a number"),
        (" 12.50 ", "EUR", "is not a number"),
        ("\u0661\u0662", "EUR", "is not a number"),  # Arabic-Indic digits
        ("\uff11\uff12", "EUR", "is not a number"),  # full-width digits
        ("12\n", "EUR", "is not a number"),
        ("--1", "EUR", "is not a number"),
    ],
)
def test_parse_amount_refuses_bad_input_with_a_field_level_message(
    raw: str, currency: str, message: str
) -> None:
    with pytest.raises(ApplicationError) as error:
        parse_amount(raw, currency=currency, field=("lines", 0, "unit_price"))
    assert message in error.value.message
    assert error.value.path == ("lines", 0, "unit_price")


def test_trailing_zeros_are_not_over_precise() -> None:
    assert parse_amount("10.500000", currency="EUR") == Decimal("10.50")
    assert parse_amount("1500.00", currency="JPY") == Decimal(1500)


def test_quantities_take_four_decimals_and_eight_digits() -> None:
    assert parse_quantity("0.3333") == Decimal("0.3333")
    with pytest.raises(ApplicationError, match="at most 4 decimals"):
        parse_quantity("0.33333")
    with pytest.raises(ApplicationError, match="too many digits"):
        parse_quantity("123456789")
    with pytest.raises(ApplicationError, match="cannot be negative"):
        parse_quantity("-1")


def test_negative_quantities_are_taken_only_where_allowed() -> None:
    assert parse_quantity("-2.5", allow_negative=True) == Decimal("-2.5000")
    with pytest.raises(ApplicationError, match="cannot be negative"):
        parse_quantity("-2.5")


def test_unit_prices_take_six_decimals_whatever_the_currency() -> None:
    assert money.parse_unit_price("0.00880", currency="EUR") == Decimal("0.008800")
    assert money.parse_unit_price("0.123456", currency="JPY") == Decimal("0.123456")
    with pytest.raises(ApplicationError, match="at most 6 decimals"):
        money.parse_unit_price("0.1234567", currency="EUR")
    with pytest.raises(ApplicationError, match="cannot be negative"):
        money.parse_unit_price("-1", currency="EUR")  # EN 16931 BR-27
    with pytest.raises(ApplicationError, match="is not a number"):
        money.parse_unit_price("1e-3", currency="EUR")


@given(st.text(max_size=12))
def test_only_strict_decimal_strings_parse(text: str) -> None:
    import re

    strict = re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", text, re.ASCII) is not None
    try:
        money.parse_decimal_string(text)
    except ValueError:
        assert not strict
    else:
        assert strict


def test_percentages_are_bounded() -> None:
    assert parse_percentage("9.975") == Decimal("9.9750")
    with pytest.raises(ApplicationError, match="cannot exceed 100"):
        parse_percentage("100.01")
    with pytest.raises(ApplicationError, match="at most 4 decimals"):
        parse_percentage("5.00001")


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        ("1234.5", "EUR", "en", "€1,234.50"),
        ("1234.5", "EUR", "fr_FR", "1\u202f234,50\xa0€"),
        ("1500", "JPY", "en", "¥1,500"),
        ("1234.5", "KWD", "en", "KWD1,234.500"),
        ("0.005", "EUR", "de-DE", "0,01\xa0€"),
    ],
)
def test_format_money_uses_the_locale_and_the_minor_unit(
    amount: str, currency: str, locale: str, expected: str
) -> None:
    assert format_money(Decimal(amount), currency, locale) == expected


@given(st.integers(min_value=-(10**12), max_value=10**12), st.sampled_from(["EUR", "JPY", "KWD", "CLF"]))
def test_minor_unit_conversion_round_trips(cents: int, currency: str) -> None:
    assert to_minor_units(from_minor_units(cents, currency), currency) == cents


def test_minor_unit_conversion_refuses_fractions_of_a_cent() -> None:
    with pytest.raises(ValueError, match="whole number of minor units"):
        to_minor_units(Decimal("1.005"), "EUR")


def test_labels_are_said_in_the_language_active_when_the_message_is_made() -> None:
    # The labels are translated lazily (a long invoice parses thousands of numbers), so the
    # language is the one of the refusal, not the one active when the module was imported.
    for language, quantity, amount in (
        ("fr", "La quantité", "le montant"),
        ("en", "The quantity", "the amount"),
    ):
        with translation.override(language):
            with pytest.raises(ApplicationError) as error:
                parse_quantity("0.33333")
            assert error.value.message.startswith(quantity)
            with pytest.raises(ApplicationError) as error:
                parse_amount("", currency="EUR")
            assert amount in error.value.message
