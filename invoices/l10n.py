"""One way to write numbers, money and dates for people, on pages, PDFs and emails alike.

Everything goes through Babel (CLDR) in one locale: a French client's page, PDF and email all
read "31 déc. 2026" and "12,5". Client-facing output uses the client's language
(`document_language`), the app the workspace's; the template filters in
`invoices.templatetags.invoice_tags` format in the active language, so a view only has to
activate the right one (`translation.override`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from babel import Locale
from babel.core import UnknownLocaleError
from babel.dates import format_date
from babel.numbers import NumberFormatError, format_decimal, parse_decimal
from django.utils import translation

from invoices.money import format_money

# Languages the client-facing pages, emails and documents are translated into; a client
# speaking another prints in English with English conventions, so a page never mixes two.
DOCUMENT_LANGUAGES = ("en", "fr", "de", "es", "it", "nl", "pt")


@dataclass(frozen=True)
class Formatter:
    """Numbers, money and dates in one Babel locale ("fr", "fr_CA")."""

    locale: str

    def money(self, amount: Decimal | None, currency: str) -> str:
        return "" if amount is None else format_money(Decimal(amount), currency, self.locale)

    def number(self, value: Decimal | int | None) -> str:
        if value is None or value == "":
            return ""
        return format_decimal(Decimal(value).normalize(), locale=self.locale, decimal_quantization=False)

    def percent(self, value: Decimal | None) -> str:
        return "" if value is None else f"{self.number(value)} %"

    def country(self, code: str | None) -> str:
        return country_name(code, self.locale)

    def language(self, code: str | None) -> str:
        return language_name(code, self.locale)

    def date(self, value: date | None) -> str:
        return format_date(value, format="medium", locale=self.locale) if value else ""


PLAIN_DECIMAL = re.compile(r"[+-]?\d+(\.\d+)?")
WHITESPACE = re.compile(r"[\s\u00a0\u202f]")


def delocalize_decimal(text: str, locale: str) -> str:
    """A number typed as `locale` writes it ("5,5", "1 234,50" in French, "1.234,50" in
    German) as the plain decimal string the money module parses ("5.5", "1234.50"), its
    decimals kept so the money checks still apply. Plain digits with a point (what the app
    prefills, what the API takes) are read as they are; anything else unreadable comes back
    unchanged, for the money module's message."""
    if not text or PLAIN_DECIMAL.fullmatch(text):
        return text
    try:
        number = parse_decimal(WHITESPACE.sub("", text), locale=locale.replace("-", "_"), strict=True)
    except (NumberFormatError, ValueError):
        return text
    return f"{number:f}"


def country_name(code: str | None, locale: str) -> str:
    """ "FR" → "France" ("Frankreich" in German); an unknown code is shown as it is."""
    if not code:
        return ""
    return Locale.parse(locale).territories.get(code.upper(), code)


def language_name(code: str | None, locale: str) -> str:
    """ "fr" → "French", "fr-CA" → "French (Canada)", in `locale`; an unknown code as it is."""
    if not code:
        return ""
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(locale)
    except (ValueError, TypeError, UnknownLocaleError):
        return code
    return (name[:1].upper() + name[1:]) if name else code


def document_language(client_language: str | None) -> tuple[str, str]:
    """(Django language code, Babel locale) a client is written to in, from their language."""
    code = (client_language or "en").replace("_", "-")
    base = code.split("-")[0].lower()
    if base not in DOCUMENT_LANGUAGES:
        return "en", "en"
    region = code.split("-")[1].upper() if "-" in code else ""
    return base, f"{base}_{region}" if region else base


def active_formatter() -> Formatter:
    """The formatter of the active language (what `translation.override` set)."""
    return Formatter(translation.to_locale(translation.get_language() or "en"))
