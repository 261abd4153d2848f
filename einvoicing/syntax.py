"""The output formats, their namespaces and the identifiers each one declares (BT-23/BT-24)."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from lxml import etree


class Format(StrEnum):
    UBL = "ubl"  # UBL 2.1 per Peppol BIS Billing 3.0
    CII = "cii"  # UN/CEFACT CII D16B, EN 16931
    FACTURX = "facturx"  # the CII of Factur-X / ZUGFeRD 2.x profile EN 16931, embedded in a PDF/A-3b
    XRECHNUNG_UBL = "xrechnung-ubl"  # XRechnung 3.0, UBL syntax
    XRECHNUNG_CII = "xrechnung-cii"  # XRechnung 3.0, CII syntax

    @property
    def syntax(self) -> str:
        return "ubl" if self in (Format.UBL, Format.XRECHNUNG_UBL) else "cii"

    @property
    def label(self) -> str:
        return FORMAT_LABELS[self]


FORMAT_LABELS = {
    Format.UBL: "UBL 2.1 (Peppol BIS Billing 3.0)",
    Format.CII: "CII D16B (EN 16931)",
    Format.FACTURX: "Factur-X / ZUGFeRD (EN 16931 profile)",
    Format.XRECHNUNG_UBL: "XRechnung 3.0 (UBL)",
    Format.XRECHNUNG_CII: "XRechnung 3.0 (CII)",
}

# BT-24 specification identifiers and BT-23 business process types.
EN16931 = "urn:cen.eu:en16931:2017"
PEPPOL_CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PEPPOL_PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
XRECHNUNG_CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"

CUSTOMIZATION = {
    Format.UBL: PEPPOL_CUSTOMIZATION,
    Format.CII: EN16931,
    Format.FACTURX: EN16931,
    Format.XRECHNUNG_UBL: XRECHNUNG_CUSTOMIZATION,
    Format.XRECHNUNG_CII: XRECHNUNG_CUSTOMIZATION,
}
PROFILE = {
    Format.UBL: PEPPOL_PROFILE,
    Format.CII: "",
    Format.FACTURX: "",
    Format.XRECHNUNG_UBL: PEPPOL_PROFILE,
    Format.XRECHNUNG_CII: PEPPOL_PROFILE,
}

UBL_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"

UBL_NSMAP = {"cac": CAC, "cbc": CBC}
CII_NSMAP = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}


def amount_text(value: Decimal) -> str:
    """A decimal as XML writes it: plain notation, never an exponent ('1E+2')."""
    return format(value, "f")


def sub(parent: etree._Element, tag: str, text: str | None = None, **attributes: str) -> etree._Element:
    """Append a child element. The callers skip empty values: the rules forbid empty elements."""
    element = etree.SubElement(parent, tag, {k: v for k, v in attributes.items() if v})
    if text is not None:
        element.text = text
    return element
