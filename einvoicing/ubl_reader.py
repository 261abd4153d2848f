"""UBL 2.1 Invoice / CreditNote → model: the mirror of `ubl_writer`, tolerant of what others write.

Reads the EN 16931 binding of UBL (Peppol BIS, XRechnung and CEN's own examples alike). A value
that is absent reads as the model's default; a malformed number or date is an `EInvoiceRejected`
with the element it was found in.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

from einvoicing.model import (
    Address,
    AllowanceCharge,
    Contact,
    CreditTransfer,
    Delivery,
    DirectDebit,
    DocumentType,
    ElectronicAddress,
    Identifier,
    Invoice,
    Item,
    ItemAttribute,
    Line,
    Note,
    Party,
    Payee,
    PaymentInstructions,
    Period,
    PrecedingInvoice,
    Totals,
    VatBreakdown,
)
from einvoicing.syntax import UBL_CREDIT_NOTE, UBL_NSMAP
from einvoicing.xmlsafe import EInvoiceRejected

NS = UBL_NSMAP


def _el(node: etree._Element | None, path: str) -> etree._Element | None:
    return None if node is None else node.find(path, NS)


def _text(node: etree._Element | None, path: str) -> str:
    element = _el(node, path)
    return (element.text or "").strip() if element is not None else ""


def _decimal(node: etree._Element | None, path: str) -> Decimal | None:
    value = _text(node, path)
    if not value:
        return None
    try:
        return Decimal(value)
    except InvalidOperation as error:
        raise EInvoiceRejected(
            f"{path.split('/')[-1]} holds '{value[:40]}', which is not a number."
        ) from error


def _required_decimal(node: etree._Element | None, path: str) -> Decimal:
    value = _decimal(node, path)
    return Decimal(0) if value is None else value


def _date(node: etree._Element | None, path: str) -> date | None:
    value = _text(node, path)
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError as error:
        raise EInvoiceRejected(f"{path.split('/')[-1]} holds '{value[:40]}', which is not a date.") from error


def _identifier(node: etree._Element | None, path: str, scheme: str = "schemeID") -> Identifier | None:
    element = _el(node, path)
    if element is None or not (element.text or "").strip():
        return None
    return Identifier(element.text.strip(), element.get(scheme, ""))


def _address(node: etree._Element | None) -> Address:
    return Address(
        country_code=_text(node, "cac:Country/cbc:IdentificationCode"),
        line1=_text(node, "cbc:StreetName"),
        line2=_text(node, "cbc:AdditionalStreetName"),
        line3=_text(node, "cac:AddressLine/cbc:Line"),
        city=_text(node, "cbc:CityName"),
        postal_code=_text(node, "cbc:PostalZone"),
        subdivision=_text(node, "cbc:CountrySubentity"),
    )


def _party(node: etree._Element | None) -> Party:
    endpoint = _el(node, "cbc:EndpointID")
    contact_node = _el(node, "cac:Contact")
    vat_id, tax_registration_id = "", ""
    for scheme in node.findall("cac:PartyTaxScheme", NS) if node is not None else ():
        if _text(scheme, "cac:TaxScheme/cbc:ID").upper() == "VAT":
            vat_id = _text(scheme, "cbc:CompanyID")
        else:
            tax_registration_id = _text(scheme, "cbc:CompanyID")
    identifiers = tuple(
        Identifier((element.text or "").strip(), element.get("schemeID", ""))
        for element in (node.findall("cac:PartyIdentification/cbc:ID", NS) if node is not None else ())
        if element.get("schemeID") != "SEPA"
    )
    return Party(
        name=_text(node, "cac:PartyLegalEntity/cbc:RegistrationName"),
        trading_name=_text(node, "cac:PartyName/cbc:Name"),
        address=_address(_el(node, "cac:PostalAddress")),
        identifiers=identifiers,
        legal_registration=_identifier(node, "cac:PartyLegalEntity/cbc:CompanyID"),
        vat_id=vat_id,
        tax_registration_id=tax_registration_id,
        legal_info=_text(node, "cac:PartyLegalEntity/cbc:CompanyLegalForm"),
        electronic_address=(
            ElectronicAddress((endpoint.text or "").strip(), endpoint.get("schemeID", ""))
            if endpoint is not None
            else None
        ),
        contact=(
            Contact(
                name=_text(contact_node, "cbc:Name"),
                phone=_text(contact_node, "cbc:Telephone"),
                email=_text(contact_node, "cbc:ElectronicMail"),
            )
            if contact_node is not None
            else None
        ),
    )


def _allowance_charge(node: etree._Element) -> AllowanceCharge:
    return AllowanceCharge(
        is_charge=_text(node, "cbc:ChargeIndicator").lower() == "true",
        amount=_required_decimal(node, "cbc:Amount"),
        base_amount=_decimal(node, "cbc:BaseAmount"),
        percentage=_decimal(node, "cbc:MultiplierFactorNumeric"),
        reason=_text(node, "cbc:AllowanceChargeReason"),
        reason_code=_text(node, "cbc:AllowanceChargeReasonCode"),
        vat_category=_text(node, "cac:TaxCategory/cbc:ID"),
        vat_rate=_decimal(node, "cac:TaxCategory/cbc:Percent"),
    )


def _period(node: etree._Element | None) -> Period | None:
    if node is None:
        return None
    return Period(start=_date(node, "cbc:StartDate"), end=_date(node, "cbc:EndDate"))


def _line(node: etree._Element, credit: bool) -> Line:
    quantity = _el(node, "cbc:CreditedQuantity" if credit else "cbc:InvoicedQuantity")
    item = _el(node, "cac:Item")
    price = _el(node, "cac:Price")
    base_quantity = _el(price, "cbc:BaseQuantity")
    discount = _el(price, "cac:AllowanceCharge")
    object_reference = None
    for reference in node.findall("cac:DocumentReference", NS):
        if _text(reference, "cbc:DocumentTypeCode") == "130":
            object_reference = _identifier(reference, "cbc:ID")
    try:
        quantity_value = Decimal((quantity.text or "").strip()) if quantity is not None else Decimal(0)
    except InvalidOperation as error:
        raise EInvoiceRejected("A line quantity is not a number.") from error
    return Line(
        id=_text(node, "cbc:ID"),
        quantity=quantity_value,
        unit_code=quantity.get("unitCode", "") if quantity is not None else "",
        net_amount=_required_decimal(node, "cbc:LineExtensionAmount"),
        net_price=_required_decimal(price, "cbc:PriceAmount"),
        item=Item(
            name=_text(item, "cbc:Name"),
            description=_text(item, "cbc:Description"),
            seller_id=_text(item, "cac:SellersItemIdentification/cbc:ID"),
            buyer_id=_text(item, "cac:BuyersItemIdentification/cbc:ID"),
            standard_id=_identifier(item, "cac:StandardItemIdentification/cbc:ID"),
            classifications=tuple(
                Identifier((element.text or "").strip(), element.get("listID", ""))
                for element in item.findall("cac:CommodityClassification/cbc:ItemClassificationCode", NS)
            )
            if item is not None
            else (),
            origin_country=_text(item, "cac:OriginCountry/cbc:IdentificationCode"),
            attributes=tuple(
                ItemAttribute(_text(element, "cbc:Name"), _text(element, "cbc:Value"))
                for element in item.findall("cac:AdditionalItemProperty", NS)
            )
            if item is not None
            else (),
        ),
        vat_category=_text(item, "cac:ClassifiedTaxCategory/cbc:ID"),
        vat_rate=_decimal(item, "cac:ClassifiedTaxCategory/cbc:Percent"),
        note=_text(node, "cbc:Note"),
        object_id=object_reference,
        order_line_reference=_text(node, "cac:OrderLineReference/cbc:LineID"),
        buyer_accounting_reference=_text(node, "cbc:AccountingCost"),
        period=_period(_el(node, "cac:InvoicePeriod")),
        allowances_charges=tuple(_allowance_charge(ac) for ac in node.findall("cac:AllowanceCharge", NS)),
        gross_price=_decimal(discount, "cbc:BaseAmount"),
        price_discount=_decimal(discount, "cbc:Amount"),
        base_quantity=_decimal(price, "cbc:BaseQuantity"),
        base_quantity_unit_code=base_quantity.get("unitCode", "") if base_quantity is not None else "",
    )


def _payment(root: etree._Element) -> PaymentInstructions | None:
    means_nodes = root.findall("cac:PaymentMeans", NS)
    if not means_nodes:
        return None
    first = means_nodes[0]
    code = _el(first, "cbc:PaymentMeansCode")
    mandate = _el(first, "cac:PaymentMandate")
    creditor_id = ""
    for element in root.findall("cac:AccountingSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID", NS):
        if element.get("schemeID") == "SEPA":
            creditor_id = (element.text or "").strip()
    for element in root.findall("cac:PayeeParty/cac:PartyIdentification/cbc:ID", NS):
        if element.get("schemeID") == "SEPA":
            creditor_id = (element.text or "").strip()
    transfers = tuple(
        CreditTransfer(
            account_id=_text(account, "cbc:ID"),
            account_name=_text(account, "cbc:Name"),
            service_provider_id=_text(account, "cac:FinancialInstitutionBranch/cbc:ID"),
        )
        for means in means_nodes
        for account in means.findall("cac:PayeeFinancialAccount", NS)
    )
    return PaymentInstructions(
        means_code=(code.text or "").strip() if code is not None else "",
        means_text=code.get("name", "") if code is not None else "",
        remittance_information=_text(first, "cbc:PaymentID"),
        credit_transfers=transfers,
        card_account_number=_text(first, "cac:CardAccount/cbc:PrimaryAccountNumberID"),
        card_holder_name=_text(first, "cac:CardAccount/cbc:HolderName"),
        direct_debit=(
            DirectDebit(
                mandate_reference=_text(mandate, "cbc:ID"),
                creditor_id=creditor_id,
                debited_account_id=_text(mandate, "cac:PayerFinancialAccount/cbc:ID"),
            )
            if mandate is not None
            else None
        ),
    )


def _note(text: str) -> Note:
    # "#AAI#text": the subject code (BT-21) as Peppol and XRechnung write it in UBL.
    if text.startswith("#") and text.count("#") >= 2:
        _, code, rest = text.split("#", 2)
        if code.isalnum() and len(code) <= 3:
            return Note(rest, code)
    return Note(text)


def read_ubl(root: etree._Element) -> Invoice:
    credit = etree.QName(root).namespace == UBL_CREDIT_NOTE
    type_text = _text(root, "cbc:CreditNoteTypeCode" if credit else "cbc:InvoiceTypeCode")
    try:
        type_code = DocumentType(type_text)
    except ValueError as error:
        raise EInvoiceRejected(f"The document type code '{type_text[:10]}' is not one we read.") from error
    currency = _text(root, "cbc:DocumentCurrencyCode")
    tax_currency = _text(root, "cbc:TaxCurrencyCode")
    monetary = _el(root, "cac:LegalMonetaryTotal")
    tax_total, tax_total_accounting = Decimal(0), None
    breakdown: list[VatBreakdown] = []
    for total in root.findall("cac:TaxTotal", NS):
        amount = _el(total, "cbc:TaxAmount")
        value = _required_decimal(total, "cbc:TaxAmount")
        if tax_currency and amount is not None and amount.get("currencyID") == tax_currency != currency:
            tax_total_accounting = value
            continue
        tax_total = value
        for subtotal in total.findall("cac:TaxSubtotal", NS):
            breakdown.append(
                VatBreakdown(
                    category=_text(subtotal, "cac:TaxCategory/cbc:ID"),
                    taxable_amount=_required_decimal(subtotal, "cbc:TaxableAmount"),
                    tax_amount=_required_decimal(subtotal, "cbc:TaxAmount"),
                    rate=_decimal(subtotal, "cac:TaxCategory/cbc:Percent"),
                    exemption_reason=_text(subtotal, "cac:TaxCategory/cbc:TaxExemptionReason"),
                    exemption_reason_code=_text(subtotal, "cac:TaxCategory/cbc:TaxExemptionReasonCode"),
                )
            )
    project, invoiced_object = _text(root, "cac:ProjectReference/cbc:ID"), None
    for reference in root.findall("cac:AdditionalDocumentReference", NS):
        type_code_ref = _text(reference, "cbc:DocumentTypeCode")
        if type_code_ref == "130":
            invoiced_object = _identifier(reference, "cbc:ID")
        elif type_code_ref == "50" and credit:
            project = _text(reference, "cbc:ID")
    delivery_node = _el(root, "cac:Delivery")
    location = _el(delivery_node, "cac:DeliveryLocation")
    payee_node = _el(root, "cac:PayeeParty")
    order_id = _text(root, "cac:OrderReference/cbc:ID")
    due_date = _date(root, "cac:PaymentMeans/cbc:PaymentDueDate") if credit else _date(root, "cbc:DueDate")
    return Invoice(
        number=_text(root, "cbc:ID"),
        issue_date=_date(root, "cbc:IssueDate") or date.min,
        type_code=type_code,
        currency=currency,
        tax_currency=tax_currency,
        tax_point_date=_date(root, "cbc:TaxPointDate"),
        due_date=due_date,
        buyer_reference=_text(root, "cbc:BuyerReference"),
        project_reference=project,
        contract_reference=_text(root, "cac:ContractDocumentReference/cbc:ID"),
        purchase_order_reference="" if order_id == "NA" else order_id,
        sales_order_reference=_text(root, "cac:OrderReference/cbc:SalesOrderID"),
        receiving_advice_reference=_text(root, "cac:ReceiptDocumentReference/cbc:ID"),
        despatch_advice_reference=_text(root, "cac:DespatchDocumentReference/cbc:ID"),
        tender_reference=_text(root, "cac:OriginatorDocumentReference/cbc:ID"),
        invoiced_object=invoiced_object,
        buyer_accounting_reference=_text(root, "cbc:AccountingCost"),
        payment_terms=_text(root, "cac:PaymentTerms/cbc:Note"),
        notes=tuple(_note((n.text or "").strip()) for n in root.findall("cbc:Note", NS)),
        preceding_invoices=tuple(
            PrecedingInvoice(_text(ref, "cbc:ID"), _date(ref, "cbc:IssueDate"))
            for ref in root.findall("cac:BillingReference/cac:InvoiceDocumentReference", NS)
        ),
        seller=_party(_el(root, "cac:AccountingSupplierParty/cac:Party")),
        buyer=_party(_el(root, "cac:AccountingCustomerParty/cac:Party")),
        payee=(
            Payee(
                name=_text(payee_node, "cac:PartyName/cbc:Name"),
                identifier=next(
                    (
                        Identifier((e.text or "").strip(), e.get("schemeID", ""))
                        for e in payee_node.findall("cac:PartyIdentification/cbc:ID", NS)
                        if e.get("schemeID") != "SEPA"
                    ),
                    None,
                ),
                legal_registration=_identifier(payee_node, "cac:PartyLegalEntity/cbc:CompanyID"),
            )
            if payee_node is not None
            else None
        ),
        delivery=(
            Delivery(
                party_name=_text(delivery_node, "cac:DeliveryParty/cac:PartyName/cbc:Name"),
                location_id=_identifier(location, "cbc:ID"),
                actual_date=_date(delivery_node, "cbc:ActualDeliveryDate"),
                address=_address(_el(location, "cac:Address"))
                if _el(location, "cac:Address") is not None
                else None,
            )
            if delivery_node is not None
            else None
        ),
        invoicing_period=_period(_el(root, "cac:InvoicePeriod")),
        payment=_payment(root),
        allowances_charges=tuple(_allowance_charge(ac) for ac in root.findall("cac:AllowanceCharge", NS)),
        lines=tuple(
            _line(node, credit)
            for node in root.findall("cac:CreditNoteLine" if credit else "cac:InvoiceLine", NS)
        ),
        vat_breakdown=tuple(breakdown),
        totals=Totals(
            line_total=_required_decimal(monetary, "cbc:LineExtensionAmount"),
            tax_exclusive=_required_decimal(monetary, "cbc:TaxExclusiveAmount"),
            tax_inclusive=_required_decimal(monetary, "cbc:TaxInclusiveAmount"),
            payable=_required_decimal(monetary, "cbc:PayableAmount"),
            tax_total=tax_total,
            allowance_total=_decimal(monetary, "cbc:AllowanceTotalAmount"),
            charge_total=_decimal(monetary, "cbc:ChargeTotalAmount"),
            prepaid=_decimal(monetary, "cbc:PrepaidAmount"),
            rounding=_decimal(monetary, "cbc:PayableRoundingAmount"),
            tax_total_in_accounting_currency=tax_total_accounting,
        ),
    )
