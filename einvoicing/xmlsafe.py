"""Parsing XML that came from outside, and the one error a refused file raises.

lxml is told not to resolve entities, not to touch the network and to keep its default size
limits (`huge_tree=False`); on top of that any DOCTYPE is refused outright, since a genuine
e-invoice never has one and a DTD is how entity bombs and external entities get in.
"""

from __future__ import annotations

from lxml import etree

MAX_XML_BYTES = 10 * 1024 * 1024
MAX_PDF_BYTES = 20 * 1024 * 1024


class EInvoiceRejected(ValueError):
    """A received file we will not read, with the reason in plain words for the person who sent it."""


_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    huge_tree=False,
    load_dtd=False,
    dtd_validation=False,
    remove_comments=False,
    remove_pis=True,
)


def parse_untrusted_xml(data: bytes) -> etree._Element:
    """Parse bytes from outside into a tree, or raise `EInvoiceRejected` saying why not."""
    if len(data) > MAX_XML_BYTES:
        raise EInvoiceRejected(
            f"The file is {len(data) / 1024 / 1024:.1f} MB; an XML invoice may be at most "
            f"{MAX_XML_BYTES // 1024 // 1024} MB."
        )
    if not data.strip():
        raise EInvoiceRejected("The file is empty.")
    # Look for a DOCTYPE before parsing at all: a DTD is refused whatever it declares.
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if b"<!DOCTYPE" in data[: 64 * 1024].upper() or b"<!ENTITY" in data[: 64 * 1024].upper():
        raise EInvoiceRejected(
            "The file declares a DOCTYPE or entities. E-invoices never do, and such declarations "
            "can hide external references or expansion bombs, so the file was not read."
        )
    # UTF-16/32 documents start with a byte order mark, not "<"; the parser reads them.
    if not head.startswith((b"<", b"\xff\xfe", b"\xfe\xff")):
        raise EInvoiceRejected("The file is not XML (it does not start with a tag).")
    try:
        tree = etree.fromstring(data, parser=_PARSER)
    except etree.XMLSyntaxError as error:
        raise EInvoiceRejected(f"The file is not well-formed XML: {error.msg}.") from error
    if tree.getroottree().docinfo.doctype:
        raise EInvoiceRejected("The file declares a DOCTYPE, which e-invoices never do.")
    return tree
