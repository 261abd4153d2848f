"""VAT and registration numbers: format and check digits per country (python-stdnum)."""

from __future__ import annotations

import pytest

from core.errors import ApplicationError
from invoices.registration_ids import REGISTRATION_SCHEMES, validate_registration_id, validate_vat_id


@pytest.mark.parametrize(
    ("country", "number", "expected"),
    [
        ("DE", "DE 136 695 976", "DE136695976"),
        ("DE", "136695976", "DE136695976"),  # the prefix is added
        ("FR", "FR 40 303 265 045", "FR40303265045"),
        ("GR", "094259216", "EL094259216"),  # Greece's VAT prefix is EL
        ("NL", "NL004495445B01", "NL004495445B01"),
        ("GB", "GB 980 7806 84", "GB980780684"),
        ("CH", "CHE-116.281.710 MWST", "CHE116281710MWST"),
        ("AU", "83 914 571 673", "83914571673"),
        ("US", "04-2103594", "042103594"),
    ],
)
def test_valid_vat_numbers_are_compacted(country: str, number: str, expected: str) -> None:
    assert validate_vat_id(country, number) == expected


@pytest.mark.parametrize(
    ("country", "number", "reason"),
    [
        ("DE", "DE136695977", "check digits"),
        ("FR", "FR40303265046", "check digits"),
        ("GB", "GB980780685", "check digits"),
        ("CH", "CHE-116.281.711 MWST", "check digits"),
        ("DE", "DE12345", "number of characters"),
        ("DE", "", "Enter the VAT number"),
        ("BR", "123", "cannot be checked yet"),
    ],
)
def test_invalid_vat_numbers_name_the_reason(country: str, number: str, reason: str) -> None:
    with pytest.raises(ApplicationError) as error:
        validate_vat_id(country, number, field="seller_vat_id")
    assert reason in error.value.message
    assert error.value.field == "seller_vat_id"


def test_registration_schemes() -> None:
    assert validate_registration_id("FR:SIREN", "732 829 320") == "732829320"
    assert validate_registration_id("FR:SIRET", "732 829 320 00074") == "73282932000074"
    assert validate_registration_id("CH:UID", "CHE-100.155.212") == "CHE100155212"
    assert validate_registration_id("DK:CVR", "13585628") == "13585628"
    assert REGISTRATION_SCHEMES["FR:SIRET"].icd == "0009"
    with pytest.raises(ApplicationError, match="check digits"):
        validate_registration_id("FR:SIREN", "732 829 321")
    with pytest.raises(ApplicationError, match="Choose a registration scheme"):
        validate_registration_id("XX:NOPE", "1")
