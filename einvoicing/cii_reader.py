"""UN/CEFACT CII D16B (Factur-X, ZUGFeRD 2.x, XRechnung CII) → model: the mirror of `cii_writer`."""

from __future__ import annotations

from datetime import date, datetime
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
from einvoicing.syntax import CII_NSMAP
from einvoicing.xmlsafe import EInvoiceRejected

NS = CII_NSMAP


def _el(node: etree._Element | None, path: str) -> etree._Element | None:
    return None if node is None else node.find(path, NS)


def _all(node: etree._Element | None, path: str) -> list[etree._Element]:
    return [] if node is None else node.findall(path, NS)


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


def _amount(node: etree._Element | None, path: str) -> Decimal:
    value = _decimal(node, path)
    return Decimal(0) if value is None else value


def _date(node: etree._Element | None, path: str) -> date | None:
    value = _text(node, path)
    if not value:
        return None
    try:
        return datetime.strptime(value[:8], "%Y%m%d").date()  # noqa: DTZ007 - a calendar date, no time
    except ValueError as error:
        raise EInvoiceRejected(f"{path.split('/')[-2]} holds '{value[:40]}', which is not a date.") from error


def _identifier(element: etree._Element | None, scheme: str = "schemeID") -> Identifier | None:
    if element is None or not (element.text or "").strip():
        return None
    return Identifier(element.text.strip(), element.get(scheme, ""))


def _address(node: etree._Element | None) -> Address:
    return Address(
        country_code=_text(node, "ram:CountryID"),
        line1=_text(node, "ram:LineOne"),
        line2=_text(node, "ram:LineTwo"),
        line3=_text(node, "ram:LineThree"),
        city=_text(node, "ram:CityName"),
        postal_code=_text(node, "ram:PostcodeCode"),
        subdivision=_text(node, "ram:CountrySubDivisionName"),
    )


def _party(node: etree._Element | None) -> Party:
    vat_id, tax_registration_id = "", ""
    for registration in _all(node, "ram:SpecifiedTaxRegistration/ram:ID"):
        if registration.get("schemeID") == "VA":
            vat_id = (registration.text or "").strip()
        elif registration.get("schemeID") == "FC":
            tax_registration_id = (registration.text or "").strip()
    contact = _el(node, "ram:DefinedTradeContact")
    uri = _el(node, "ram:URIUniversalCommunication/ram:URIID")
    identifiers = [Identifier((e.text or "").strip()) for e in _all(node, "ram:ID")]
    identifiers += [
        Identifier((e.text or "").strip(), e.get("schemeID", "")) for e in _all(node, "ram:GlobalID")
    ]
    return Party(
        name=_text(node, "ram:Name"),
        trading_name=_text(node, "ram:SpecifiedLegalOrganization/ram:TradingBusinessName"),
        address=_address(_el(node, "ram:PostalTradeAddress")),
        identifiers=tuple(identifiers),
        legal_registration=_identifier(_el(node, "ram:SpecifiedLegalOrganization/ram:ID")),
        vat_id=vat_id,
        tax_registration_id=tax_registration_id,
        legal_info=_text(node, "ram:Description"),
        electronic_address=ElectronicAddress((uri.text or "").strip(), uri.get("schemeID", ""))
        if uri is not None
        else None,
        contact=(
            Contact(
                name=_text(contact, "ram:PersonName"),
                phone=_text(contact, "ram:TelephoneUniversalCommunication/ram:CompleteNumber"),
                email=_text(contact, "ram:EmailURIUniversalCommunication/ram:URIID"),
            )
            if contact is not None
            else None
        ),
    )


def _allowance_charge(node: etree._Element) -> AllowanceCharge:
    return AllowanceCharge(
        is_charge=_text(node, "ram:ChargeIndicator/udt:Indicator").lower() == "true",
        amount=_amount(node, "ram:ActualAmount"),
        base_amount=_decimal(node, "ram:BasisAmount"),
        percentage=_decimal(node, "ram:CalculationPercent"),
        reason=_text(node, "ram:Reason"),
        reason_code=_text(node, "ram:ReasonCode"),
        vat_category=_text(node, "ram:CategoryTradeTax/ram:CategoryCode"),
        vat_rate=_decimal(node, "ram:CategoryTradeTax/ram:RateApplicablePercent"),
    )


def _period(node: etree._Element | None) -> Period | None:
    if node is None:
        return None
    return Period(
        start=_date(node, "ram:StartDateTime/udt:DateTimeString"),
        end=_date(node, "ram:EndDateTime/udt:DateTimeString"),
    )


def _object_reference(references: list[etree._Element]) -> Identifier | None:
    for reference in references:
        if _text(reference, "ram:TypeCode") == "130":
            return Identifier(
                _text(reference, "ram:IssuerAssignedID"), _text(reference, "ram:ReferenceTypeCode")
            )
    return None


def _line(node: etree._Element) -> Line:
    product = _el(node, "ram:SpecifiedTradeProduct")
    agreement = _el(node, "ram:SpecifiedLineTradeAgreement")
    settlement = _el(node, "ram:SpecifiedLineTradeSettlement")
    quantity = _el(node, "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity")
    net = _el(agreement, "ram:NetPriceProductTradePrice")
    gross = _el(agreement, "ram:GrossPriceProductTradePrice")
    basis = _el(net, "ram:BasisQuantity")
    if basis is None:
        basis = _el(gross, "ram:BasisQuantity")
    try:
        quantity_value = Decimal((quantity.text or "").strip()) if quantity is not None else Decimal(0)
    except InvalidOperation as error:
        raise EInvoiceRejected("A line quantity is not a number.") from error
    return Line(
        id=_text(node, "ram:AssociatedDocumentLineDocument/ram:LineID"),
        quantity=quantity_value,
        unit_code=quantity.get("unitCode", "") if quantity is not None else "",
        net_amount=_amount(
            settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount"
        ),
        net_price=_amount(net, "ram:ChargeAmount"),
        item=Item(
            name=_text(product, "ram:Name"),
            description=_text(product, "ram:Description"),
            seller_id=_text(product, "ram:SellerAssignedID"),
            buyer_id=_text(product, "ram:BuyerAssignedID"),
            standard_id=_identifier(_el(product, "ram:GlobalID")),
            classifications=tuple(
                Identifier((e.text or "").strip(), e.get("listID", ""))
                for e in _all(product, "ram:DesignatedProductClassification/ram:ClassCode")
            ),
            origin_country=_text(product, "ram:OriginTradeCountry/ram:ID"),
            attributes=tuple(
                ItemAttribute(_text(e, "ram:Description"), _text(e, "ram:Value"))
                for e in _all(product, "ram:ApplicableProductCharacteristic")
            ),
        ),
        vat_category=_text(settlement, "ram:ApplicableTradeTax/ram:CategoryCode"),
        vat_rate=_decimal(settlement, "ram:ApplicableTradeTax/ram:RateApplicablePercent"),
        note=_text(node, "ram:AssociatedDocumentLineDocument/ram:IncludedNote/ram:Content"),
        object_id=_object_reference(_all(settlement, "ram:AdditionalReferencedDocument")),
        order_line_reference=_text(agreement, "ram:BuyerOrderReferencedDocument/ram:LineID"),
        buyer_accounting_reference=_text(settlement, "ram:ReceivableSpecifiedTradeAccountingAccount/ram:ID"),
        period=_period(_el(settlement, "ram:BillingSpecifiedPeriod")),
        allowances_charges=tuple(
            _allowance_charge(e) for e in _all(settlement, "ram:SpecifiedTradeAllowanceCharge")
        ),
        gross_price=_decimal(gross, "ram:ChargeAmount"),
        price_discount=_decimal(gross, "ram:AppliedTradeAllowanceCharge/ram:ActualAmount"),
        base_quantity=Decimal(basis.text.strip())
        if basis is not None and (basis.text or "").strip()
        else None,
        base_quantity_unit_code=basis.get("unitCode", "") if basis is not None else "",
    )


def _payment(settlement: etree._Element | None) -> PaymentInstructions | None:
    means_nodes = _all(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
    if not means_nodes:
        return None
    first = means_nodes[0]
    mandate = _text(settlement, "ram:SpecifiedTradePaymentTerms/ram:DirectDebitMandateID")
    debited = _text(first, "ram:PayerPartyDebtorFinancialAccount/ram:IBANID")
    transfers = []
    for means in means_nodes:
        account = _el(means, "ram:PayeePartyCreditorFinancialAccount")
        if account is not None:
            transfers.append(
                CreditTransfer(
                    account_id=_text(account, "ram:IBANID") or _text(account, "ram:ProprietaryID"),
                    account_name=_text(account, "ram:AccountName"),
                    service_provider_id=_text(
                        means, "ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID"
                    ),
                )
            )
    return PaymentInstructions(
        means_code=_text(first, "ram:TypeCode"),
        means_text=_text(first, "ram:Information"),
        remittance_information=_text(settlement, "ram:PaymentReference"),
        credit_transfers=tuple(transfers),
        card_account_number=_text(first, "ram:ApplicableTradeSettlementFinancialCard/ram:ID"),
        card_holder_name=_text(first, "ram:ApplicableTradeSettlementFinancialCard/ram:CardholderName"),
        direct_debit=(
            DirectDebit(mandate, _text(settlement, "ram:CreditorReferenceID"), debited)
            if mandate or debited
            else None
        ),
    )


def read_cii(root: etree._Element) -> Invoice:
    document = _el(root, "rsm:ExchangedDocument")
    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    agreement = _el(transaction, "ram:ApplicableHeaderTradeAgreement")
    delivery = _el(transaction, "ram:ApplicableHeaderTradeDelivery")
    settlement = _el(transaction, "ram:ApplicableHeaderTradeSettlement")
    summation = _el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    type_text = _text(document, "ram:TypeCode")
    try:
        type_code = DocumentType(type_text)
    except ValueError as error:
        raise EInvoiceRejected(f"The document type code '{type_text[:10]}' is not one we read.") from error
    currency = _text(settlement, "ram:InvoiceCurrencyCode")
    tax_currency = _text(settlement, "ram:TaxCurrencyCode")
    tax_total, tax_total_accounting = Decimal(0), None
    for element in _all(summation, "ram:TaxTotalAmount"):
        try:
            value = Decimal((element.text or "").strip())
        except InvalidOperation as error:
            raise EInvoiceRejected("The VAT total is not a number.") from error
        if tax_currency and element.get("currencyID") == tax_currency != currency:
            tax_total_accounting = value
        else:
            tax_total = value
    tender, invoiced_object = "", _object_reference(_all(agreement, "ram:AdditionalReferencedDocument"))
    for reference in _all(agreement, "ram:AdditionalReferencedDocument"):
        if _text(reference, "ram:TypeCode") == "50":
            tender = _text(reference, "ram:IssuerAssignedID")
    ship_to = _el(delivery, "ram:ShipToTradeParty")
    delivery_date = _date(
        delivery, "ram:ActualDeliverySupplyChainEvent/ram:OccurrenceDateTime/udt:DateTimeString"
    )
    payee = _el(settlement, "ram:PayeeTradeParty")
    terms = _el(settlement, "ram:SpecifiedTradePaymentTerms")
    return Invoice(
        number=_text(document, "ram:ID"),
        issue_date=_date(document, "ram:IssueDateTime/udt:DateTimeString") or date.min,
        type_code=type_code,
        currency=currency,
        tax_currency=tax_currency,
        due_date=_date(terms, "ram:DueDateDateTime/udt:DateTimeString"),
        buyer_reference=_text(agreement, "ram:BuyerReference"),
        project_reference=_text(agreement, "ram:SpecifiedProcuringProject/ram:ID"),
        contract_reference=_text(agreement, "ram:ContractReferencedDocument/ram:IssuerAssignedID"),
        purchase_order_reference=_text(agreement, "ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID"),
        sales_order_reference=_text(agreement, "ram:SellerOrderReferencedDocument/ram:IssuerAssignedID"),
        receiving_advice_reference=_text(
            delivery, "ram:ReceivingAdviceReferencedDocument/ram:IssuerAssignedID"
        ),
        despatch_advice_reference=_text(
            delivery, "ram:DespatchAdviceReferencedDocument/ram:IssuerAssignedID"
        ),
        tender_reference=tender,
        invoiced_object=invoiced_object,
        buyer_accounting_reference=_text(settlement, "ram:ReceivableSpecifiedTradeAccountingAccount/ram:ID"),
        payment_terms=_text(terms, "ram:Description"),
        notes=tuple(
            Note(_text(note, "ram:Content"), _text(note, "ram:SubjectCode"))
            for note in _all(document, "ram:IncludedNote")
        ),
        preceding_invoices=tuple(
            PrecedingInvoice(
                _text(ref, "ram:IssuerAssignedID"),
                _date(ref, "ram:FormattedIssueDateTime/qdt:DateTimeString"),
            )
            for ref in _all(settlement, "ram:InvoiceReferencedDocument")
        ),
        seller=_party(_el(agreement, "ram:SellerTradeParty")),
        buyer=_party(_el(agreement, "ram:BuyerTradeParty")),
        payee=(
            Payee(
                name=_text(payee, "ram:Name"),
                identifier=_identifier(_el(payee, "ram:ID")) or _identifier(_el(payee, "ram:GlobalID")),
                legal_registration=_identifier(_el(payee, "ram:SpecifiedLegalOrganization/ram:ID")),
            )
            if payee is not None
            else None
        ),
        delivery=(
            Delivery(
                party_name=_text(ship_to, "ram:Name"),
                location_id=_identifier(_el(ship_to, "ram:ID")) or _identifier(_el(ship_to, "ram:GlobalID")),
                actual_date=delivery_date,
                address=(
                    _address(_el(ship_to, "ram:PostalTradeAddress"))
                    if _el(ship_to, "ram:PostalTradeAddress") is not None
                    else None
                ),
            )
            if ship_to is not None or delivery_date
            else None
        ),
        invoicing_period=_period(_el(settlement, "ram:BillingSpecifiedPeriod")),
        payment=_payment(settlement),
        allowances_charges=tuple(
            _allowance_charge(e) for e in _all(settlement, "ram:SpecifiedTradeAllowanceCharge")
        ),
        lines=tuple(_line(e) for e in _all(transaction, "ram:IncludedSupplyChainTradeLineItem")),
        vat_breakdown=tuple(
            VatBreakdown(
                category=_text(tax, "ram:CategoryCode"),
                taxable_amount=_amount(tax, "ram:BasisAmount"),
                tax_amount=_amount(tax, "ram:CalculatedAmount"),
                rate=_decimal(tax, "ram:RateApplicablePercent"),
                exemption_reason=_text(tax, "ram:ExemptionReason"),
                exemption_reason_code=_text(tax, "ram:ExemptionReasonCode"),
            )
            for tax in _all(settlement, "ram:ApplicableTradeTax")
        ),
        totals=Totals(
            line_total=_amount(summation, "ram:LineTotalAmount"),
            tax_exclusive=_amount(summation, "ram:TaxBasisTotalAmount"),
            tax_inclusive=_amount(summation, "ram:GrandTotalAmount"),
            payable=_amount(summation, "ram:DuePayableAmount"),
            tax_total=tax_total,
            allowance_total=_decimal(summation, "ram:AllowanceTotalAmount"),
            charge_total=_decimal(summation, "ram:ChargeTotalAmount"),
            prepaid=_decimal(summation, "ram:TotalPrepaidAmount"),
            rounding=_decimal(summation, "ram:RoundingAmount"),
            tax_total_in_accounting_currency=tax_total_accounting,
        ),
    )
