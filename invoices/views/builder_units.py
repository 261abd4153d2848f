"""The units a builder line offers (UN/ECE Recommendation 20 with 21, BT-130).

The full list has some 2,000 codes: the page offers the common ones in a <datalist> (typing
"hour" finds HUR, as a browser matches an option's label too), and the service checks any
code typed against the full list (`invoices.codelists.units`), so an unknown one is a clear
line error.
"""

from __future__ import annotations

from invoices import codelists

COMMON_UNIT_CODES = (
    "C62",  # one (piece, unit)
    "H87",  # piece
    "EA",  # each
    "SEC",
    "MIN",
    "HUR",
    "DAY",
    "WEE",
    "MON",
    "ANN",
    "KGM",
    "GRM",
    "TNE",
    "MTR",
    "KMT",
    "CMT",
    "MMT",
    "MTK",
    "MTQ",
    "LTR",
    "MLT",
    "KWH",
    "KWT",
    "SET",
    "PR",
    "XBX",  # box
    "XPK",  # package
    "XPA",  # packet
    "XBO",  # bottle
    "XPX",  # pallet
    "LS",  # lump sum
    "E48",  # service unit
    "P1",  # percent
)


def unit_options() -> list[tuple[str, str]]:
    """(code, name) of the common units, as the list has them."""
    units = codelists.units()
    return [(code, units.name(code)) for code in COMMON_UNIT_CODES if code in units]
