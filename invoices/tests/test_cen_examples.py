"""The official CEN EN 16931 example invoices, recomputed by the engine to the cent.

Each UBL file in `data/cen/` is read with lxml into engine inputs (lines with their prices,
base quantities, allowances and charges; document-level allowances and charges with their
VAT category; the prepaid amount), and every figure the file states is checked: each line's
net amount, the line total, allowance and charge totals, tax-exclusive total, VAT total,
grand total, prepaid amount, rounding amount and amount due, and each VAT breakdown line's
taxable amount and tax. One test per file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from invoices.tests.cen import (
    DATA,
    ERRATA,
    FILES,
    NS,
    PRICE_ERRATA,
    D,
    amount,
    compute,
    is_charge,
    read,
    text,
)


def test_every_example_is_here() -> None:
    assert [path.name for path in FILES] == [
        "ubl-tc434-creditnote1.xml",
        *(f"ubl-tc434-example{n}.xml" for n in (1, 10, 2, 3, 4, 5, 6, 7, 8, 9)),
    ]
    assert (DATA / "LICENSE-EUPL-1.2.txt").is_file()


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_example_totals_to_the_cent(path: Path) -> None:
    example = read(path)
    totals = compute(example)
    stated = example.root.find("cac:LegalMonetaryTotal", NS)

    for (line_id, node, line), result in zip(example.lines, totals.lines, strict=True):
        assert result.net_amount == amount(node, "cbc:LineExtensionAmount"), f"line {line_id}"
        for item_node, item in zip(
            node.findall("cac:AllowanceCharge", NS), result.allowances_charges, strict=True
        ):
            assert item.amount == amount(item_node, "cbc:Amount"), f"line {line_id} allowance/charge"
        price_node = node.find("cac:Price/cac:AllowanceCharge", NS)
        if price_node is not None:
            stated_discount = amount(price_node, "cbc:Amount")
            assert (line.price_discount == stated_discount) is ((path.name, line_id) not in PRICE_ERRATA)

    for (node, _), result in zip(example.document, totals.document_allowances_charges, strict=True):
        assert result.amount == amount(node, "cbc:Amount")
        if node.find("cbc:BaseAmount", NS) is not None:
            assert result.base_amount == amount(node, "cbc:BaseAmount")

    assert totals.line_total == amount(stated, "cbc:LineExtensionAmount")  # BT-106
    assert totals.allowance_total == amount(stated, "cbc:AllowanceTotalAmount", "0")  # BT-107
    assert totals.charge_total == amount(stated, "cbc:ChargeTotalAmount", "0")  # BT-108
    assert totals.tax_exclusive_amount == amount(stated, "cbc:TaxExclusiveAmount")  # BT-109
    assert totals.tax_inclusive_amount == amount(stated, "cbc:TaxInclusiveAmount")  # BT-112
    assert totals.prepaid_amount == amount(stated, "cbc:PrepaidAmount", "0")  # BT-113
    assert totals.rounding_amount == amount(stated, "cbc:PayableRoundingAmount", "0")  # BT-114
    assert totals.amount_due == amount(stated, "cbc:PayableAmount")  # BT-115

    tax_totals = [
        node
        for node in example.root.findall("cac:TaxTotal", NS)
        if node.find("cac:TaxSubtotal", NS) is not None
    ]
    assert len(tax_totals) == 1
    assert totals.tax_total == amount(tax_totals[0], "cbc:TaxAmount")  # BT-110
    stated_breakdown = {
        (text(sub, "cac:TaxCategory/cbc:ID"), amount(sub, "cac:TaxCategory/cbc:Percent", "0").normalize()): (
            amount(sub, "cbc:TaxableAmount"),
            amount(sub, "cbc:TaxAmount"),
        )
        for sub in tax_totals[0].findall("cac:TaxSubtotal", NS)
    }
    assert {tax.rate.key: (tax.taxable_base, tax.tax_amount) for tax in totals.taxes} == stated_breakdown


@pytest.mark.parametrize(("name", "line_id"), sorted(ERRATA))
def test_each_erratum_is_needed(name: str, line_id: str) -> None:
    # The stated quantity really cannot give the stated net: the erratum is not hiding an
    # engine error.
    root = etree.parse(str(DATA / name)).getroot()
    node = next(line for line in root.findall("cac:InvoiceLine", NS) if text(line, "cbc:ID") == line_id)
    stated_quantity = amount(node, "cbc:InvoicedQuantity")
    price = amount(node, "cac:Price/cbc:PriceAmount")
    implied_quantity, _why = ERRATA[(name, line_id)]
    stated_net = amount(node, "cbc:LineExtensionAmount")
    charges = sum(
        (
            amount(item, "cbc:Amount") * (1 if is_charge(item) else -1)
            for item in node.findall("cac:AllowanceCharge", NS)
        ),
        D(0),
    )
    assert stated_quantity * price + charges != stated_net
    assert implied_quantity * price + charges == stated_net
