"""Model instances for the tests, with their totals computed here, to the cent.

`make_line` and `make_invoice` do what the money engine will do in the integration step: each
line's net amount is quantity x price / base quantity ± its allowances and charges, rounded to
the currency's minor unit; each VAT breakdown is the sum of its lines and document allowances
and charges, its VAT the base x rate rounded; the totals follow BR-CO-10…16.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import get_currency_precision

from einvoicing.model import (
    Address,
    AllowanceCharge,
    Contact,
    CreditTransfer,
    DocumentType,
    ElectronicAddress,
    Identifier,
    Invoice,
    Item,
    Line,
    Party,
    PaymentInstructions,
    Totals,
    VatBreakdown,
)

D = Decimal
ZERO = D(0)

# Exemption reasons (BT-120/BT-121) per category; S and Z must not have one.
EXEMPTIONS = {
    "E": ("Exempt under Article 132 (1)(i) of Directive 2006/112/EC (education)", "VATEX-EU-132-1I"),
    "AE": ("Reverse charge", "VATEX-EU-AE"),
    "K": ("Intra-community supply", "VATEX-EU-IC"),
    "G": ("Export outside the EU", "VATEX-EU-G"),
    "O": ("Not subject to VAT", "VATEX-EU-O"),
}


def places(currency: str) -> int:
    return get_currency_precision(currency)


def money(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(D(1).scaleb(-places(currency)), rounding=ROUND_HALF_UP)


SELLER = Party(
    name="Nordlicht Software GmbH",
    trading_name="Nordlicht",
    address=Address(
        country_code="DE", line1="Friedrichstraße 123", line2="3. OG", city="Berlin", postal_code="10117"
    ),
    vat_id="DE123456789",
    tax_registration_id="29/815/08150",
    legal_registration=Identifier("HRB 123456"),
    legal_info="Amtsgericht Berlin-Charlottenburg, Geschäftsführerin: Anna Nord",
    electronic_address=ElectronicAddress("DE123456789", "9930"),
    contact=Contact(name="Anna Nord", phone="+49 30 1234567", email="billing@nordlicht.example"),
)

BUYER = Party(
    name="Bundesamt für Beispiele",
    address=Address(country_code="DE", line1="Beispielweg 1", city="Bonn", postal_code="53113"),
    vat_id="DE987654321",
    identifiers=(Identifier("BUYER-42"),),
    electronic_address=ElectronicAddress("04011000-1234512345-06", "0204"),
    contact=Contact(name="Max Muster", phone="+49 228 99999", email="rechnung@bfb.example"),
)

PAYMENT = PaymentInstructions(
    means_code="58",
    means_text="SEPA credit transfer",
    remittance_information="INV-2026-0001",
    credit_transfers=(CreditTransfer("DE02120300000000202051", "Nordlicht Software GmbH", "BYLADEM1001"),),
)


def make_line(
    line_id: str,
    quantity: str,
    price: str,
    *,
    currency: str = "EUR",
    category: str = "S",
    rate: str | None = "19",
    unit: str = "C62",
    name: str | None = None,
    allowances: tuple[AllowanceCharge, ...] = (),
    base_quantity: str | None = None,
    gross_price: str | None = None,
    **extra: object,
) -> Line:
    qty, net_price = D(quantity), D(price)
    base = D(base_quantity) if base_quantity else None
    adjustments = sum((ac.signed_amount for ac in allowances), ZERO)
    net_amount = money(qty * net_price / (base or D(1)) + adjustments, currency)
    gross = D(gross_price) if gross_price is not None else None
    item = extra.pop("item", None) or Item(name=name or f"Item {line_id}")
    return Line(
        id=line_id,
        quantity=qty,
        unit_code=unit,
        net_amount=net_amount,
        net_price=net_price,
        item=item,  # type: ignore[arg-type]
        vat_category=category,
        vat_rate=D(rate) if rate is not None else None,
        allowances_charges=allowances,
        base_quantity=base,
        base_quantity_unit_code=unit if base is not None else "",
        gross_price=gross,
        price_discount=(gross - net_price) if gross is not None else None,
        **extra,  # type: ignore[arg-type]
    )


def doc_allowance(
    amount: str | None,
    *,
    charge: bool = False,
    category: str = "S",
    rate: str | None = "19",
    base: str | None = None,
    percent: str | None = None,
    currency: str = "EUR",
    reason: str = "",
    code: str = "",
) -> AllowanceCharge:
    if amount is None:
        assert base is not None
        assert percent is not None
        value = money(D(base) * D(percent) / 100, currency)
    else:
        value = D(amount)
    return AllowanceCharge(
        is_charge=charge,
        amount=value,
        base_amount=D(base) if base else None,
        percentage=D(percent) if percent else None,
        reason=reason or ("Freight" if charge else "Discount"),
        reason_code=code or ("FC" if charge else "95"),
        vat_category=category,
        vat_rate=D(rate) if rate is not None else None,
    )


def line_allowance(amount: str, *, charge: bool = False, reason: str = "", code: str = "") -> AllowanceCharge:
    return AllowanceCharge(
        is_charge=charge,
        amount=D(amount),
        reason=reason or ("Packing" if charge else "Volume discount"),
        reason_code=code or ("ABL" if charge else "95"),
    )


def make_invoice(
    number: str,
    lines: list[Line] | tuple[Line, ...],
    *,
    currency: str = "EUR",
    type_code: DocumentType = DocumentType.COMMERCIAL_INVOICE,
    allowances_charges: tuple[AllowanceCharge, ...] = (),
    prepaid: str | None = None,
    rounding: str | None = None,
    seller: Party = SELLER,
    buyer: Party = BUYER,
    tax_currency: str = "",
    exchange_rate: str = "0.92",
    **extra: object,
) -> Invoice:
    """An invoice whose VAT breakdown and totals are computed from its lines."""
    bases: dict[tuple[str, Decimal | None], Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        bases[(line.vat_category, line.vat_rate)] += line.net_amount
    for ac in allowances_charges:
        bases[(ac.vat_category, ac.vat_rate)] += ac.signed_amount
    breakdown = []
    for (category, rate), base in bases.items():
        reason, code = EXEMPTIONS.get(category, ("", ""))
        breakdown.append(
            VatBreakdown(
                category=category,
                rate=rate,
                taxable_amount=base,
                tax_amount=money(base * (rate or ZERO) / 100, currency),
                exemption_reason=reason,
                exemption_reason_code=code,
            )
        )
    line_total = sum((line.net_amount for line in lines), ZERO)
    allowances = [ac.amount for ac in allowances_charges if not ac.is_charge]
    charges = [ac.amount for ac in allowances_charges if ac.is_charge]
    allowance_total = sum(allowances, ZERO) if allowances else None
    charge_total = sum(charges, ZERO) if charges else None
    tax_exclusive = line_total - (allowance_total or ZERO) + (charge_total or ZERO)
    tax_total = sum((b.tax_amount for b in breakdown), ZERO)
    tax_inclusive = tax_exclusive + tax_total
    prepaid_amount = D(prepaid) if prepaid else None
    rounding_amount = D(rounding) if rounding else None
    payable = tax_inclusive - (prepaid_amount or ZERO) + (rounding_amount or ZERO)
    defaults: dict[str, object] = {
        "due_date": date(2026, 12, 31),
        "payment_terms": "Payable within 30 days, no deduction.",
        "buyer_reference": "04011000-1234512345-06",
        "payment": replace(PAYMENT, remittance_information=number),
    }
    defaults.update(extra)
    return Invoice(
        number=number,
        issue_date=date(2026, 12, 1),
        type_code=type_code,
        currency=currency,
        seller=seller,
        buyer=buyer,
        lines=tuple(lines),
        vat_breakdown=tuple(breakdown),
        allowances_charges=allowances_charges,
        totals=Totals(
            line_total=line_total,
            allowance_total=allowance_total,
            charge_total=charge_total,
            tax_exclusive=tax_exclusive,
            tax_total=tax_total,
            tax_inclusive=tax_inclusive,
            prepaid=prepaid_amount,
            rounding=rounding_amount,
            payable=payable,
            tax_total_in_accounting_currency=(
                money(tax_total * D(exchange_rate), tax_currency) if tax_currency else None
            ),
        ),
        tax_currency=tax_currency,
        **defaults,  # type: ignore[arg-type]
    )
