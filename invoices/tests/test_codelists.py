"""The vendored code lists (UNCL 4461, 5189, 7161, 5305, VATEX, Rec 20/21) and unit search."""

from __future__ import annotations

from decimal import Decimal

import pytest

from invoices import codelists, vat


@pytest.mark.parametrize(
    ("loader", "count", "code", "name"),
    [
        (codelists.payment_means, 84, "58", "SEPA credit transfer"),
        (codelists.allowance_reasons, 19, "95", "Discount"),
        (codelists.charge_reasons, 178, "FC", "Freight service"),
        (codelists.units, 2162, "HUR", "hour"),
        (vat.vatex, 88, "VATEX-EU-AE", "Reverse charge"),
    ],
)
def test_lists_hold_the_validators_codes_with_names(loader, count: int, code: str, name: str) -> None:
    code_list = loader()
    assert len(code_list) == count
    assert code in code_list
    assert code_list.name(code) == name


def test_the_vat_categories_match_uncl5305() -> None:
    assert {code.code for code in codelists.load_code_list(codelists.VAT_CATEGORIES)} == set(vat.CATEGORIES)


def test_unnamed_codes_show_as_themselves_and_unknown_codes_are_refused() -> None:
    assert "10" in codelists.units()  # "group": accepted, no name vendored
    assert codelists.units().name("10") == "10"
    assert codelists.charge_reasons().name("DAC") == "DAC"
    with pytest.raises(ValueError, match="uncl5189"):
        codelists.allowance_reasons().check("FC")
    assert "FC" not in codelists.allowance_reasons()


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("HUR", "HUR"),
        ("hour", "HUR"),
        ("kilowatt h", "KWH"),
        ("kg", "KGM"),
        ("  Litre ", "LTR"),
        ("pallet", "XPX"),
    ],
)
def test_unit_search(query: str, first: str) -> None:
    found = codelists.search_units(query)
    assert found
    assert first in [unit.code for unit in found[:3]]


def test_unit_search_edges() -> None:
    assert codelists.search_units("") == []
    assert codelists.search_units("no such unit zz") == []
    assert len(codelists.search_units("a", limit=5)) == 5


def test_exemption_reason_text_from_vatex() -> None:
    assert vat.exemption_reason_text("VATEX-EU-IC") == "Intra-Community supply"
    assert vat.rate_problem("S", Decimal(0)) is not None  # BR-S-05
    assert vat.rate_problem("E", Decimal(5)) is not None  # BR-E-05
    assert vat.rate_problem("E", Decimal(0)) is None
