"""Factur-X / ZUGFeRD 2.x: the invoice PDF made PDF/A-3b by WeasyPrint, with its CII XML inside.

WeasyPrint 70 does all of it in one pass, with no second PDF library rewriting its output:

- `pdf_variant="pdf/a-3b"` writes the PDF/A-3b identification, the sRGB output intent and an
  /AF array listing the attachments;
- the XML is an `Attachment` named factur-x.xml with `relationship="Data"` (Factur-X's
  AFRelationship for the EN 16931 profile), given as a `data:text/xml` URL so its /Subtype is
  text/xml as the Factur-X specification asks;
- the Factur-X XMP (the PDF/A extension schema that declares the `fx:` properties, and the
  properties themselves) goes into the document's one XMP packet, inside WeasyPrint's own
  rdf:RDF. WeasyPrint's `xmp_metadata` option would write it as a second rdf:RDF beside the
  first, which XMP readers ignore (pikepdf saw no fx: property that way), so we extend the
  RDF that `DocumentMetadata.generate_rdf_metadata` returns, for this document only. The
  test that reads fx:ConformanceLevel back with pikepdf fails if WeasyPrint changes that.

`einvoicing.tests.test_facturx_pdf` checks the result with pikepdf (PDF/A-3b claim, output
intent, fx: properties) and with the factur-x package's own extraction.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any

from django.template.loader import render_to_string
from lxml import etree

from einvoicing.model import Invoice

FACTURX_FILENAME = "factur-x.xml"
FX_NS = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
PDFA_EXTENSION = "http://www.aiim.org/pdfa/ns/extension/"
PDFA_SCHEMA = "http://www.aiim.org/pdfa/ns/schema#"
PDFA_PROPERTY = "http://www.aiim.org/pdfa/ns/property#"

FX_PROPERTIES = (
    ("DocumentFileName", "The name of the embedded XML document"),
    ("DocumentType", "The type of the hybrid document in capital letters, e.g. INVOICE or ORDER"),
    ("Version", "The actual version of the standard applying to the embedded XML document"),
    ("ConformanceLevel", "The conformance level of the embedded XML document"),
)


def facturx_xmp(conformance_level: str = "EN 16931", version: str = "1.0") -> bytes:
    """The Factur-X XMP block: the extension schema (PDF/A requires custom properties to be
    declared) and the four fx: properties receivers read to find the XML."""
    rdf = etree.Element(f"{{{RDF_NS}}}RDF", nsmap={"rdf": RDF_NS})
    schema_description = etree.SubElement(
        rdf,
        f"{{{RDF_NS}}}Description",
        {f"{{{RDF_NS}}}about": ""},
        nsmap={"pdfaExtension": PDFA_EXTENSION, "pdfaSchema": PDFA_SCHEMA, "pdfaProperty": PDFA_PROPERTY},
    )
    bag = etree.SubElement(
        etree.SubElement(schema_description, f"{{{PDFA_EXTENSION}}}schemas"), f"{{{RDF_NS}}}Bag"
    )
    schema = etree.SubElement(bag, f"{{{RDF_NS}}}li", {f"{{{RDF_NS}}}parseType": "Resource"})
    etree.SubElement(schema, f"{{{PDFA_SCHEMA}}}schema").text = "Factur-X PDFA Extension Schema"
    etree.SubElement(schema, f"{{{PDFA_SCHEMA}}}namespaceURI").text = FX_NS
    etree.SubElement(schema, f"{{{PDFA_SCHEMA}}}prefix").text = "fx"
    seq = etree.SubElement(etree.SubElement(schema, f"{{{PDFA_SCHEMA}}}property"), f"{{{RDF_NS}}}Seq")
    for name, description in FX_PROPERTIES:
        prop = etree.SubElement(seq, f"{{{RDF_NS}}}li", {f"{{{RDF_NS}}}parseType": "Resource"})
        etree.SubElement(prop, f"{{{PDFA_PROPERTY}}}name").text = name
        etree.SubElement(prop, f"{{{PDFA_PROPERTY}}}valueType").text = "Text"
        etree.SubElement(prop, f"{{{PDFA_PROPERTY}}}category").text = "external"
        etree.SubElement(prop, f"{{{PDFA_PROPERTY}}}description").text = description
    values = etree.SubElement(
        rdf, f"{{{RDF_NS}}}Description", {f"{{{RDF_NS}}}about": ""}, nsmap={"fx": FX_NS}
    )
    etree.SubElement(values, f"{{{FX_NS}}}DocumentType").text = "INVOICE"
    etree.SubElement(values, f"{{{FX_NS}}}DocumentFileName").text = FACTURX_FILENAME
    etree.SubElement(values, f"{{{FX_NS}}}Version").text = version
    etree.SubElement(values, f"{{{FX_NS}}}ConformanceLevel").text = conformance_level
    return etree.tostring(rdf)


def render_facturx_pdf(
    html: str,
    xml: bytes,
    *,
    base_url: str | None = None,
    stylesheets: Sequence[Any] = (),
    url_fetcher: Callable[..., Any] | None = None,
    title: str = "",
    **render_options: Any,
) -> bytes:
    """Render the invoice's HTML to a Factur-X PDF/A-3b carrying `xml` (already validated)."""
    from weasyprint import HTML

    source = HTML(string=html, base_url=base_url, url_fetcher=url_fetcher)
    return write_facturx_pdf(source, xml, stylesheets=stylesheets, title=title, **render_options)


def write_facturx_pdf(
    source: Any, xml: bytes, *, stylesheets: Sequence[Any] = (), title: str = "", **render_options: Any
) -> bytes:
    """A parsed WeasyPrint `HTML` document → Factur-X PDF/A-3b carrying `xml` (already
    validated). The invoice's own PDF comes here with the PDF renderer's parsed document,
    stylesheet and fonts (`documents.render`), so both renders differ only in what this adds."""
    from weasyprint import Attachment

    document = source.render(stylesheets=list(stylesheets), pdf_variant="pdf/a-3b", **render_options)
    if title:
        document.metadata.title = title
    _add_to_xmp(document.metadata, facturx_xmp())
    attachment = Attachment(
        url="data:text/xml;base64," + base64.b64encode(xml).decode("ascii"),
        name=FACTURX_FILENAME,
        description="Factur-X invoice (EN 16931)",
        relationship="Data",
    )
    return document.write_pdf(pdf_variant="pdf/a-3b", attachments=[attachment])


def _add_to_xmp(metadata: Any, rdf_block: bytes) -> None:
    own = metadata.generate_rdf_metadata

    def with_facturx(*args: Any, **kwargs: Any) -> bytes:
        rdf = etree.fromstring(own(*args, **kwargs))
        rdf.extend(list(etree.fromstring(rdf_block)))
        return etree.tostring(rdf)

    metadata.generate_rdf_metadata = with_facturx


def render_model_html(invoice: Invoice) -> str:
    """A plain readable rendering of any model: the received-invoice view, and the PDF face
    of a Factur-X built straight from a model (tests, the benchmark)."""
    title = "Credit note" if invoice.is_credit_note else "Invoice"
    parties = (("Seller", invoice.seller), ("Buyer", invoice.buyer))
    return render_to_string(
        "einvoicing/invoice.html", {"invoice": invoice, "title": title, "parties": parties}
    )
