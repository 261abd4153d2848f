"""Part of bench/pdf_render.py: the invoice's own PDF, plain and as Factur-X, side by side.

The same HTML of the same 12-line invoice through the same renderer (`documents.render`),
alternating, so load affects both alike; then what the Factur-X adds before the render: the
CII generated and validated (schema, CEN EN 16931, Factur-X rules). Run bench/pdf_render.py.
"""

from __future__ import annotations

import statistics
import time
from typing import Any


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.0f} ms"


def facturx_medians(html: str, xml: bytes, repeat: int) -> tuple[float, float]:
    """(plain, Factur-X) median seconds of the invoice's own PDF, the same HTML through the same
    renderer, alternating: what `documents.invoice_pdf` adds (PDF/A-3b, the XML attached, the
    Factur-X XMP). The XML's validation is timed apart (`validation_median`)."""
    from documents.render import html_to_facturx_pdf, html_to_pdf

    html_to_pdf(html)
    html_to_facturx_pdf(html, xml)
    plain, facturx = [], []
    for _ in range(repeat):
        began = time.perf_counter()
        html_to_pdf(html)
        plain.append(time.perf_counter() - began)
        began = time.perf_counter()
        html_to_facturx_pdf(html, xml)
        facturx.append(time.perf_counter() - began)
    return statistics.median(plain), statistics.median(facturx)


def validation_median(model: Any, repeat: int) -> float:
    """Generate and fully validate the Factur-X CII (schema, CEN EN 16931, Factur-X rules)."""
    from einvoicing.generate import generate_validated
    from einvoicing.syntax import Format
    from einvoicing.validation import warm_up

    warm_up()
    generate_validated(model, Format.FACTURX)
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        generate_validated(model, Format.FACTURX)
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def generation_median(model: Any, repeat: int) -> float:
    """Generate the Factur-X CII alone (what a version already proven valid costs)."""
    from einvoicing.generate import generate_xml
    from einvoicing.syntax import Format

    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        generate_xml(model, Format.FACTURX)
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def facturx_report(tenant: Any, invoice: Any, repeat: int) -> None:
    """The 12-line invoice's own PDF plain and as Factur-X, side by side."""
    from documents.einvoice_mapping import to_einvoice
    from documents.render import load_invoice_for_render, render_invoice_html
    from einvoicing.generate import generate_validated
    from einvoicing.syntax import Format
    from einvoicing.validation import EInvoiceInvalid
    from tenants.scoping import tenant_scope

    with tenant_scope(tenant):
        full = load_invoice_for_render(invoice_pk=invoice.pk)
        html = render_invoice_html(full)
        model = to_einvoice(full)
    try:
        xml, _report = generate_validated(model, Format.FACTURX)
    except EInvoiceInvalid as error:
        print(f"  Factur-X not measured: its XML breaks {[r.rule_id for r in error.report.fatal]}")
        return
    plain, facturx = facturx_medians(html, xml, repeat)
    validate = validation_median(model, repeat)
    generate = generation_median(model, repeat)
    print("                              plain    Factur-X (PDF/A-3b + XML)   ratio")
    print(
        f"  12 lines, invoice PDF    {ms(plain)}   {ms(facturx)}                {facturx / plain:5.2f}"
        f"   (median of {repeat}, render only)"
    )
    print(
        f"  + XML generated and validated (schema, CEN, Factur-X rules): {ms(validate)};"
        f" Factur-X in all {ms(facturx + validate)} vs plain {ms(plain)}"
        f" ({(facturx + validate) / plain - 1:+.0%})"
    )
    print(
        f"  verdict already cached (the invoice page's e-invoice panel checked this version):"
        f" XML generated {ms(generate)}; Factur-X in all {ms(facturx + generate)}"
        f" ({(facturx + generate) / plain - 1:+.0%})"
    )
    print(
        f"RESULT facturx_plain_ms={plain * 1000:.0f} facturx_pdf_ms={facturx * 1000:.0f} "
        f"facturx_validate_ms={validate * 1000:.0f} facturx_generate_ms={generate * 1000:.1f}"
    )
