"""Plain words for the rules people break most, and the field to fill in.

Keys are the official rule ids; the field names are the ones our invoice and settings pages use.
A rule not listed here falls back to the rule's own text in the report. The words are translated
(einvoicing/locale); `explain` gives them in the active language, so a verdict cached in one
language is explained again in the reader's (`documents.einvoices`).
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# rule id → (what to tell the user, the field to fill in)
EXPLANATIONS: dict[str, tuple[Promise, Promise]] = {
    # Document
    "BR-01": (_("The document does not say which specification it follows."), _("format")),
    "BR-02": (_("The invoice has no number."), _("invoice number")),
    "BR-03": (_("The invoice has no issue date."), _("issue date")),
    "BR-04": (_("The invoice has no type (invoice or credit note)."), _("document type")),
    "BR-05": (_("The invoice has no currency."), _("currency")),
    "BR-16": (_("The invoice has no lines."), _("lines")),
    "BR-CO-25": (
        _("An amount is due but there is neither a due date nor payment terms."),
        _("due date or payment terms"),
    ),
    "BR-55": (_("The credit note's preceding invoice has no number."), _("credited invoice")),
    # Seller
    "BR-06": (_("Your business name is missing."), _("workspace: legal name")),
    "BR-08": (_("Your business address is missing."), _("workspace: address")),
    "BR-09": (_("Your business address has no country."), _("workspace: country")),
    "BR-CO-26": (
        _("Your business needs a VAT number, a company registration number or another identifier."),
        _("workspace: VAT number or company registration number"),
    ),
    "BR-CO-09": (
        _("A VAT number must start with its country's two-letter prefix (e.g. DE123456789)."),
        _("VAT number"),
    ),
    "PEPPOL-EN16931-R020": (
        _("Your business needs an electronic address (Peppol id, or an email) to send e-invoices."),
        _("workspace: Peppol participant id"),
    ),
    "PEPPOL-EN16931-R010": (
        _("The client needs an electronic address (Peppol id, or an email) to receive e-invoices."),
        _("client: Peppol participant id"),
    ),
    "PEPPOL-EN16931-CL008": (
        _(
            "Peppol does not accept this kind of electronic address (an email address is not one): "
            "give the Peppol participant id and its scheme."
        ),
        _("workspace or client: Peppol participant id"),
    ),
    "PEPPOL-EN16931-R003": (
        _("Peppol needs the client's PO / buyer reference (or an order reference)."),
        _("invoice: PO / buyer reference"),
    ),
    "BR-62": (
        _("Your electronic address needs its scheme (e.g. 0088, 9930, EM)."),
        _("workspace: Peppol scheme"),
    ),
    "BR-63": (
        _("The client's electronic address needs its scheme (e.g. 0088, 9930, EM)."),
        _("client: Peppol scheme"),
    ),
    # Buyer
    "BR-07": (_("The client's name is missing."), _("client: name")),
    "BR-10": (_("The client's address is missing."), _("client: address")),
    "BR-11": (_("The client's address has no country."), _("client: country")),
    # Lines and amounts
    "BR-21": (_("A line has no number."), _("line")),
    "BR-22": (_("A line has no quantity."), _("line: quantity")),
    "BR-23": (_("A line has no unit of measure."), _("line: unit")),
    "BR-24": (_("A line has no net amount."), _("line: amount")),
    "BR-25": (_("A line has no item name."), _("line: description")),
    "BR-26": (_("A line has no price."), _("line: unit price")),
    "BR-27": (
        _("A line's price is negative; use a credit note or an allowance instead."),
        _("line: unit price"),
    ),
    "BR-CO-04": (_("A line has no VAT category."), _("line: tax rate")),
    "BR-CO-10": (_("The lines do not add up to the invoice's net total."), _("lines")),
    "BR-CO-13": (_("The total without VAT does not match lines, allowances and charges."), _("totals")),
    "BR-CO-15": (_("The total with VAT is not the total without VAT plus the VAT."), _("totals")),
    "BR-CO-16": (_("The amount due is not the total minus what was prepaid plus rounding."), _("totals")),
    "BR-CO-17": (_("A VAT amount is not its base times its rate."), _("tax rates")),
    "BR-S-08": (_("The standard-rated lines do not add up to their VAT base."), _("lines")),
    "PEPPOL-EN16931-R120": (
        _("A line's amount is not quantity x unit price ± its discounts."),
        _("line: amount"),
    ),
    "BR-33": (_("A discount needs a reason or a reason code."), _("discount: reason")),
    "BR-38": (_("A charge needs a reason or a reason code."), _("charge: reason")),
    "BR-41": (_("A line discount needs a reason or a reason code."), _("line discount: reason")),
    "BR-42": (_("A line charge needs a reason or a reason code."), _("line charge: reason")),
    # VAT categories
    "BR-S-02": (_("Standard-rated sales need your VAT number."), _("workspace: VAT number")),
    "BR-AE-02": (
        _("Reverse charge needs both your VAT number and the client's VAT number."),
        _("client: VAT number"),
    ),
    "BR-AE-03": (
        _("Reverse charge needs both your VAT number and the client's VAT number."),
        _("client: VAT number"),
    ),
    "BR-AE-10": (
        _("Reverse charge needs an exemption reason (e.g. VATEX-EU-AE, 'Reverse charge')."),
        _("tax rate: exemption reason"),
    ),
    "BR-E-10": (
        _("A VAT-exempt sale needs its exemption reason (a VATEX code or the law it relies on)."),
        _("tax rate: exemption reason"),
    ),
    "BR-IC-10": (
        _("An intra-community supply needs an exemption reason (e.g. VATEX-EU-IC)."),
        _("tax rate: exemption reason"),
    ),
    "BR-IC-11": (
        _("An intra-community supply needs a delivery date or an invoicing period."),
        _("delivery date or service period"),
    ),
    "BR-IC-12": (
        _("An intra-community supply needs the country it was delivered to."),
        _("delivery address: country"),
    ),
    "BR-Z-10": (_("A zero-rated sale must not carry an exemption reason."), _("tax rate: exemption reason")),
    "BR-S-10": (
        _("A standard-rated sale must not carry an exemption reason."),
        _("tax rate: exemption reason"),
    ),
    # Payment
    "BR-49": (_("The payment method is missing."), _("payment method")),
    "BR-50": (_("Bank transfer needs your account number (IBAN)."), _("workspace: IBAN")),
    "BR-61": (_("Bank transfer needs your account number (IBAN)."), _("workspace: IBAN")),
    # XRechnung
    "BR-DE-1": (_("XRechnung needs payment instructions."), _("payment method")),
    "BR-DE-2": (_("XRechnung needs your contact details."), _("workspace: contact")),
    "BR-DE-3": (_("XRechnung needs your city."), _("workspace: city")),
    "BR-DE-4": (_("XRechnung needs your postcode."), _("workspace: postcode")),
    "BR-DE-5": (_("XRechnung needs a contact person."), _("workspace: contact name")),
    "BR-DE-6": (_("XRechnung needs a contact telephone number."), _("workspace: phone")),
    "BR-DE-7": (_("XRechnung needs a contact email address."), _("workspace: email")),
    "BR-DE-8": (_("XRechnung needs the client's city."), _("client: city")),
    "BR-DE-9": (_("XRechnung needs the client's postcode."), _("client: postcode")),
    "BR-DE-14": (_("XRechnung needs every VAT rate written out."), _("tax rate")),
    "BR-DE-15": (
        _("XRechnung needs the buyer reference: the Leitweg-ID of the public body you invoice."),
        _("client: Leitweg-ID"),
    ),
    "BR-DE-16": (
        _("XRechnung needs your VAT number or tax number."),
        _("workspace: VAT number or tax number"),
    ),
    "BR-DE-17": (_("XRechnung does not accept this document type."), _("document type")),
    "BR-DE-19": (_("The IBAN is not valid."), _("workspace: IBAN")),
    "BR-DE-23-a": (_("Bank transfer needs your account number (IBAN)."), _("workspace: IBAN")),
}


# Each VAT category's rules -02, -03 and -04 ask the same of an invoice line, a document-level
# allowance and a document-level charge of that category: one explanation serves all three.
_SELLER_VAT_NUMBER = _("workspace: VAT number")
_BY_CATEGORY: dict[str, tuple[Promise, Promise]] = {
    "S": (_("Standard-rated sales need your VAT number."), _SELLER_VAT_NUMBER),
    "Z": (_("Zero-rated sales need your VAT number."), _SELLER_VAT_NUMBER),
    "E": (_("VAT-exempt sales need your VAT number."), _SELLER_VAT_NUMBER),
    "G": (_("Exports outside the EU need your VAT number."), _SELLER_VAT_NUMBER),
    "O": (
        _("Sales not subject to VAT must not state a VAT number (yours or the client's)."),
        _("workspace or client: VAT number"),
    ),
    "AE": EXPLANATIONS["BR-AE-02"],
    "IC": (
        _("An intra-community supply needs your VAT number and the client's VAT number."),
        _("client: VAT number"),
    ),
}
for _category, _explanation in _BY_CATEGORY.items():
    for _suffix in ("02", "03", "04"):
        EXPLANATIONS.setdefault(f"BR-{_category}-{_suffix}", _explanation)


def explain(rule_id: str) -> tuple[str, str]:
    """Plain words and the field for a rule in the active language, or ("", "") to fall back on
    the rule's own text."""
    explanation, field = EXPLANATIONS.get(rule_id, ("", ""))
    return str(explanation), str(field)
