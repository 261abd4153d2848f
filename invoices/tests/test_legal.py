"""What an invoice must state, per seller country and transaction (EU, UK, CH, US, CA)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from invoices.legal import missing_fields, required_fields


def names(**kwargs: object) -> set[str]:
    return {need.name for need in required_fields(**kwargs)}  # type: ignore[arg-type]


def test_eu_domestic_b2b() -> None:
    assert names(seller_country="DE", buyer_country="DE", buyer_is_business=True, vat_categories={"S"}) == {
        "seller.name",
        "seller.address",
        "seller.vat_id",
        "buyer.name",
        "buyer.address",
    }


def test_eu_intra_community_and_reverse_charge_need_the_buyers_vat_id_and_a_reason() -> None:
    intra = names(seller_country="FR", buyer_country="DE", buyer_is_business=True, vat_categories={"K"})
    assert {"buyer.vat_id", "seller.vat_id", "exemption_reason.K"} <= intra
    reverse = names(seller_country="BE", buyer_country="BE", buyer_is_business=True, vat_categories={"AE"})
    assert {"buyer.vat_id", "exemption_reason.AE"} <= reverse
    consumer = names(seller_country="FR", buyer_country="DE", buyer_is_business=False, vat_categories={"S"})
    assert "buyer.vat_id" not in consumer


def test_eu_exempt_and_outside_scope() -> None:
    exempt = names(seller_country="IT", buyer_country="IT", buyer_is_business=False, vat_categories={"E"})
    assert "exemption_reason.E" in exempt
    outside = names(seller_country="DE", buyer_country="US", buyer_is_business=True, vat_categories={"O"})
    assert "seller.vat_id" not in outside  # BR-O-02..04
    assert "exemption_reason.O" in outside


def test_uk_and_switzerland() -> None:
    assert "seller.vat_id" in names(
        seller_country="GB", buyer_country="GB", buyer_is_business=True, vat_categories={"S"}
    )
    assert "buyer.vat_id" in names(
        seller_country="GB", buyer_country="GB", buyer_is_business=True, vat_categories={"AE"}
    )
    swiss = names(seller_country="CH", buyer_country="CH", buyer_is_business=False, vat_categories={"S"})
    assert {"seller.vat_id", "buyer.name", "buyer.address"} <= swiss


def test_us_sales_tax_needs_no_vat_id() -> None:
    us = names(seller_country="US", buyer_country="US", buyer_is_business=True, vat_categories={"S"})
    assert not any("vat_id" in name for name in us)
    assert {"seller.name", "buyer.name"} <= us


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        (Decimal("29.99"), {"seller.name"}),
        (Decimal(30), {"seller.name", "seller.vat_id"}),
        (Decimal(150), {"seller.name", "seller.vat_id", "buyer.name"}),
    ],
)
def test_canada_grows_with_the_amount(total: Decimal, expected: set[str]) -> None:
    assert (
        names(
            seller_country="CA", buyer_country="CA", buyer_is_business=True, vat_categories={"S"}, total=total
        )
        == expected
    )


def test_missing_fields_are_named_in_order() -> None:
    required = required_fields(
        seller_country="FR", buyer_country="DE", buyer_is_business=True, vat_categories={"K"}
    )
    facts = {
        "seller.name": "ACME SARL",
        "seller.address": "1 rue X",
        "seller.vat_id": "FR40303265045",
        "buyer.name": "B",
    }
    missing = missing_fields(required, facts)
    assert [need.name for need in missing] == ["buyer.address", "buyer.vat_id", "exemption_reason.K"]
    assert str(missing[1]) == "The client's VAT number"
    assert all(need.basis for need in missing)


def test_unknown_countries_are_refused() -> None:
    with pytest.raises(ValueError, match="No invoice requirements"):
        required_fields(seller_country="BR", buyer_country="BR", buyer_is_business=True, vat_categories=())
