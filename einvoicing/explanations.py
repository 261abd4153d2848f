"""Plain words for the rules people break most, and the field to fill in.

Keys are the official rule ids; the field names are the ones our invoice and settings pages use.
A rule not listed here falls back to the rule's own text in the report.
"""

from __future__ import annotations

# rule id → (what to tell the user, the field to fill in)
EXPLANATIONS: dict[str, tuple[str, str]] = {
    # Document
    "BR-01": ("The document does not say which specification it follows.", "format"),
    "BR-02": ("The invoice has no number.", "invoice number"),
    "BR-03": ("The invoice has no issue date.", "issue date"),
    "BR-04": ("The invoice has no type (invoice or credit note).", "document type"),
    "BR-05": ("The invoice has no currency.", "currency"),
    "BR-16": ("The invoice has no lines.", "lines"),
    "BR-CO-25": (
        "An amount is due but there is neither a due date nor payment terms.",
        "due date or payment terms",
    ),
    "BR-55": ("The credit note's preceding invoice has no number.", "credited invoice"),
    # Seller
    "BR-06": ("Your business name is missing.", "workspace: legal name"),
    "BR-08": ("Your business address is missing.", "workspace: address"),
    "BR-09": ("Your business address has no country.", "workspace: country"),
    "BR-CO-26": (
        "Your business needs a VAT number, a company registration number or another identifier.",
        "workspace: VAT number or company registration number",
    ),
    "BR-CO-09": (
        "A VAT number must start with its country's two-letter prefix (e.g. DE123456789).",
        "VAT number",
    ),
    "PEPPOL-EN16931-R020": (
        "Your business needs an electronic address (Peppol id, or an email) to send e-invoices.",
        "workspace: Peppol participant id",
    ),
    "PEPPOL-EN16931-R010": (
        "The client needs an electronic address (Peppol id, or an email) to receive e-invoices.",
        "client: Peppol participant id",
    ),
    "PEPPOL-EN16931-CL008": (
        "Peppol does not accept this kind of electronic address (an email address is not one): "
        "give the Peppol participant id and its scheme.",
        "workspace or client: Peppol participant id",
    ),
    "PEPPOL-EN16931-R003": (
        "Peppol needs the client's PO / buyer reference (or an order reference).",
        "invoice: PO / buyer reference",
    ),
    "BR-62": ("Your electronic address needs its scheme (e.g. 0088, 9930, EM).", "workspace: Peppol scheme"),
    "BR-63": (
        "The client's electronic address needs its scheme (e.g. 0088, 9930, EM).",
        "client: Peppol scheme",
    ),
    # Buyer
    "BR-07": ("The client's name is missing.", "client: name"),
    "BR-10": ("The client's address is missing.", "client: address"),
    "BR-11": ("The client's address has no country.", "client: country"),
    # Lines and amounts
    "BR-21": ("A line has no number.", "line"),
    "BR-22": ("A line has no quantity.", "line: quantity"),
    "BR-23": ("A line has no unit of measure.", "line: unit"),
    "BR-24": ("A line has no net amount.", "line: amount"),
    "BR-25": ("A line has no item name.", "line: description"),
    "BR-26": ("A line has no price.", "line: unit price"),
    "BR-27": ("A line's price is negative; use a credit note or an allowance instead.", "line: unit price"),
    "BR-CO-04": ("A line has no VAT category.", "line: tax rate"),
    "BR-CO-10": ("The lines do not add up to the invoice's net total.", "lines"),
    "BR-CO-13": ("The total without VAT does not match lines, allowances and charges.", "totals"),
    "BR-CO-15": ("The total with VAT is not the total without VAT plus the VAT.", "totals"),
    "BR-CO-16": ("The amount due is not the total minus what was prepaid plus rounding.", "totals"),
    "BR-CO-17": ("A VAT amount is not its base times its rate.", "tax rates"),
    "BR-S-08": ("The standard-rated lines do not add up to their VAT base.", "lines"),
    "PEPPOL-EN16931-R120": ("A line's amount is not quantity x unit price ± its discounts.", "line: amount"),
    "BR-33": ("A discount needs a reason or a reason code.", "discount: reason"),
    "BR-38": ("A charge needs a reason or a reason code.", "charge: reason"),
    "BR-41": ("A line discount needs a reason or a reason code.", "line discount: reason"),
    "BR-42": ("A line charge needs a reason or a reason code.", "line charge: reason"),
    # VAT categories
    "BR-S-02": ("Standard-rated sales need your VAT number.", "workspace: VAT number"),
    "BR-AE-02": (
        "Reverse charge needs both your VAT number and the client's VAT number.",
        "client: VAT number",
    ),
    "BR-AE-03": (
        "Reverse charge needs both your VAT number and the client's VAT number.",
        "client: VAT number",
    ),
    "BR-AE-10": (
        "Reverse charge needs an exemption reason (e.g. VATEX-EU-AE, 'Reverse charge').",
        "tax rate: exemption reason",
    ),
    "BR-E-10": (
        "A VAT-exempt sale needs its exemption reason (a VATEX code or the law it relies on).",
        "tax rate: exemption reason",
    ),
    "BR-IC-02": ("An intra-community supply needs your VAT number.", "workspace: VAT number"),
    "BR-IC-03": ("An intra-community supply needs the client's VAT number.", "client: VAT number"),
    "BR-IC-10": (
        "An intra-community supply needs an exemption reason (e.g. VATEX-EU-IC).",
        "tax rate: exemption reason",
    ),
    "BR-IC-11": (
        "An intra-community supply needs a delivery date or an invoicing period.",
        "delivery date or service period",
    ),
    "BR-IC-12": (
        "An intra-community supply needs the country it was delivered to.",
        "delivery address: country",
    ),
    "BR-Z-10": ("A zero-rated sale must not carry an exemption reason.", "tax rate: exemption reason"),
    "BR-S-10": ("A standard-rated sale must not carry an exemption reason.", "tax rate: exemption reason"),
    # Payment
    "BR-49": ("The payment method is missing.", "payment method"),
    "BR-50": ("Bank transfer needs your account number (IBAN).", "workspace: IBAN"),
    "BR-61": ("Bank transfer needs your account number (IBAN).", "workspace: IBAN"),
    # XRechnung
    "BR-DE-1": ("XRechnung needs payment instructions.", "payment method"),
    "BR-DE-2": ("XRechnung needs your contact details.", "workspace: contact"),
    "BR-DE-3": ("XRechnung needs your city.", "workspace: city"),
    "BR-DE-4": ("XRechnung needs your postcode.", "workspace: postcode"),
    "BR-DE-5": ("XRechnung needs a contact person.", "workspace: contact name"),
    "BR-DE-6": ("XRechnung needs a contact telephone number.", "workspace: phone"),
    "BR-DE-7": ("XRechnung needs a contact email address.", "workspace: email"),
    "BR-DE-8": ("XRechnung needs the client's city.", "client: city"),
    "BR-DE-9": ("XRechnung needs the client's postcode.", "client: postcode"),
    "BR-DE-14": ("XRechnung needs every VAT rate written out.", "tax rate"),
    "BR-DE-15": (
        "XRechnung needs the buyer reference: the Leitweg-ID of the public body you invoice.",
        "client: Leitweg-ID",
    ),
    "BR-DE-16": ("XRechnung needs your VAT number or tax number.", "workspace: VAT number or tax number"),
    "BR-DE-17": ("XRechnung does not accept this document type.", "document type"),
    "BR-DE-19": ("The IBAN is not valid.", "workspace: IBAN"),
    "BR-DE-23-a": ("Bank transfer needs your account number (IBAN).", "workspace: IBAN"),
}


def explain(rule_id: str) -> tuple[str, str]:
    """Plain words and the field for a rule, or ("", "") to fall back on the rule's own text."""
    return EXPLANATIONS.get(rule_id, ("", ""))
