"""Reading the official CEN EN 16931 example invoices (`data/cen/`, UBL) into engine inputs.

Shared by the engine's test (`test_cen_examples.py`) and the API's
(`api/tests/test_cen_examples_api.py`), so each file is read one way, with one list of errata.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from lxml import etree

from invoices.calculation import AllowanceCharge, LineInput, RateInput, Totals, calculate

DATA = Path(__file__).resolve().parent / "data" / "cen"
FILES = sorted(DATA.glob("*.xml"))
NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
}
D = Decimal

# Lines whose stated net amount (BT-131) their own quantity and price cannot give. EN 16931
# has no rule tying BT-131 to the price (Peppol's PEPPOL-EN16931-R120 does), so the CEN
# schematron accepts these; every total in the file is built on the stated net. The test
# reads the quantity that net implies, and checks that the stated quantity indeed fails.
ERRATA = {
    ("ubl-tc434-example1.xml", "20"): (D(-6), "a return: 6 x 18.33 stated as -109.98"),
    ("ubl-tc434-example10.xml", "20"): (D(-6), "a return: 6 x 18.33 stated as -109.98"),
    ("ubl-tc434-example2.xml", "1"): (D(1), "2 x 1273.00 stated as 1273.00"),
    ("ubl-tc434-example3.xml", "1"): (D(1), "2 x 800.00 stated as 800.00"),
    ("ubl-tc434-example3.xml", "2"): (D(1), "2 x 800.00 stated as 800.00"),
}
# Price details that contradict the net price (PEPPOL-EN16931-R046: net = gross - discount).
PRICE_ERRATA = {("ubl-tc434-example2.xml", "3"): "gross 2.70 - discount 0.27 = 2.43, not the net 2.48"}


def text(node: etree._Element, path: str) -> str | None:
    found = node.find(path, NS)
    return None if found is None or found.text is None else found.text.strip()


def amount(node: etree._Element, path: str, default: str | None = None) -> Decimal:
    value = text(node, path)
    if value is None:
        if default is None:
            raise AssertionError(f"{path} is missing")
        return D(default)
    return D(value)


def is_charge(node: etree._Element) -> bool:
    return text(node, "cbc:ChargeIndicator") in ("true", "1")


def rate(category_node: etree._Element) -> RateInput:
    code = text(category_node, "cbc:ID") or ""
    percentage = amount(category_node, "cbc:Percent", "0")
    return RateInput(key=(code, percentage.normalize()), percentage=percentage, category=code)


def allowance_charge(node: etree._Element, *, document: bool) -> AllowanceCharge:
    percentage = text(node, "cbc:MultiplierFactorNumeric")
    reason = text(node, "cbc:AllowanceChargeReason") or ""
    reason_code = text(node, "cbc:AllowanceChargeReasonCode") or ""
    rates = (rate(node.find("cac:TaxCategory", NS)),) if document else ()
    if percentage is not None:
        base = text(node, "cbc:BaseAmount")
        return AllowanceCharge(
            charge=is_charge(node),
            percentage=D(percentage),
            base_amount=D(base) if base is not None else None,
            rates=rates,
            reason=reason,
            reason_code=reason_code,
        )
    return AllowanceCharge(
        charge=is_charge(node),
        amount=amount(node, "cbc:Amount"),
        rates=rates,
        reason=reason,
        reason_code=reason_code,
    )


@dataclass
class Example:
    name: str
    root: etree._Element
    currency: str
    lines: list[tuple[str, etree._Element, LineInput]]
    document: list[tuple[etree._Element, AllowanceCharge]]
    prepaid: Decimal


def read(path: Path) -> Example:
    root = etree.parse(str(path)).getroot()
    currency = text(root, "cbc:DocumentCurrencyCode") or ""
    lines = []
    for node in root.findall("cac:InvoiceLine", NS) + root.findall("cac:CreditNoteLine", NS):
        line_id = text(node, "cbc:ID") or ""
        quantity = (
            amount(node, "cbc:InvoicedQuantity")
            if node.find("cbc:InvoicedQuantity", NS) is not None
            else (amount(node, "cbc:CreditedQuantity"))
        )
        if (path.name, line_id) in ERRATA:
            quantity = ERRATA[(path.name, line_id)][0]
        net_price = amount(node, "cac:Price/cbc:PriceAmount")
        price_discount = node.find("cac:Price/cac:AllowanceCharge", NS)
        gross = None
        if price_discount is not None:
            stated_gross = text(price_discount, "cbc:BaseAmount")
            gross = D(stated_gross) if stated_gross else net_price + amount(price_discount, "cbc:Amount")
        lines.append(
            (
                line_id,
                node,
                LineInput(
                    quantity=quantity,
                    unit_price=net_price,
                    base_quantity=amount(node, "cac:Price/cbc:BaseQuantity", "1"),
                    gross_price=gross,
                    rates=(rate(node.find("cac:Item/cac:ClassifiedTaxCategory", NS)),),
                    allowances_charges=tuple(
                        allowance_charge(item, document=False)
                        for item in node.findall("cac:AllowanceCharge", NS)
                    ),
                ),
            )
        )
    document = [
        (node, allowance_charge(node, document=True)) for node in root.findall("cac:AllowanceCharge", NS)
    ]
    prepaid = amount(root, "cac:LegalMonetaryTotal/cbc:PrepaidAmount", "0")
    return Example(path.name, root, currency, lines, document, prepaid)


def compute(example: Example) -> Totals:
    return calculate(
        [line for _, _, line in example.lines],
        example.currency,
        allowances_charges=[item for _, item in example.document],
        prepaid_amount=example.prepaid,
    )
