"""The EN 16931 semantic model: what an e-invoice says, independent of its syntax.

Each class and field is named after the business term it carries (BT-n a term, BG-n a group,
numbers from EN 16931-1:2017). The writers turn one `Invoice` into UBL or CII; the readers turn
either back into one. Amounts are `Decimal` in the document currency.

The model carries the totals it is given (the money engine computes them); it never recomputes
them. `Invoice.check_totals()` applies the standard's arithmetic rules (BR-CO-*) and says which
ones an inconsistent model breaks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum


class DocumentType(StrEnum):
    """BT-3, UNTDID 1001 (the codes EN 16931 allows and our writers handle)."""

    COMMERCIAL_INVOICE = "380"
    CREDIT_NOTE = "381"
    DEBIT_NOTE = "383"
    CORRECTED_INVOICE = "384"
    PREPAYMENT_INVOICE = "386"
    SELF_BILLED_INVOICE = "389"
    FACTORED_INVOICE = "393"
    PARTIAL_INVOICE = "326"
    PARTIAL_CONSTRUCTION_INVOICE = "875"
    PARTIAL_FINAL_CONSTRUCTION_INVOICE = "876"
    FINAL_CONSTRUCTION_INVOICE = "877"
    ACCOUNTING_INFORMATION = "751"
    GOODS_SERVICES_CREDIT_NOTE = "81"
    SELF_BILLED_CREDIT_NOTE = "261"
    FACTORED_CREDIT_NOTE = "396"

    @property
    def is_credit_note(self) -> bool:
        # Written as a UBL CreditNote; every other code is a UBL Invoice.
        return self in _CREDIT_NOTES


_CREDIT_NOTES = frozenset(
    {
        DocumentType.CREDIT_NOTE,
        DocumentType.GOODS_SERVICES_CREDIT_NOTE,
        DocumentType.SELF_BILLED_CREDIT_NOTE,
        DocumentType.FACTORED_CREDIT_NOTE,
    }
)


class VatCategory(StrEnum):
    """BT-95/BT-102/BT-118/BT-151, UNTDID 5305 as restricted by EN 16931."""

    STANDARD = "S"
    ZERO_RATED = "Z"
    EXEMPT = "E"
    REVERSE_CHARGE = "AE"
    INTRA_COMMUNITY = "K"
    EXPORT = "G"
    NOT_SUBJECT = "O"
    CANARY_ISLANDS = "L"
    CEUTA_MELILLA = "M"


@dataclass(frozen=True)
class Identifier:
    """An identifier with its optional scheme (ISO 6523 ICD, UNTDID 7143, …)."""

    value: str
    scheme: str = ""


@dataclass(frozen=True)
class ElectronicAddress:
    """BT-34 (seller) / BT-49 (buyer): where the document is delivered, with its EAS scheme
    (BT-34-1 / BT-49-1), e.g. 0088 GLN, 9930 German VAT number, 0204 Leitweg-ID, EM email."""

    value: str
    scheme: str


@dataclass(frozen=True)
class Address:
    """BG-5 (seller), BG-8 (buyer), BG-15 (deliver-to)."""

    country_code: str  # BT-40 / BT-55 / BT-80, ISO 3166-1 alpha-2
    line1: str = ""  # BT-35 / BT-50 / BT-75
    line2: str = ""  # BT-36 / BT-51 / BT-76
    line3: str = ""  # BT-162 / BT-163 / BT-165
    city: str = ""  # BT-37 / BT-52 / BT-77
    postal_code: str = ""  # BT-38 / BT-53 / BT-78
    subdivision: str = ""  # BT-39 / BT-54 / BT-79


@dataclass(frozen=True)
class Contact:
    """BG-6 (seller contact) / BG-9 (buyer contact)."""

    name: str = ""  # BT-41 / BT-56
    phone: str = ""  # BT-42 / BT-57
    email: str = ""  # BT-43 / BT-58


@dataclass(frozen=True)
class Party:
    """BG-4 seller or BG-7 buyer."""

    name: str  # BT-27 / BT-44
    address: Address  # BG-5 / BG-8
    trading_name: str = ""  # BT-28 / BT-45
    identifiers: tuple[Identifier, ...] = ()  # BT-29 / BT-46 (+ scheme BT-29-1 / BT-46-1)
    legal_registration: Identifier | None = None  # BT-30 / BT-47 (+ scheme BT-30-1 / BT-47-1)
    vat_id: str = ""  # BT-31 / BT-48
    tax_registration_id: str = ""  # BT-32 (seller only: local tax number, e.g. German Steuernummer)
    legal_info: str = ""  # BT-33 (seller only: share capital, registry court, …)
    electronic_address: ElectronicAddress | None = None  # BT-34 / BT-49
    contact: Contact | None = None  # BG-6 / BG-9


@dataclass(frozen=True)
class Payee:
    """BG-10: who receives the payment when it is not the seller."""

    name: str  # BT-59
    identifier: Identifier | None = None  # BT-60
    legal_registration: Identifier | None = None  # BT-61


@dataclass(frozen=True)
class Delivery:
    """BG-13 delivery information."""

    party_name: str = ""  # BT-70
    location_id: Identifier | None = None  # BT-71
    actual_date: date | None = None  # BT-72
    address: Address | None = None  # BG-15


@dataclass(frozen=True)
class Period:
    """BG-14 (invoice) / BG-26 (line) period."""

    start: date | None = None  # BT-73 / BT-134
    end: date | None = None  # BT-74 / BT-135


@dataclass(frozen=True)
class CreditTransfer:
    """BG-17."""

    account_id: str  # BT-84 (IBAN for SEPA)
    account_name: str = ""  # BT-85
    service_provider_id: str = ""  # BT-86 (BIC)


@dataclass(frozen=True)
class DirectDebit:
    """BG-19."""

    mandate_reference: str  # BT-89
    creditor_id: str  # BT-90 (SEPA creditor identifier)
    debited_account_id: str  # BT-91 (IBAN)


@dataclass(frozen=True)
class PaymentInstructions:
    """BG-16. `means_code` is UNTDID 4461 (30 credit transfer, 58 SEPA credit transfer,
    59 SEPA direct debit, 48 bank card, 10 cash, 1 not defined, …)."""

    means_code: str  # BT-81
    means_text: str = ""  # BT-82
    remittance_information: str = ""  # BT-83
    credit_transfers: tuple[CreditTransfer, ...] = ()  # BG-17
    card_account_number: str = ""  # BT-87 (last digits only)
    card_holder_name: str = ""  # BT-88
    direct_debit: DirectDebit | None = None  # BG-19


@dataclass(frozen=True)
class AllowanceCharge:
    """BG-20/BG-21 (document level, which carry VAT) and BG-27/BG-28 (line level, which don't).

    Amounts are positive; `is_charge` says which way they count.
    """

    is_charge: bool  # ChargeIndicator: False = allowance (BG-20/BG-27), True = charge (BG-21/BG-28)
    amount: Decimal  # BT-92 / BT-99 / BT-136 / BT-141
    base_amount: Decimal | None = None  # BT-93 / BT-100 / BT-137 / BT-142
    percentage: Decimal | None = None  # BT-94 / BT-101 / BT-138 / BT-143
    reason: str = ""  # BT-97 / BT-104 / BT-139 / BT-144
    reason_code: str = ""  # BT-98 / BT-105 / BT-140 / BT-145 (UNTDID 5189 allowances, 7161 charges)
    vat_category: str = ""  # BT-95 / BT-102 (document level only)
    vat_rate: Decimal | None = None  # BT-96 / BT-103 (document level only)

    @property
    def signed_amount(self) -> Decimal:
        return self.amount if self.is_charge else -self.amount


@dataclass(frozen=True)
class ItemAttribute:
    """BG-32."""

    name: str  # BT-160
    value: str  # BT-161


@dataclass(frozen=True)
class Item:
    """BG-31 item information."""

    name: str  # BT-153
    description: str = ""  # BT-154
    seller_id: str = ""  # BT-155
    buyer_id: str = ""  # BT-156
    standard_id: Identifier | None = None  # BT-157 (+ scheme BT-157-1, e.g. 0160 GTIN)
    classifications: tuple[Identifier, ...] = ()  # BT-158 (+ list id BT-158-1, e.g. STI)
    origin_country: str = ""  # BT-159
    attributes: tuple[ItemAttribute, ...] = ()  # BG-32


@dataclass(frozen=True)
class Line:
    """BG-25 invoice line."""

    id: str  # BT-126
    quantity: Decimal  # BT-129
    unit_code: str  # BT-130, UN/ECE Rec 20 (C62 one, HUR hour, KGM kilogram, …)
    net_amount: Decimal  # BT-131
    net_price: Decimal  # BT-146
    item: Item  # BG-31
    vat_category: str  # BT-151
    vat_rate: Decimal | None = None  # BT-152 (absent for category O)
    note: str = ""  # BT-127
    object_id: Identifier | None = None  # BT-128
    order_line_reference: str = ""  # BT-132
    buyer_accounting_reference: str = ""  # BT-133
    period: Period | None = None  # BG-26
    allowances_charges: tuple[AllowanceCharge, ...] = ()  # BG-27 / BG-28
    gross_price: Decimal | None = None  # BT-148
    price_discount: Decimal | None = None  # BT-147 (gross - net, per base quantity)
    base_quantity: Decimal | None = None  # BT-149
    base_quantity_unit_code: str = ""  # BT-150


@dataclass(frozen=True)
class VatBreakdown:
    """BG-23: one per VAT category and rate."""

    category: str  # BT-118
    taxable_amount: Decimal  # BT-116
    tax_amount: Decimal  # BT-117
    rate: Decimal | None = None  # BT-119 (absent for category O)
    exemption_reason: str = ""  # BT-120
    exemption_reason_code: str = ""  # BT-121 (VATEX code list)


@dataclass(frozen=True)
class Totals:
    """BG-22 document totals."""

    line_total: Decimal  # BT-106: Σ BT-131
    tax_exclusive: Decimal  # BT-109: BT-106 - BT-107 + BT-108
    tax_inclusive: Decimal  # BT-112: BT-109 + BT-110
    payable: Decimal  # BT-115: BT-112 - BT-113 + BT-114
    tax_total: Decimal  # BT-110: Σ BT-117
    allowance_total: Decimal | None = None  # BT-107: Σ BT-92
    charge_total: Decimal | None = None  # BT-108: Σ BT-99
    prepaid: Decimal | None = None  # BT-113
    rounding: Decimal | None = None  # BT-114
    tax_total_in_accounting_currency: Decimal | None = None  # BT-111 (in BT-6)


@dataclass(frozen=True)
class Note:
    """BG-1."""

    text: str  # BT-22
    subject_code: str = ""  # BT-21 (UNTDID 4451)


@dataclass(frozen=True)
class PrecedingInvoice:
    """BG-3: the invoice a credit note or correction refers to."""

    number: str  # BT-25
    issue_date: date | None = None  # BT-26


@dataclass(frozen=True)
class Invoice:
    """An EN 16931 invoice or credit note."""

    number: str  # BT-1
    issue_date: date  # BT-2
    type_code: DocumentType  # BT-3
    currency: str  # BT-5
    seller: Party  # BG-4
    buyer: Party  # BG-7
    lines: tuple[Line, ...]  # BG-25
    vat_breakdown: tuple[VatBreakdown, ...]  # BG-23
    totals: Totals  # BG-22
    tax_currency: str = ""  # BT-6
    tax_point_date: date | None = None  # BT-7
    due_date: date | None = None  # BT-9
    buyer_reference: str = ""  # BT-10 (the Leitweg-ID for German public bodies)
    project_reference: str = ""  # BT-11
    contract_reference: str = ""  # BT-12
    purchase_order_reference: str = ""  # BT-13
    sales_order_reference: str = ""  # BT-14
    receiving_advice_reference: str = ""  # BT-15
    despatch_advice_reference: str = ""  # BT-16
    tender_reference: str = ""  # BT-17
    invoiced_object: Identifier | None = None  # BT-18
    buyer_accounting_reference: str = ""  # BT-19
    payment_terms: str = ""  # BT-20
    notes: tuple[Note, ...] = ()  # BG-1
    preceding_invoices: tuple[PrecedingInvoice, ...] = ()  # BG-3
    payee: Payee | None = None  # BG-10
    delivery: Delivery | None = None  # BG-13
    invoicing_period: Period | None = None  # BG-14
    payment: PaymentInstructions | None = None  # BG-16
    allowances_charges: tuple[AllowanceCharge, ...] = ()  # BG-20 / BG-21

    @property
    def is_credit_note(self) -> bool:
        return self.type_code.is_credit_note

    def check_totals(self) -> list[TotalsIssue]:
        from einvoicing.totals_check import check_totals

        return check_totals(self)


@dataclass(frozen=True)
class TotalsIssue:
    """An arithmetic rule of EN 16931 that the model's figures break."""

    rule: str  # e.g. "BR-CO-10"
    message: str
