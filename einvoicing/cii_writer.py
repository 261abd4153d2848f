"""Model → UN/CEFACT CII D16B, as Factur-X/ZUGFeRD (EN 16931 profile) and XRechnung 3.0 (CII) bind it.

An lxml tree in the element order of the Factur-X EN 16931 schema (a restriction of D16B), so
one document is valid for plain CII, Factur-X and XRechnung alike; only BT-23/BT-24 differ.
We build the tree ourselves rather than through `drafthorse` so both syntaxes share one
way of writing and the readers mirror the writers element for element.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from lxml import etree

from einvoicing.model import Address, AllowanceCharge, Contact, Invoice, Line, Party
from einvoicing.syntax import CII_NSMAP, CUSTOMIZATION, PROFILE, RAM, RSM, UDT, Format, amount_text


def _ram(parent: etree._Element, name: str, value: object = None, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{RAM}}}{name}", {k: v for k, v in attributes.items() if v})
    if value is not None:
        element.text = amount_text(value) if isinstance(value, Decimal) else str(value)
    return element


def _opt(parent: etree._Element, name: str, value: object, **attributes: str) -> None:
    if value is not None and value != "":
        _ram(parent, name, value, **attributes)


def _date(parent: etree._Element, name: str, value: date | None) -> None:
    if value is not None:
        element = etree.SubElement(_ram(parent, name), f"{{{UDT}}}DateTimeString", format="102")
        element.text = value.strftime("%Y%m%d")


def write_cii(invoice: Invoice, fmt: Format = Format.CII) -> bytes:
    return etree.tostring(build_cii(invoice, fmt), xml_declaration=True, encoding="UTF-8")


def build_cii(invoice: Invoice, fmt: Format = Format.CII) -> etree._Element:
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=CII_NSMAP)
    context = etree.SubElement(root, f"{{{RSM}}}ExchangedDocumentContext")
    if PROFILE[fmt]:
        _ram(_ram(context, "BusinessProcessSpecifiedDocumentContextParameter"), "ID", PROFILE[fmt])
    _ram(_ram(context, "GuidelineSpecifiedDocumentContextParameter"), "ID", CUSTOMIZATION[fmt])

    document = etree.SubElement(root, f"{{{RSM}}}ExchangedDocument")
    _ram(document, "ID", invoice.number)
    _ram(document, "TypeCode", invoice.type_code.value)
    _date(document, "IssueDateTime", invoice.issue_date)
    for note in invoice.notes:
        included = _ram(document, "IncludedNote")
        _ram(included, "Content", note.text)
        _opt(included, "SubjectCode", note.subject_code)

    transaction = etree.SubElement(root, f"{{{RSM}}}SupplyChainTradeTransaction")
    for line in invoice.lines:
        _line(transaction, line)
    _agreement(_ram(transaction, "ApplicableHeaderTradeAgreement"), invoice)
    _delivery(_ram(transaction, "ApplicableHeaderTradeDelivery"), invoice)
    _settlement(_ram(transaction, "ApplicableHeaderTradeSettlement"), invoice)
    return root


def _address(parent: etree._Element, address: Address) -> None:
    element = _ram(parent, "PostalTradeAddress")
    _opt(element, "PostcodeCode", address.postal_code)
    _opt(element, "LineOne", address.line1)
    _opt(element, "LineTwo", address.line2)
    _opt(element, "LineThree", address.line3)
    _opt(element, "CityName", address.city)
    _ram(element, "CountryID", address.country_code)
    _opt(element, "CountrySubDivisionName", address.subdivision)


def _contact(parent: etree._Element, contact: Contact | None) -> None:
    if contact and (contact.name or contact.phone or contact.email):
        element = _ram(parent, "DefinedTradeContact")
        _opt(element, "PersonName", contact.name)
        if contact.phone:
            _ram(_ram(element, "TelephoneUniversalCommunication"), "CompleteNumber", contact.phone)
        if contact.email:
            _ram(_ram(element, "EmailURIUniversalCommunication"), "URIID", contact.email)


def _party(parent: etree._Element, name: str, party: Party, *, seller: bool) -> None:
    element = _ram(parent, name)
    # BT-29/BT-46: an identifier without scheme is ram:ID, one with a scheme ram:GlobalID.
    for identifier in party.identifiers:
        if not identifier.scheme:
            _ram(element, "ID", identifier.value)
    for identifier in party.identifiers:
        if identifier.scheme:
            _ram(element, "GlobalID", identifier.value, schemeID=identifier.scheme)
    _ram(element, "Name", party.name)
    if seller:
        _opt(element, "Description", party.legal_info)
    if party.legal_registration or party.trading_name:
        legal = _ram(element, "SpecifiedLegalOrganization")
        if party.legal_registration:
            _ram(legal, "ID", party.legal_registration.value, schemeID=party.legal_registration.scheme)
        _opt(legal, "TradingBusinessName", party.trading_name)
    _contact(element, party.contact)
    _address(element, party.address)
    if party.electronic_address:
        _ram(
            _ram(element, "URIUniversalCommunication"),
            "URIID",
            party.electronic_address.value,
            schemeID=party.electronic_address.scheme,
        )
    if party.vat_id:
        _ram(_ram(element, "SpecifiedTaxRegistration"), "ID", party.vat_id, schemeID="VA")
    if seller and party.tax_registration_id:
        _ram(_ram(element, "SpecifiedTaxRegistration"), "ID", party.tax_registration_id, schemeID="FC")


def _referenced(parent: etree._Element, name: str, value: str) -> None:
    if value:
        _ram(_ram(parent, name), "IssuerAssignedID", value)


def _agreement(element: etree._Element, invoice: Invoice) -> None:
    _opt(element, "BuyerReference", invoice.buyer_reference)
    _party(element, "SellerTradeParty", invoice.seller, seller=True)
    _party(element, "BuyerTradeParty", invoice.buyer, seller=False)
    _referenced(element, "SellerOrderReferencedDocument", invoice.sales_order_reference)
    _referenced(element, "BuyerOrderReferencedDocument", invoice.purchase_order_reference)
    _referenced(element, "ContractReferencedDocument", invoice.contract_reference)
    if invoice.tender_reference:
        reference = _ram(element, "AdditionalReferencedDocument")
        _ram(reference, "IssuerAssignedID", invoice.tender_reference)
        _ram(reference, "TypeCode", "50")
    if invoice.invoiced_object:
        reference = _ram(element, "AdditionalReferencedDocument")
        _ram(reference, "IssuerAssignedID", invoice.invoiced_object.value)
        _ram(reference, "TypeCode", "130")
        _opt(reference, "ReferenceTypeCode", invoice.invoiced_object.scheme)
    if invoice.project_reference:
        project = _ram(element, "SpecifiedProcuringProject")
        _ram(project, "ID", invoice.project_reference)
        # ram:Name is mandatory in CII; EN 16931 has no term for it.
        _ram(project, "Name", "Project reference")


def _delivery(element: etree._Element, invoice: Invoice) -> None:
    delivery = invoice.delivery
    if delivery:
        if delivery.party_name or delivery.location_id or delivery.address:
            ship_to = _ram(element, "ShipToTradeParty")
            if delivery.location_id and not delivery.location_id.scheme:
                _ram(ship_to, "ID", delivery.location_id.value)
            if delivery.location_id and delivery.location_id.scheme:
                _ram(ship_to, "GlobalID", delivery.location_id.value, schemeID=delivery.location_id.scheme)
            _opt(ship_to, "Name", delivery.party_name)
            if delivery.address:
                _address(ship_to, delivery.address)
        if delivery.actual_date:
            _date(_ram(element, "ActualDeliverySupplyChainEvent"), "OccurrenceDateTime", delivery.actual_date)
    _referenced(element, "DespatchAdviceReferencedDocument", invoice.despatch_advice_reference)
    _referenced(element, "ReceivingAdviceReferencedDocument", invoice.receiving_advice_reference)


def _trade_allowance_charge(parent: etree._Element, ac: AllowanceCharge, *, with_tax: bool) -> None:
    element = _ram(parent, "SpecifiedTradeAllowanceCharge")
    indicator = _ram(element, "ChargeIndicator")
    etree.SubElement(indicator, f"{{{UDT}}}Indicator").text = "true" if ac.is_charge else "false"
    _opt(element, "CalculationPercent", ac.percentage)
    _opt(element, "BasisAmount", ac.base_amount)
    _ram(element, "ActualAmount", ac.amount)
    _opt(element, "ReasonCode", ac.reason_code)
    _opt(element, "Reason", ac.reason)
    if with_tax:
        tax = _ram(element, "CategoryTradeTax")
        _ram(tax, "TypeCode", "VAT")
        _ram(tax, "CategoryCode", ac.vat_category)
        _opt(tax, "RateApplicablePercent", ac.vat_rate)


def _settlement(element: etree._Element, invoice: Invoice) -> None:
    payment = invoice.payment
    if payment and payment.direct_debit:
        _ram(element, "CreditorReferenceID", payment.direct_debit.creditor_id)
    if payment:
        _opt(element, "PaymentReference", payment.remittance_information)
    _opt(element, "TaxCurrencyCode", invoice.tax_currency)
    _ram(element, "InvoiceCurrencyCode", invoice.currency)
    if invoice.payee:
        payee = _ram(element, "PayeeTradeParty")
        if invoice.payee.identifier and not invoice.payee.identifier.scheme:
            _ram(payee, "ID", invoice.payee.identifier.value)
        if invoice.payee.identifier and invoice.payee.identifier.scheme:
            _ram(payee, "GlobalID", invoice.payee.identifier.value, schemeID=invoice.payee.identifier.scheme)
        _ram(payee, "Name", invoice.payee.name)
        if invoice.payee.legal_registration:
            _ram(
                _ram(payee, "SpecifiedLegalOrganization"),
                "ID",
                invoice.payee.legal_registration.value,
                schemeID=invoice.payee.legal_registration.scheme,
            )
    if payment:
        accounts = payment.credit_transfers or (None,)
        for index, account in enumerate(accounts):
            means = _ram(element, "SpecifiedTradeSettlementPaymentMeans")
            _ram(means, "TypeCode", payment.means_code)
            _opt(means, "Information", payment.means_text)
            if index == 0 and payment.card_account_number:
                card = _ram(means, "ApplicableTradeSettlementFinancialCard")
                _ram(card, "ID", payment.card_account_number)
                _opt(card, "CardholderName", payment.card_holder_name)
            if index == 0 and payment.direct_debit:
                _ram(
                    _ram(means, "PayerPartyDebtorFinancialAccount"),
                    "IBANID",
                    payment.direct_debit.debited_account_id,
                )
            if account is not None:
                creditor = _ram(means, "PayeePartyCreditorFinancialAccount")
                _ram(creditor, "IBANID", account.account_id)
                _opt(creditor, "AccountName", account.account_name)
                if account.service_provider_id:
                    _ram(
                        _ram(means, "PayeeSpecifiedCreditorFinancialInstitution"),
                        "BICID",
                        account.service_provider_id,
                    )
    for breakdown in invoice.vat_breakdown:
        tax = _ram(element, "ApplicableTradeTax")
        _ram(tax, "CalculatedAmount", breakdown.tax_amount)
        _ram(tax, "TypeCode", "VAT")
        _opt(tax, "ExemptionReason", breakdown.exemption_reason)
        _ram(tax, "BasisAmount", breakdown.taxable_amount)
        _ram(tax, "CategoryCode", breakdown.category)
        _opt(tax, "ExemptionReasonCode", breakdown.exemption_reason_code)
        _opt(tax, "RateApplicablePercent", breakdown.rate)
    if invoice.invoicing_period:
        period = _ram(element, "BillingSpecifiedPeriod")
        _date(period, "StartDateTime", invoice.invoicing_period.start)
        _date(period, "EndDateTime", invoice.invoicing_period.end)
    for allowance_charge in invoice.allowances_charges:
        _trade_allowance_charge(element, allowance_charge, with_tax=True)
    direct_debit = payment.direct_debit if payment else None
    if invoice.payment_terms or invoice.due_date or direct_debit:
        terms = _ram(element, "SpecifiedTradePaymentTerms")
        _opt(terms, "Description", invoice.payment_terms)
        _date(terms, "DueDateDateTime", invoice.due_date)
        if direct_debit:
            _ram(terms, "DirectDebitMandateID", direct_debit.mandate_reference)

    totals = invoice.totals
    summation = _ram(element, "SpecifiedTradeSettlementHeaderMonetarySummation")
    _ram(summation, "LineTotalAmount", totals.line_total)
    _opt(summation, "ChargeTotalAmount", totals.charge_total)
    _opt(summation, "AllowanceTotalAmount", totals.allowance_total)
    _ram(summation, "TaxBasisTotalAmount", totals.tax_exclusive)
    _ram(summation, "TaxTotalAmount", totals.tax_total, currencyID=invoice.currency)
    if invoice.tax_currency and totals.tax_total_in_accounting_currency is not None:
        _ram(
            summation,
            "TaxTotalAmount",
            totals.tax_total_in_accounting_currency,
            currencyID=invoice.tax_currency,
        )
    _opt(summation, "RoundingAmount", totals.rounding)
    _ram(summation, "GrandTotalAmount", totals.tax_inclusive)
    _opt(summation, "TotalPrepaidAmount", totals.prepaid)
    _ram(summation, "DuePayableAmount", totals.payable)
    for preceding in invoice.preceding_invoices:
        reference = _ram(element, "InvoiceReferencedDocument")
        _ram(reference, "IssuerAssignedID", preceding.number)
        if preceding.issue_date:
            formatted = _ram(reference, "FormattedIssueDateTime")
            stamp = etree.SubElement(
                formatted, "{urn:un:unece:uncefact:data:standard:QualifiedDataType:100}DateTimeString"
            )
            stamp.set("format", "102")
            stamp.text = preceding.issue_date.strftime("%Y%m%d")
    if invoice.buyer_accounting_reference:
        _ram(
            _ram(element, "ReceivableSpecifiedTradeAccountingAccount"),
            "ID",
            invoice.buyer_accounting_reference,
        )


def _line(transaction: etree._Element, line: Line) -> None:
    element = _ram(transaction, "IncludedSupplyChainTradeLineItem")
    document = _ram(element, "AssociatedDocumentLineDocument")
    _ram(document, "LineID", line.id)
    if line.note:
        _ram(_ram(document, "IncludedNote"), "Content", line.note)

    item = line.item
    product = _ram(element, "SpecifiedTradeProduct")
    if item.standard_id:
        _ram(product, "GlobalID", item.standard_id.value, schemeID=item.standard_id.scheme)
    _opt(product, "SellerAssignedID", item.seller_id)
    _opt(product, "BuyerAssignedID", item.buyer_id)
    _ram(product, "Name", item.name)
    _opt(product, "Description", item.description)
    for attribute in item.attributes:
        characteristic = _ram(product, "ApplicableProductCharacteristic")
        _ram(characteristic, "Description", attribute.name)
        _ram(characteristic, "Value", attribute.value)
    for classification in item.classifications:
        _ram(
            _ram(product, "DesignatedProductClassification"),
            "ClassCode",
            classification.value,
            listID=classification.scheme,
        )
    if item.origin_country:
        _ram(_ram(product, "OriginTradeCountry"), "ID", item.origin_country)

    agreement = _ram(element, "SpecifiedLineTradeAgreement")
    if line.order_line_reference:
        _ram(_ram(agreement, "BuyerOrderReferencedDocument"), "LineID", line.order_line_reference)
    if line.gross_price is not None:
        gross = _ram(agreement, "GrossPriceProductTradePrice")
        _ram(gross, "ChargeAmount", line.gross_price)
        if line.base_quantity is not None:
            _ram(gross, "BasisQuantity", line.base_quantity, unitCode=line.base_quantity_unit_code)
        if line.price_discount:
            discount = _ram(gross, "AppliedTradeAllowanceCharge")
            etree.SubElement(_ram(discount, "ChargeIndicator"), f"{{{UDT}}}Indicator").text = "false"
            _ram(discount, "ActualAmount", line.price_discount)
    net = _ram(agreement, "NetPriceProductTradePrice")
    _ram(net, "ChargeAmount", line.net_price)
    if line.base_quantity is not None:
        _ram(net, "BasisQuantity", line.base_quantity, unitCode=line.base_quantity_unit_code)

    _ram(
        _ram(element, "SpecifiedLineTradeDelivery"), "BilledQuantity", line.quantity, unitCode=line.unit_code
    )

    settlement = _ram(element, "SpecifiedLineTradeSettlement")
    tax = _ram(settlement, "ApplicableTradeTax")
    _ram(tax, "TypeCode", "VAT")
    _ram(tax, "CategoryCode", line.vat_category)
    _opt(tax, "RateApplicablePercent", line.vat_rate)
    if line.period:
        period = _ram(settlement, "BillingSpecifiedPeriod")
        _date(period, "StartDateTime", line.period.start)
        _date(period, "EndDateTime", line.period.end)
    for allowance_charge in line.allowances_charges:
        _trade_allowance_charge(settlement, allowance_charge, with_tax=False)
    _ram(
        _ram(settlement, "SpecifiedTradeSettlementLineMonetarySummation"), "LineTotalAmount", line.net_amount
    )
    if line.object_id:
        reference = _ram(settlement, "AdditionalReferencedDocument")
        _ram(reference, "IssuerAssignedID", line.object_id.value)
        _ram(reference, "TypeCode", "130")
        _opt(reference, "ReferenceTypeCode", line.object_id.scheme)
    if line.buyer_accounting_reference:
        _ram(
            _ram(settlement, "ReceivableSpecifiedTradeAccountingAccount"),
            "ID",
            line.buyer_accounting_reference,
        )
