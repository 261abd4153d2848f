"""Which formats a document is offered in."""

from __future__ import annotations

from dataclasses import replace

import pytest

from einvoicing.formats import applicable_formats, is_leitweg_id
from einvoicing.model import Address
from einvoicing.syntax import Format
from einvoicing.tests.matrix import matrix


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("04011000-1234512345-06", True),  # KoSIT's own example
        ("04011000-1234512345-07", False),  # wrong check digits
        ("991-12345-73", True),
        ("04011000-45", True),  # no fine address
        ("04011000-ABC-1", False),
        ("PO-2026-117", False),
        ("", False),
    ],
)
def test_leitweg_ids(text: str, valid: bool) -> None:
    assert is_leitweg_id(text) is valid


def test_a_german_public_buyer_gets_xrechnung() -> None:
    invoice = matrix()["standard-rate"]
    assert applicable_formats(invoice) == tuple(Format)
    private = replace(invoice, buyer_reference="PO-2026-117")
    assert applicable_formats(private) == (Format.UBL, Format.CII, Format.FACTURX)


def test_facturx_is_on_by_default_in_the_eu_and_follows_the_setting() -> None:
    invoice = replace(matrix()["standard-rate"], buyer_reference="")
    outside = replace(
        invoice, seller=replace(invoice.seller, address=Address(country_code="CH", city="Zürich"))
    )
    assert Format.FACTURX in applicable_formats(invoice)
    assert Format.FACTURX not in applicable_formats(outside)
    assert Format.FACTURX not in applicable_formats(invoice, facturx=False)
    assert Format.FACTURX in applicable_formats(outside, facturx=True)
