"""Factur-X PDFs: PDF/A-3b with an output intent, the fx: XMP properties, and the XML that
comes back out (with the factur-x package) equal to the XML we generated."""

from __future__ import annotations

import io

import pikepdf
import pytest
from facturx import get_xml_from_pdf

from einvoicing.facturx_pdf import FX_NS, render_facturx_pdf, render_model_html
from einvoicing.generate import generate_validated
from einvoicing.syntax import Format
from einvoicing.tests.matrix import matrix


@pytest.mark.parametrize("name", list(matrix()))
def test_facturx_pdf_carries_the_generated_xml(name: str) -> None:
    invoice = matrix()[name]
    xml, _ = generate_validated(invoice, Format.FACTURX)

    pdf = render_facturx_pdf(render_model_html(invoice), xml, title=invoice.number)

    filename, extracted = get_xml_from_pdf(pdf, check_xsd=True)
    assert (filename, extracted) == ("factur-x.xml", xml)
    with pikepdf.open(io.BytesIO(pdf)) as document:
        metadata = document.open_metadata()
        assert metadata.pdfa_status == "3B"
        assert metadata[f"{{{FX_NS}}}ConformanceLevel"] == "EN 16931"
        assert metadata[f"{{{FX_NS}}}DocumentFileName"] == "factur-x.xml"
        assert metadata[f"{{{FX_NS}}}DocumentType"] == "INVOICE"
        assert metadata[f"{{{FX_NS}}}Version"] == "1.0"
        intents = document.Root.OutputIntents
        assert len(intents) == 1
        assert intents[0].S == "/GTS_PDFA1"
        assert "/DestOutputProfile" in intents[0]
        spec = document.attachments["factur-x.xml"]
        assert spec.obj.AFRelationship == "/Data"
        assert spec.obj.EF.F.Subtype == "/text/xml"
        assert spec.obj.objgen in {af.objgen for af in document.Root.AF}
