"""The proof matrix of issue #17: invoices covering what EN 16931 asks of us, each a model instance."""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import date

from einvoicing.model import (
    Address,
    Delivery,
    DirectDebit,
    DocumentType,
    ElectronicAddress,
    Identifier,
    Invoice,
    Item,
    ItemAttribute,
    Note,
    Payee,
    PaymentInstructions,
    Period,
    PrecedingInvoice,
)
from einvoicing.tests.builders import (
    BUYER,
    D,
    doc_allowance,
    line_allowance,
    make_invoice,
    make_line,
)

FRENCH_BUYER = replace(
    BUYER,
    name="Atelier Lumière SARL",
    address=Address(country_code="FR", line1="12 rue de la Paix", city="Paris", postal_code="75002"),
    vat_id="FR23334175221",
    electronic_address=ElectronicAddress("FR23334175221", "9957"),
)
US_BUYER = replace(
    BUYER,
    name="Lakeside Analytics Inc.",
    address=Address(
        country_code="US", line1="1 Main Street", city="Chicago", postal_code="60601", subdivision="IL"
    ),
    vat_id="",
    electronic_address=ElectronicAddress("123456789", "0060"),
)
JAPANESE_BUYER = replace(
    US_BUYER,
    name="Sakura Trading KK",
    address=Address(country_code="JP", line1="1-1 Marunouchi", city="Tokyo", postal_code="100-0005"),
)
HUNGARIAN_BUYER = replace(
    BUYER,
    name="Duna Kft.",
    address=Address(country_code="HU", line1="Váci utca 1", city="Budapest", postal_code="1052"),
    vat_id="HU12345676",
    electronic_address=ElectronicAddress("HU12345676", "9910"),
)


def _lines(count: int, *, currency: str = "EUR", price: str = "12.34", rate: str = "19") -> list:
    return [
        make_line(str(i), str(1 + i % 7), price, currency=currency, rate=rate) for i in range(1, count + 1)
    ]


def _all() -> dict[str, Invoice]:
    invoices = {
        "standard-rate": make_invoice("MX-01", [make_line("1", "2", "100.00"), make_line("2", "5", "19.99")]),
        "several-rates": make_invoice(
            "MX-02",
            [
                make_line("1", "3", "50.00", rate="19"),
                make_line("2", "10", "2.49", rate="7", unit="KGM"),
                make_line("3", "1", "30.00", category="Z", rate="0"),
            ],
        ),
        "line-allowances-charges": make_invoice(
            "MX-03",
            [
                make_line("1", "10", "25.00", allowances=(line_allowance("12.50"),)),
                make_line("2", "4", "80.00", allowances=(line_allowance("15.00", charge=True),)),
                make_line(
                    "3",
                    "2",
                    "40.00",
                    allowances=(line_allowance("5.00"), line_allowance("2.50", charge=True)),
                ),
            ],
        ),
        "document-allowances-charges": make_invoice(
            "MX-04",
            [make_line("1", "8", "125.00"), make_line("2", "20", "3.75", rate="7")],
            allowances_charges=(
                doc_allowance(None, base="1000.00", percent="5"),
                doc_allowance("4.90", charge=True, rate="7"),
                doc_allowance("10.00", charge=True, reason="Insurance", code="ABK"),
            ),
        ),
        "zero-rated": make_invoice(
            "MX-05",
            [
                make_line("1", "4", "99.00", category="Z", rate="0"),
                make_line("2", "1", "5.00", category="Z", rate="0"),
            ],
        ),
        "exempt-vatex": make_invoice(
            "MX-06",
            [make_line("1", "12", "45.00", category="E", rate="0", unit="HUR", name="Training course")],
        ),
        "reverse-charge": make_invoice(
            "MX-07",
            [make_line("1", "1", "12500.00", category="AE", rate="0", name="Installation works")],
        ),
        "intra-community-supply": make_invoice(
            "MX-08",
            [
                make_line("1", "50", "18.00", category="K", rate="0"),
                make_line("2", "5", "120.00", category="K", rate="0"),
            ],
            buyer=FRENCH_BUYER,
            delivery=Delivery(
                party_name="Atelier Lumière - entrepôt",
                actual_date=date(2026, 11, 28),
                address=Address(
                    country_code="FR", line1="5 quai de Seine", city="Rouen", postal_code="76000"
                ),
            ),
        ),
        "export-outside-eu": make_invoice(
            "MX-09",
            [make_line("1", "3", "700.00", category="G", rate="0")],
            buyer=US_BUYER,
            currency="USD",
            tax_currency="EUR",
        ),
        "credit-note": make_invoice(
            "CN-01",
            [make_line("1", "2", "100.00"), make_line("2", "1", "15.00", rate="7")],
            type_code=DocumentType.CREDIT_NOTE,
            preceding_invoices=(PrecedingInvoice("MX-01", date(2026, 11, 15)),),
            notes=(Note("Credit for returned goods.", "AAI"),),
        ),
        "partially-prepaid": make_invoice(
            "MX-11", [make_line("1", "1", "2400.00"), make_line("2", "6", "150.00")], prepaid="1000.00"
        ),
        "rounding-amount": make_invoice(
            "MX-12", [make_line("1", "3", "3.33"), make_line("2", "1", "0.99")], rounding="0.01"
        ),
        "sub-cent-unit-prices": make_invoice(
            "MX-13",
            [
                make_line("1", "1000", "0.0125", name="API calls"),
                make_line("2", "2500", "0.3456", base_quantity="100", name="SMS (per 100)"),
                make_line("3", "7", "0.005", name="Storage GB-days"),
            ],
        ),
        "jpy": make_invoice(
            "MX-14",
            [
                make_line("1", "3", "1200", currency="JPY", rate="10"),
                make_line("2", "7", "333", currency="JPY", rate="8"),
            ],
            currency="JPY",
            buyer=JAPANESE_BUYER,
        ),
        "huf": make_invoice(
            "MX-15",
            [
                make_line("1", "4", "12500.00", currency="HUF", rate="27"),
                make_line("2", "1", "999.50", currency="HUF", rate="5"),
            ],
            currency="HUF",
            buyer=HUNGARIAN_BUYER,
        ),
        "thousand-lines": make_invoice("MX-16", _lines(1000)),
        "gross-price-discount": make_invoice(
            "MX-17",
            [
                make_line("1", "10", "90.00", gross_price="100.00"),
                make_line("2", "3", "8.50", gross_price="10.00", base_quantity="1"),
            ],
        ),
        "references-and-periods": make_invoice(
            "MX-18",
            [
                make_line(
                    "1",
                    "1",
                    "1500.00",
                    unit="MON",
                    period=Period(date(2026, 11, 1), date(2026, 11, 30)),
                    order_line_reference="7",
                    buyer_accounting_reference="4711-IT",
                    note="Hosting, November",
                    item=Item(
                        name="Managed hosting",
                        description="Two application servers, one database",
                        seller_id="HOST-M",
                        buyer_id="B-993",
                        standard_id=Identifier("4006381333931", "0160"),
                        classifications=(Identifier("72510000", "STI"),),
                        origin_country="DE",
                        attributes=(ItemAttribute("Region", "eu-central"),),
                    ),
                )
            ],
            invoicing_period=Period(date(2026, 11, 1), date(2026, 11, 30)),
            purchase_order_reference="PO-2026-117",
            sales_order_reference="SO-88",
            contract_reference="CT-2025-4",
            project_reference="PRJ-9",
            despatch_advice_reference="DA-1",
            receiving_advice_reference="RA-1",
            tender_reference="LOT-3",
            buyer_accounting_reference="KST-100",
            notes=(Note("Thank you for your business."),),
        ),
        "direct-debit": make_invoice(
            "MX-19",
            [make_line("1", "1", "49.00")],
            payment=PaymentInstructions(
                means_code="59",
                means_text="SEPA direct debit",
                remittance_information="MX-19",
                direct_debit=DirectDebit("MANDATE-7", "DE98ZZZ09999999999", "DE75512108001245126199"),
            ),
        ),
        "payee-differs": make_invoice(
            "MX-20",
            [make_line("1", "2", "250.00")],
            payee=Payee("Factoring Bank AG", Identifier("FACT-1"), Identifier("HRB 999")),
        ),
        "mixed-categories-with-charges": make_invoice(
            "MX-21",
            [
                make_line("1", "2", "100.00"),
                make_line("2", "3", "40.00", category="E", rate="0"),
                make_line("3", "1", "10.00", rate="7", allowances=(line_allowance("1.00"),)),
            ],
            allowances_charges=(
                doc_allowance("5.00", category="E", rate="0", reason="Early booking"),
                doc_allowance("7.50", charge=True, reason="Handling", code="SAA"),
            ),
        ),
        "negative-line-and-quantity": make_invoice(
            "MX-22",
            [make_line("1", "5", "20.00"), make_line("2", "-1", "20.00", name="Returned unit")],
        ),
    }
    return invoices


@functools.cache
def matrix() -> dict[str, Invoice]:
    return _all()


def small_invoice(lines: int = 12) -> Invoice:
    """An n-line invoice for the benchmark and the fast tests."""
    return make_invoice(
        f"BENCH-{lines}",
        _lines(lines, price="17.25"),
        invoicing_period=Period(date(2026, 11, 1), date(2026, 11, 30)),
    )


__all__ = ["D", "matrix", "small_invoice"]
