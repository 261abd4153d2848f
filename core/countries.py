"""Country facts more than one app needs, stated once."""

from __future__ import annotations

# The European Union's member states by ISO 3166-1 alpha-2 code (Greece is GR here; its VAT
# numbers carry the prefix EL). Since 2020-02-01, without the United Kingdom.
EU_MEMBER_STATES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ]
)
