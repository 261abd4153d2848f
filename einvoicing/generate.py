"""Model → validated XML in any format. A document with a fatal assertion never leaves here."""

from __future__ import annotations

from lxml import etree

from einvoicing.cii_writer import build_cii
from einvoicing.model import Invoice
from einvoicing.syntax import Format
from einvoicing.ubl_writer import build_ubl
from einvoicing.validation import EInvoiceInvalid, ValidationReport, validate_tree


def build_tree(invoice: Invoice, fmt: Format) -> etree._Element:
    return build_ubl(invoice, fmt) if fmt.syntax == "ubl" else build_cii(invoice, fmt)


def generate_xml(invoice: Invoice, fmt: Format) -> bytes:
    """The document's XML, unvalidated (benchmarks and tests; callers use `generate_validated`)."""
    return etree.tostring(build_tree(invoice, fmt), xml_declaration=True, encoding="UTF-8")


def generate_validated(invoice: Invoice, fmt: Format) -> tuple[bytes, ValidationReport]:
    """The document's XML and its report; raises `EInvoiceInvalid` on any fatal assertion."""
    tree = build_tree(invoice, fmt)
    report = validate_tree(tree, fmt)
    if not report.is_valid:
        raise EInvoiceInvalid(report)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8"), report
