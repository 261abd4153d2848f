"""Model → UBL 2.1 Invoice / CreditNote, per Peppol BIS Billing 3.0 or XRechnung 3.0 (UBL).

Built as an lxml tree in the element order of the UBL 2.1 schemas; an empty value writes no
element at all (PEPPOL-EN16931-R008 forbids empty elements).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from lxml import etree

from einvoicing.model import (
    Address,
    AllowanceCharge,
    Contact,
    Invoice,
    Line,
    Party,
    PaymentInstructions,
)
from einvoicing.syntax import (
    CAC,
    CBC,
    CUSTOMIZATION,
    PROFILE,
    UBL_CREDIT_NOTE,
    UBL_INVOICE,
    UBL_NSMAP,
    Format,
    amount_text,
)


def _cbc(parent: etree._Element, tag: str, value: object, /, **attributes: str) -> etree._Element | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        text = amount_text(value)
    elif isinstance(value, date):
        text = value.isoformat()
    else:
        text = str(value)
    element = etree.SubElement(parent, f"{{{CBC}}}{tag}", {k: v for k, v in attributes.items() if v})
    element.text = text
    return element


def _cac(parent: etree._Element, name: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{CAC}}}{name}")


def write_ubl(invoice: Invoice, fmt: Format = Format.UBL) -> bytes:
    return etree.tostring(build_ubl(invoice, fmt), xml_declaration=True, encoding="UTF-8")


def build_ubl(invoice: Invoice, fmt: Format = Format.UBL) -> etree._Element:
    credit = invoice.is_credit_note
    root_ns = UBL_CREDIT_NOTE if credit else UBL_INVOICE
    root = etree.Element(
        f"{{{root_ns}}}{'CreditNote' if credit else 'Invoice'}", nsmap={None: root_ns} | UBL_NSMAP
    )
    cur = invoice.currency

    _cbc(root, "CustomizationID", CUSTOMIZATION[fmt])
    _cbc(root, "ProfileID", PROFILE[fmt])
    _cbc(root, "ID", invoice.number)
    _cbc(root, "IssueDate", invoice.issue_date)
    if credit:
        _cbc(root, "TaxPointDate", invoice.tax_point_date)
        _cbc(root, "CreditNoteTypeCode", invoice.type_code.value)
    else:
        _cbc(root, "DueDate", invoice.due_date)
        _cbc(root, "InvoiceTypeCode", invoice.type_code.value)
    for note in invoice.notes:
        _cbc(root, "Note", f"#{note.subject_code}#{note.text}" if note.subject_code else note.text)
    if not credit:
        _cbc(root, "TaxPointDate", invoice.tax_point_date)
    _cbc(root, "DocumentCurrencyCode", cur)
    _cbc(root, "TaxCurrencyCode", invoice.tax_currency)
    _cbc(root, "AccountingCost", invoice.buyer_accounting_reference)
    _cbc(root, "BuyerReference", invoice.buyer_reference)
    if invoice.invoicing_period:
        period = _cac(root, "InvoicePeriod")
        _cbc(period, "StartDate", invoice.invoicing_period.start)
        _cbc(period, "EndDate", invoice.invoicing_period.end)
    if invoice.purchase_order_reference or invoice.sales_order_reference:
        order = _cac(root, "OrderReference")
        # cbc:ID is mandatory in UBL; Peppol writes NA when only the sales order is known.
        _cbc(order, "ID", invoice.purchase_order_reference or "NA")
        _cbc(order, "SalesOrderID", invoice.sales_order_reference)
    for preceding in invoice.preceding_invoices:
        reference = _cac(_cac(root, "BillingReference"), "InvoiceDocumentReference")
        _cbc(reference, "ID", preceding.number)
        _cbc(reference, "IssueDate", preceding.issue_date)
    _document_reference(root, "DespatchDocumentReference", invoice.despatch_advice_reference)
    _document_reference(root, "ReceiptDocumentReference", invoice.receiving_advice_reference)
    if not credit:
        _document_reference(root, "OriginatorDocumentReference", invoice.tender_reference)
    _document_reference(root, "ContractDocumentReference", invoice.contract_reference)
    if invoice.invoiced_object:
        reference = _cac(root, "AdditionalDocumentReference")
        _cbc(reference, "ID", invoice.invoiced_object.value, schemeID=invoice.invoiced_object.scheme)
        _cbc(reference, "DocumentTypeCode", "130")
    if credit:
        # UBL 2.1 CreditNote has no ProjectReference: EN 16931 binds BT-11 to a document
        # reference typed 50 there, and BT-17 to OriginatorDocumentReference after it.
        if invoice.project_reference:
            reference = _cac(root, "AdditionalDocumentReference")
            _cbc(reference, "ID", invoice.project_reference)
            _cbc(reference, "DocumentTypeCode", "50")
        _document_reference(root, "OriginatorDocumentReference", invoice.tender_reference)
    else:
        _document_reference(root, "ProjectReference", invoice.project_reference)

    _party(_cac(root, "AccountingSupplierParty"), invoice.seller, seller=True, invoice=invoice)
    _party(_cac(root, "AccountingCustomerParty"), invoice.buyer, seller=False, invoice=invoice)
    if invoice.payee:
        payee = _cac(root, "PayeeParty")
        if invoice.payee.identifier:
            _cbc(
                _cac(payee, "PartyIdentification"),
                "ID",
                invoice.payee.identifier.value,
                schemeID=invoice.payee.identifier.scheme,
            )
        _cbc(_cac(payee, "PartyName"), "Name", invoice.payee.name)
        if invoice.payee.legal_registration:
            _cbc(
                _cac(payee, "PartyLegalEntity"),
                "CompanyID",
                invoice.payee.legal_registration.value,
                schemeID=invoice.payee.legal_registration.scheme,
            )
    if invoice.delivery:
        delivery = _cac(root, "Delivery")
        _cbc(delivery, "ActualDeliveryDate", invoice.delivery.actual_date)
        if invoice.delivery.location_id or invoice.delivery.address:
            location = _cac(delivery, "DeliveryLocation")
            if invoice.delivery.location_id:
                _cbc(
                    location,
                    "ID",
                    invoice.delivery.location_id.value,
                    schemeID=invoice.delivery.location_id.scheme,
                )
            if invoice.delivery.address:
                _address(_cac(location, "Address"), invoice.delivery.address)
        if invoice.delivery.party_name:
            _cbc(_cac(_cac(delivery, "DeliveryParty"), "PartyName"), "Name", invoice.delivery.party_name)
    if invoice.payment:
        _payment_means(root, invoice.payment, invoice.due_date if credit else None)
    if invoice.payment_terms:
        _cbc(_cac(root, "PaymentTerms"), "Note", invoice.payment_terms)
    for allowance_charge in invoice.allowances_charges:
        _allowance_charge(root, allowance_charge, cur, with_tax=True)

    totals = invoice.totals
    tax_total = _cac(root, "TaxTotal")
    _cbc(tax_total, "TaxAmount", totals.tax_total, currencyID=cur)
    for breakdown in invoice.vat_breakdown:
        subtotal = _cac(tax_total, "TaxSubtotal")
        _cbc(subtotal, "TaxableAmount", breakdown.taxable_amount, currencyID=cur)
        _cbc(subtotal, "TaxAmount", breakdown.tax_amount, currencyID=cur)
        category = _cac(subtotal, "TaxCategory")
        _cbc(category, "ID", breakdown.category)
        _cbc(category, "Percent", breakdown.rate)
        _cbc(category, "TaxExemptionReasonCode", breakdown.exemption_reason_code)
        _cbc(category, "TaxExemptionReason", breakdown.exemption_reason)
        _cbc(_cac(category, "TaxScheme"), "ID", "VAT")
    if invoice.tax_currency and totals.tax_total_in_accounting_currency is not None:
        _cbc(
            _cac(root, "TaxTotal"),
            "TaxAmount",
            totals.tax_total_in_accounting_currency,
            currencyID=invoice.tax_currency,
        )
    monetary = _cac(root, "LegalMonetaryTotal")
    _cbc(monetary, "LineExtensionAmount", totals.line_total, currencyID=cur)
    _cbc(monetary, "TaxExclusiveAmount", totals.tax_exclusive, currencyID=cur)
    _cbc(monetary, "TaxInclusiveAmount", totals.tax_inclusive, currencyID=cur)
    _cbc(monetary, "AllowanceTotalAmount", totals.allowance_total, currencyID=cur)
    _cbc(monetary, "ChargeTotalAmount", totals.charge_total, currencyID=cur)
    _cbc(monetary, "PrepaidAmount", totals.prepaid, currencyID=cur)
    _cbc(monetary, "PayableRoundingAmount", totals.rounding, currencyID=cur)
    _cbc(monetary, "PayableAmount", totals.payable, currencyID=cur)

    for line in invoice.lines:
        _line(root, line, cur, credit)
    return root


def _document_reference(parent: etree._Element, name: str, value: str) -> None:
    if value:
        _cbc(_cac(parent, name), "ID", value)


def _address(element: etree._Element, address: Address) -> None:
    _cbc(element, "StreetName", address.line1)
    _cbc(element, "AdditionalStreetName", address.line2)
    _cbc(element, "CityName", address.city)
    _cbc(element, "PostalZone", address.postal_code)
    _cbc(element, "CountrySubentity", address.subdivision)
    if address.line3:
        _cbc(_cac(element, "AddressLine"), "Line", address.line3)
    _cbc(_cac(element, "Country"), "IdentificationCode", address.country_code)


def _contact(parent: etree._Element, contact: Contact | None) -> None:
    if contact and (contact.name or contact.phone or contact.email):
        element = _cac(parent, "Contact")
        _cbc(element, "Name", contact.name)
        _cbc(element, "Telephone", contact.phone)
        _cbc(element, "ElectronicMail", contact.email)


def _party(parent: etree._Element, party: Party, *, seller: bool, invoice: Invoice) -> None:
    element = _cac(parent, "Party")
    if party.electronic_address:
        _cbc(element, "EndpointID", party.electronic_address.value, schemeID=party.electronic_address.scheme)
    for identifier in party.identifiers:
        _cbc(_cac(element, "PartyIdentification"), "ID", identifier.value, schemeID=identifier.scheme)
    if seller and invoice.payment and invoice.payment.direct_debit and not invoice.payee:
        # BT-90, the SEPA creditor id, is a seller identifier with scheme SEPA in UBL.
        _cbc(
            _cac(element, "PartyIdentification"),
            "ID",
            invoice.payment.direct_debit.creditor_id,
            schemeID="SEPA",
        )
    if party.trading_name:
        _cbc(_cac(element, "PartyName"), "Name", party.trading_name)
    _address(_cac(element, "PostalAddress"), party.address)
    if party.vat_id:
        scheme = _cac(element, "PartyTaxScheme")
        _cbc(scheme, "CompanyID", party.vat_id)
        _cbc(_cac(scheme, "TaxScheme"), "ID", "VAT")
    if seller and party.tax_registration_id:
        scheme = _cac(element, "PartyTaxScheme")
        _cbc(scheme, "CompanyID", party.tax_registration_id)
        _cbc(_cac(scheme, "TaxScheme"), "ID", "FC")
    legal = _cac(element, "PartyLegalEntity")
    _cbc(legal, "RegistrationName", party.name)
    if party.legal_registration:
        _cbc(legal, "CompanyID", party.legal_registration.value, schemeID=party.legal_registration.scheme)
    if seller:
        _cbc(legal, "CompanyLegalForm", party.legal_info)
    _contact(element, party.contact)


def _payment_means(root: etree._Element, payment: PaymentInstructions, credit_due_date: date | None) -> None:
    accounts = payment.credit_transfers or (None,)
    for index, account in enumerate(accounts):
        means = _cac(root, "PaymentMeans")
        _cbc(means, "PaymentMeansCode", payment.means_code, name=payment.means_text)
        if index == 0:
            # UBL's CreditNote has no DueDate: EN 16931 binds BT-9 here for credit notes.
            _cbc(means, "PaymentDueDate", credit_due_date)
        _cbc(means, "PaymentID", payment.remittance_information)
        if index == 0 and payment.card_account_number:
            card = _cac(means, "CardAccount")
            _cbc(card, "PrimaryAccountNumberID", payment.card_account_number)
            _cbc(card, "NetworkID", "NA")
            _cbc(card, "HolderName", payment.card_holder_name)
        if account is not None:
            financial = _cac(means, "PayeeFinancialAccount")
            _cbc(financial, "ID", account.account_id)
            _cbc(financial, "Name", account.account_name)
            if account.service_provider_id:
                _cbc(_cac(financial, "FinancialInstitutionBranch"), "ID", account.service_provider_id)
        if index == 0 and payment.direct_debit:
            mandate = _cac(means, "PaymentMandate")
            _cbc(mandate, "ID", payment.direct_debit.mandate_reference)
            _cbc(_cac(mandate, "PayerFinancialAccount"), "ID", payment.direct_debit.debited_account_id)


def _allowance_charge(parent: etree._Element, ac: AllowanceCharge, cur: str, *, with_tax: bool) -> None:
    element = _cac(parent, "AllowanceCharge")
    _cbc(element, "ChargeIndicator", "true" if ac.is_charge else "false")
    _cbc(element, "AllowanceChargeReasonCode", ac.reason_code)
    _cbc(element, "AllowanceChargeReason", ac.reason)
    _cbc(element, "MultiplierFactorNumeric", ac.percentage)
    _cbc(element, "Amount", ac.amount, currencyID=cur)
    _cbc(element, "BaseAmount", ac.base_amount, currencyID=cur)
    if with_tax:
        category = _cac(element, "TaxCategory")
        _cbc(category, "ID", ac.vat_category)
        _cbc(category, "Percent", ac.vat_rate)
        _cbc(_cac(category, "TaxScheme"), "ID", "VAT")


def _line(root: etree._Element, line: Line, cur: str, credit: bool) -> None:
    element = _cac(root, "CreditNoteLine" if credit else "InvoiceLine")
    _cbc(element, "ID", line.id)
    _cbc(element, "Note", line.note)
    _cbc(
        element, "CreditedQuantity" if credit else "InvoicedQuantity", line.quantity, unitCode=line.unit_code
    )
    _cbc(element, "LineExtensionAmount", line.net_amount, currencyID=cur)
    _cbc(element, "AccountingCost", line.buyer_accounting_reference)
    if line.period:
        period = _cac(element, "InvoicePeriod")
        _cbc(period, "StartDate", line.period.start)
        _cbc(period, "EndDate", line.period.end)
    if line.order_line_reference:
        _cbc(_cac(element, "OrderLineReference"), "LineID", line.order_line_reference)
    if line.object_id:
        reference = _cac(element, "DocumentReference")
        _cbc(reference, "ID", line.object_id.value, schemeID=line.object_id.scheme)
        _cbc(reference, "DocumentTypeCode", "130")
    for allowance_charge in line.allowances_charges:
        _allowance_charge(element, allowance_charge, cur, with_tax=False)

    item = _cac(element, "Item")
    _cbc(item, "Description", line.item.description)
    _cbc(item, "Name", line.item.name)
    if line.item.buyer_id:
        _cbc(_cac(item, "BuyersItemIdentification"), "ID", line.item.buyer_id)
    if line.item.seller_id:
        _cbc(_cac(item, "SellersItemIdentification"), "ID", line.item.seller_id)
    if line.item.standard_id:
        _cbc(
            _cac(item, "StandardItemIdentification"),
            "ID",
            line.item.standard_id.value,
            schemeID=line.item.standard_id.scheme,
        )
    if line.item.origin_country:
        _cbc(_cac(item, "OriginCountry"), "IdentificationCode", line.item.origin_country)
    for classification in line.item.classifications:
        _cbc(
            _cac(item, "CommodityClassification"),
            "ItemClassificationCode",
            classification.value,
            listID=classification.scheme,
        )
    tax = _cac(item, "ClassifiedTaxCategory")
    _cbc(tax, "ID", line.vat_category)
    _cbc(tax, "Percent", line.vat_rate)
    _cbc(_cac(tax, "TaxScheme"), "ID", "VAT")
    for attribute in line.item.attributes:
        property_ = _cac(item, "AdditionalItemProperty")
        _cbc(property_, "Name", attribute.name)
        _cbc(property_, "Value", attribute.value)

    price = _cac(element, "Price")
    _cbc(price, "PriceAmount", line.net_price, currencyID=cur)
    _cbc(price, "BaseQuantity", line.base_quantity, unitCode=line.base_quantity_unit_code)
    if line.gross_price is not None:
        discount = _cac(price, "AllowanceCharge")
        _cbc(discount, "ChargeIndicator", "false")
        _cbc(discount, "Amount", line.price_discount or Decimal(0), currencyID=cur)
        _cbc(discount, "BaseAmount", line.gross_price, currencyID=cur)
