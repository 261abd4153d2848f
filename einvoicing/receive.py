"""Reading an e-invoice a supplier sent: a Factur-X/ZUGFeRD PDF, or UBL/CII/XRechnung XML.

`read_received(data)` returns the invoice as our model, the rule results of the same rule sets
we apply to our own documents, and any discrepancy between a PDF's visible text and its XML.
A file we cannot read raises `EInvoiceRejected` with the reason in plain words; nothing else
escapes (a hostile PDF that trips the PDF library is a rejection too, never a 500).
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from lxml import etree

from einvoicing.cii_reader import read_cii
from einvoicing.model import Invoice
from einvoicing.syntax import CII_NSMAP, EN16931, UBL_CREDIT_NOTE, UBL_INVOICE, Format
from einvoicing.ubl_reader import read_ubl
from einvoicing.validation import (
    CEN_UBL,
    RULE_SETS,
    RuleSet,
    ValidationReport,
    validate_rules,
    validate_schema,
)
from einvoicing.xmlsafe import MAX_PDF_BYTES, EInvoiceRejected, parse_untrusted_xml

logger = logging.getLogger(__name__)

# Names under which Factur-X, ZUGFeRD 2.x and XRechnung-in-PDF attach their XML.
EINVOICE_ATTACHMENT_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml", "order-x.xml")
# Text extraction reads at most this many pages: the totals and number are on the first or last.
TEXT_PAGES = 20


@dataclass(frozen=True)
class ReceivedInvoice:
    invoice: Invoice
    format: Format
    report: ValidationReport
    xml: bytes
    from_pdf: bool = False
    # Where a PDF's visible text disagrees with its XML (shown to the user; not a rejection).
    discrepancies: tuple[str, ...] = field(default=())


def read_received(data: bytes, filename: str = "") -> ReceivedInvoice:
    if data[:5] == b"%PDF-" or filename.lower().endswith(".pdf"):
        return _read_pdf(data)
    return _read_xml(parse_untrusted_xml(data), data)


def read_model(xml: bytes) -> Invoice:
    """Just the model from e-invoice XML we already checked (a stored received invoice)."""
    tree = parse_untrusted_xml(xml)
    fmt, _ = _classify(tree, from_pdf=False)
    return read_ubl(tree) if fmt.syntax == "ubl" else read_cii(tree)


def _classify(tree: etree._Element, *, from_pdf: bool) -> tuple[Format, tuple[RuleSet, ...]]:
    namespace = etree.QName(tree).namespace
    if namespace == CII_NSMAP["rsm"]:
        guideline = (
            tree.findtext(
                "rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID",
                namespaces=CII_NSMAP,
            )
            or ""
        )
        if "xrechnung" in guideline:
            return Format.XRECHNUNG_CII, RULE_SETS[Format.XRECHNUNG_CII]
        if from_pdf and guideline.strip() == EN16931:
            return Format.FACTURX, RULE_SETS[Format.FACTURX]
        return Format.CII, RULE_SETS[Format.CII]
    if namespace in (UBL_INVOICE, UBL_CREDIT_NOTE):
        customization = (
            tree.findtext(
                "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}CustomizationID"
            )
            or ""
        )
        if "xrechnung" in customization:
            return Format.XRECHNUNG_UBL, RULE_SETS[Format.XRECHNUNG_UBL]
        if "peppol" in customization:
            return Format.UBL, RULE_SETS[Format.UBL]
        # Plain EN 16931 UBL (CEN's own examples): Peppol's rules are not what it claims to follow.
        return Format.UBL, (CEN_UBL,)
    raise EInvoiceRejected(
        "This XML is not an e-invoice we know: expected a UBL Invoice or CreditNote, or a "
        f"UN/CEFACT Cross Industry Invoice, found <{etree.QName(tree).localname}>."
    )


def _read_xml(tree: etree._Element, data: bytes, *, from_pdf: bool = False) -> ReceivedInvoice:
    fmt, rule_sets = _classify(tree, from_pdf=from_pdf)
    results = validate_schema(tree, fmt)
    if not results:
        results = validate_rules(etree.tostring(tree, encoding="unicode"), rule_sets)
    report = ValidationReport(
        format=fmt, results=tuple(results), rule_sets=tuple(rs.label for rs in rule_sets)
    )
    invoice = read_ubl(tree) if fmt.syntax == "ubl" else read_cii(tree)
    return ReceivedInvoice(invoice=invoice, format=fmt, report=report, xml=data, from_pdf=from_pdf)


def _read_pdf(data: bytes) -> ReceivedInvoice:
    if len(data) > MAX_PDF_BYTES:
        raise EInvoiceRejected(
            f"The file is {len(data) / 1024 / 1024:.1f} MB; a PDF invoice may be at most "
            f"{MAX_PDF_BYTES // 1024 // 1024} MB."
        )
    xml = extract_xml_from_pdf(data)
    received = _read_xml(parse_untrusted_xml(xml), xml, from_pdf=True)
    discrepancies = compare_visible_text(pdf_text(data), received.invoice)
    return ReceivedInvoice(
        invoice=received.invoice,
        format=received.format,
        report=received.report,
        xml=xml,
        from_pdf=True,
        discrepancies=tuple(discrepancies),
    )


def extract_xml_from_pdf(data: bytes) -> bytes:
    """The e-invoice XML attached to a PDF (Factur-X, ZUGFeRD 2.x), read with pikepdf (qpdf)."""
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            attachments = {name.lower(): spec for name, spec in pdf.attachments.items()}
            for wanted in EINVOICE_ATTACHMENT_NAMES:
                if wanted in attachments:
                    stream = attachments[wanted].get_file()
                    if stream.size > 10 * 1024 * 1024:
                        raise EInvoiceRejected("The XML attached to this PDF is larger than 10 MB.")
                    return stream.read_bytes()
            names = ", ".join(sorted(attachments)) or "none"
    except EInvoiceRejected:
        raise
    except pikepdf.PasswordError as error:
        raise EInvoiceRejected("This PDF is password-protected; we cannot read its attachments.") from error
    except Exception as error:  # qpdf raises many types on a damaged or hostile file
        logger.info("unreadable PDF upload: %s", error)
        raise EInvoiceRejected("This file is not a readable PDF.") from error
    raise EInvoiceRejected(
        "This PDF carries no e-invoice: it has no factur-x.xml or ZUGFeRD attachment "
        f"(attachments found: {names}). Ask the supplier for a Factur-X/ZUGFeRD PDF or the XML."
    )


def pdf_text(data: bytes) -> str:
    """The PDF's visible text (first pages), with pypdf; empty when it has none we can read."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        return "\n".join((page.extract_text() or "") for page in reader.pages[:TEXT_PAGES])
    except Exception:  # a PDF whose text cannot be read: nothing to compare, not a rejection
        logger.info("PDF text not extractable", exc_info=True)
        return ""


_NUMBER = re.compile(r"-?\d[\d\s.,'\u00a0\u202f]*\d|\d")


def _amounts_in(text: str) -> set[Decimal]:
    """Every amount the text shows, read both as 1,234.56 and as 1.234,56."""
    found: set[Decimal] = set()
    for token in _NUMBER.findall(text):
        compact = re.sub(r"[\s'\u00a0\u202f]", "", token)
        for decimal_mark, group_mark in ((".", ","), (",", ".")):
            candidate = compact.replace(group_mark, "").replace(decimal_mark, ".")
            try:
                found.add(Decimal(candidate))
            except InvalidOperation:
                continue
    return found


def compare_visible_text(text: str, invoice: Invoice) -> list[str]:
    """Say where a PDF's visible text does not show its XML's number and amount due."""
    if not text.strip():
        return ["The PDF has no readable text to compare with its XML."]
    problems = []
    if invoice.number and invoice.number not in text:
        problems.append(
            f"The PDF's text does not show the invoice number {invoice.number} that its XML states."
        )
    if invoice.totals.payable not in _amounts_in(text):
        problems.append(
            f"The PDF's text does not show the amount due {invoice.totals.payable} {invoice.currency} "
            "that its XML states."
        )
    return problems
