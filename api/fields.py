"""Serializer fields for amounts: decimal strings in, decimal strings out, never floats.

Input: a string ("12.50", "1500") or an integer (12). A JSON number with a fraction or an
exponent (12.5, 1e3) is refused with a message: it would be a binary float in most clients'
JSON libraries before it ever reached us. The services parse the text against the currency's
minor unit (invoices.money.parse_amount), so "10.001" EUR is refused there, by field.
Output: the amount quantized to its currency ("12.30", "1500" for JPY), as a string.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.parsers import JsonFloat
from invoices.money import price_text, quantize_money

AMOUNT_PATTERN = r"^-?[0-9]{1,12}(\.[0-9]{1,4})?$"


@extend_schema_field(
    {
        "type": "string",
        "pattern": AMOUNT_PATTERN,
        "example": "120.00",
        "description": "A decimal string (an integer is accepted too); never a float.",
    }
)
class DecimalStringField(serializers.Field):
    """Keeps the client's text; the service parses it with the right precision."""

    default_error_messages = {
        "float": 'Send {name} as a decimal string such as "12.50" (or an integer): JSON numbers '
        "with a fraction are floats and are refused.",
        "invalid": 'Enter a number as a decimal string such as "12.50".',
    }

    def __init__(self, *, label_name: str = "amounts", **kwargs: Any) -> None:
        self.label_name = label_name
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, JsonFloat | float):
            self.fail("float", name=self.label_name)
        if isinstance(data, bool) or not isinstance(data, str | int):
            self.fail("invalid")
        text = str(data).strip()
        if len(text) > 40:
            self.fail("invalid")
        return text

    def to_representation(self, value: Any) -> str:
        return format(value, "f") if isinstance(value, Decimal) else str(value)


@extend_schema_field(OpenApiTypes.STR)
class MoneyOutField(serializers.Field):
    """An amount of the object's currency (attribute `currency`, or `currency_source`)."""

    def __init__(self, *, currency_source: str = "currency", **kwargs: Any) -> None:
        self.currency_source = currency_source
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> Any:
        currency = instance
        for part in self.currency_source.split("."):
            currency = getattr(currency, part)
        return (super().get_attribute(instance), currency)

    def to_representation(self, value: tuple[Decimal, str]) -> str:
        amount, currency = value
        return format(quantize_money(amount, currency), "f")


def plain_decimal(value: Decimal) -> str:
    """12.5000 → "12.5", 100.0000 → "100" (no exponent)."""
    normalized = value.normalize()
    return format(normalized, "f")


@extend_schema_field(OpenApiTypes.STR)
class PlainDecimalOutField(serializers.Field):
    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Decimal) -> str:
        return plain_decimal(value)


PRICE_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,6})?$"


@extend_schema_field(
    {
        "type": "string",
        "pattern": PRICE_PATTERN,
        "example": "0.008800",
        "description": "A unit price (EN 16931 BT-146/BT-148) as a decimal string, up to 6 decimals "
        "whatever the currency; never a float.",
    }
)
class PriceStringField(DecimalStringField):
    """A unit price in: like an amount, with up to 6 decimals (the service checks them)."""


@extend_schema_field({"type": "string", "nullable": True, "pattern": PRICE_PATTERN})
class PriceOutField(MoneyOutField):
    """A unit price out: the currency's decimals, or more when the price has them."""

    # None for a price not set yet, where the parent's amounts always have one: a wider
    # return than the parent's `str`, which mypy reports as an unsafe override.
    def to_representation(self, value: tuple[Decimal, str]) -> str | None:  # type: ignore[override]
        amount, currency = value
        return None if amount is None else price_text(amount, currency)
