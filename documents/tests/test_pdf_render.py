"""The rendered PDF, read as a person would: text extracted with pdftotext, pages with pdfinfo,
page 1 turned into a PNG with pdftoppm."""

from __future__ import annotations

import http.server
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from babel.dates import format_date
from defusedxml import ElementTree
from django.conf import settings

from documents import render
from documents.render import load_invoice_for_render, render_invoice_html, render_invoice_pdf
from documents.tests.pdf_samples import sample_credit_note, sample_exempt_invoice, sample_invoice
from invoices import services as invoice_services
from invoices.models import Client, CompanyProfile
from invoices.tests.factories import line
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db

# A 1x1 red PNG.
RED_DOT = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="


def pdf_text(pdf: bytes, tmp_path: Path, *, first: int | None = None, last: int | None = None) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    pages = [*(["-f", str(first)] if first else []), *(["-l", str(last)] if last else [])]
    return subprocess.run(
        ["pdftotext", "-layout", *pages, str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def pdf_info(pdf: bytes, tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "info.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return {
        key.strip(): value.strip() for key, _, value in (line.partition(":") for line in out.splitlines())
    }


def rendered(invoice) -> bytes:
    return render_invoice_pdf(load_invoice_for_render(invoice_pk=invoice.pk))


def test_a_one_page_invoice_states_number_client_lines_taxes_and_totals(tenant, tmp_path):
    with tenant_scope(tenant):
        invoice = sample_invoice(lines=12)
        pdf = rendered(invoice)
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf, tmp_path)
    info = pdf_info(pdf, tmp_path)
    assert info["Pages"] == "1"
    assert invoice.number in text
    assert "Northwind Traders SARL" in text
    assert "Acme Design" in text
    assert "€16,541.35" in text  # total (and balance due)
    assert "€14,530.00" in text  # subtotal
    assert "€1,672.00" in text
    assert "€339.35" in text
    assert "VAT reduced 5.5 %" in text
    assert "Tax breakdown".upper() in text
    assert f"Please pay €16,541.35 by {format_date(invoice.due_date, 'medium', locale='en')}." in text
    assert "Page 1 of 1" in text
    assert "DRAFT" not in text
    # A4 for a French seller: 595 x 842 pt.
    assert info["Page size"].startswith("595")


def test_a_300_line_invoice_repeats_the_table_header_and_numbers_its_pages(tenant, tmp_path):
    with tenant_scope(tenant):
        pdf = rendered(sample_invoice(lines=300))
    pages = int(pdf_info(pdf, tmp_path)["Pages"])
    assert pages >= 8
    for page in (2, pages):
        text = pdf_text(pdf, tmp_path, first=page, last=page)
        assert "DESCRIPTION" in text
        assert "UNIT PRICE" in text
        assert f"Page {page} of {pages}" in text
    assert "(300)" in pdf_text(pdf, tmp_path, first=pages, last=pages)


def reddish_pixels(pdf: bytes, tmp_path: Path) -> int:
    """Page 1 at 20 dpi: how many pixels are clearly red (the DRAFT mark is the only red)."""
    (tmp_path / "page.pdf").write_bytes(pdf)
    ppm = subprocess.run(
        ["pdftoppm", "-r", "20", "-f", "1", "-l", "1", str(tmp_path / "page.pdf")],
        check=True,
        capture_output=True,
    ).stdout
    # P6 header: magic, width height, maxval, then RGB bytes.
    _header, _, rest = ppm.partition(b"\n255\n")
    pixels = rest
    return sum(
        1
        for i in range(0, len(pixels) - 2, 3)
        if pixels[i] > pixels[i + 1] + 12 and pixels[i] > pixels[i + 2] + 12
    )


def test_a_draft_carries_a_draft_mark_and_no_payment_request(tenant, tmp_path):
    with tenant_scope(tenant):
        draft = sample_invoice(finalize=False)
        pdf = rendered(draft)
        html = render_invoice_html(load_invoice_for_render(invoice_pk=draft.pk))
        final = rendered(sample_invoice())
    text = pdf_text(pdf, tmp_path)
    assert '<div class="watermark" aria-hidden="true">DRAFT</div>' in html
    # The mark is drawn across the page (poppler does not extract rotated, translucent text,
    # so it is found the way a reader sees it: in the picture of the page).
    assert reddish_pixels(pdf, tmp_path) > 50
    assert reddish_pixels(final, tmp_path) == 0
    assert "not yet numbered" in text
    assert "it is not a request for payment" in text


def test_a_credit_note_is_labelled_and_references_its_invoice(tenant, tmp_path):
    with tenant_scope(tenant):
        note = sample_credit_note()
        pdf = rendered(note)
        original = note.credit_note_for.number
    text = pdf_text(pdf, tmp_path)
    assert "CREDIT NOTE" in text
    assert note.number in text
    assert f"reduces the amount of invoice {original}" in text
    assert "Total credited" in text
    assert "€650.00" in text


def test_unicode_names_render_with_the_bundled_fonts(tenant, owner_membership, tmp_path):
    with tenant_scope(tenant):
        invoice = sample_invoice(
            client_name="株式会社山田商事", lines=1, finalize=False, actor=owner_membership
        )
        # One script per line, so no name wraps into another column's text.
        Client.objects.filter(pk=invoice.client_id).update(
            address_line1="Zoë Château-Lefèvre", address_line2="חברת אופק", city="شركة الأفق", postal_code=""
        )
        # A unit in CJK sits in a numbers cell, which uses Noto Sans first.
        invoice = invoice_services.invoice_update_draft(
            actor=owner_membership,
            invoice=invoice.public_id,
            lines=[line("Étude", "3", "10.00", unit="時間")],
        )
        pdf = rendered(invoice)
    (tmp_path / "names.pdf").write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "names.pdf"), "-"], check=True, capture_output=True, text=True
    ).stdout
    # The name wraps inside its column: compare without white space.
    compact = re.sub(r"\s+", "", text)
    assert "ZoëChâteau-Lefèvre" in compact
    assert "株式会社山田商事" in compact
    assert "חברתאופק" in compact
    assert "3時間" in compact
    # poppler reads Arabic back from its shaped (presentation) forms only approximately:
    # the word's start is enough to show the Arabic font was used (pdffonts below).
    assert "شرك" in compact
    assert "الأف" in compact
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    for family in ("Noto-Sans", "Noto-Sans-SC", "Noto-Sans-Hebrew", "Noto-Sans-Arabic"):
        assert f"+{family}" in fonts  # embedded subsets of the bundled fonts


def test_text_dates_and_money_follow_the_clients_language(tenant, tmp_path):
    with tenant_scope(tenant):
        french = sample_invoice(language="fr", lines=2)
        pdf = rendered(french)
        german = rendered(sample_exempt_invoice())
    due = format_date(french.due_date, "medium", locale="fr")
    text = pdf_text(pdf, tmp_path)
    assert "FACTURE" in text
    assert "FACTURÉ À" in text
    assert "Échéance" in text
    assert "Page 1 sur 1" in text
    assert "Total TTC" in text
    assert f"Merci de régler 889,75 € avant le {due}." in text.replace("\u202f", " ").replace("\xa0", " ")
    german_text = pdf_text(german, tmp_path)
    assert "RECHNUNG" in german_text
    assert "Reverse charge: VAT due by the customer" in german_text
    assert "2.700,00 €" in german_text


def test_letter_paper_for_a_us_seller(tenant, tmp_path):
    tenant.country = "US"
    tenant.save()
    with tenant_scope(tenant):
        # The seller's country is its company address's (Settings → Company).
        CompanyProfile.objects.update(country="US")
        pdf = rendered(sample_invoice(finalize=False, lines=2, currency="USD"))
    assert pdf_info(pdf, tmp_path)["Page size"].startswith("612 x 792")


def test_brand_colour_and_logo_are_used(tenant, tmp_path, settings):
    from django.core.files.base import ContentFile

    settings.MEDIA_ROOT = tmp_path / "media"
    png = (Path(render.STATIC_DIR) / "img").glob("*.png")
    logo = next(png, None)
    tenant.brand_color = "#b91c1c"
    if logo is None:
        # A 1x1 red PNG.
        import base64

        content = base64.b64decode(RED_DOT)
    else:
        content = logo.read_bytes()
    tenant.logo.save("logo.png", ContentFile(content), save=True)
    with tenant_scope(tenant):
        html = render_invoice_html(load_invoice_for_render(invoice_pk=sample_invoice(lines=1).pk))
    assert "#b91c1c" in html
    assert 'src="data:image/png;base64,' in html
    assert '<p class="brand">' not in html  # the logo replaces the name in the header


def test_a_brand_colour_that_bypassed_validation_never_reaches_the_stylesheet(tenant):
    from tenants.models import DEFAULT_BRAND_COLOR, Tenant

    Tenant.objects.filter(pk=tenant.pk).update(brand_color="#fff;}")  # no full_clean on update()
    tenant.refresh_from_db()
    with tenant_scope(tenant):
        html = render_invoice_html(load_invoice_for_render(invoice_pk=sample_invoice(lines=1).pk))
    assert "#fff;}" not in html
    assert f"color: {DEFAULT_BRAND_COLOR};" in html


def test_a_logo_missing_from_storage_prints_the_name_and_is_read_again_once_back(tenant, tmp_path, settings):
    import base64

    settings.MEDIA_ROOT = tmp_path / "media"
    tenant.logo.name = "branding/missing-for-now.png"
    tenant.save(update_fields=["logo"])
    with tenant_scope(tenant):
        invoice = load_invoice_for_render(invoice_pk=sample_invoice(lines=1).pk)
        assert '<p class="brand">' in render_invoice_html(invoice)  # no logo: the name instead
        stored = settings.MEDIA_ROOT / "branding" / "missing-for-now.png"
        stored.parent.mkdir(parents=True)
        stored.write_bytes(base64.b64decode(RED_DOT))
        # The failed read was not cached: the file is picked up as soon as it is there.
        assert 'src="data:image/png;base64,' in render_invoice_html(invoice)


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { color: red }")

    def log_message(self, *args: object) -> None:
        pass


def test_rendering_never_fetches_from_the_network():
    server = http.server.HTTPServer(("127.0.0.1", 0), _CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    _CountingHandler.hits = []
    try:
        html = (
            f'<html><head><link rel="stylesheet" href="{base}/style.css">'
            f"<style>@font-face {{ font-family: X; src: url({base}/font.ttf) }} "
            f"@import url({base}/more.css);</style></head>"
            f'<body><img src="{base}/logo.png"><img src="file:///etc/passwd">'
            f'<img src="data:image/png;base64,{RED_DOT}">'
            "<p>Hello</p></body></html>"
        )
        # Both parses: this markup is not well-formed (HTML5 path); closing its void elements
        # makes it well-formed XML (the fast path). The fetcher guards both.
        xhtml = re.sub(r"<(link|img)([^>]*)>", r"<\1\2/>", html)
        ElementTree.fromstring(xhtml)
        pdf = render.html_to_pdf(html)
        assert render.html_to_pdf(xhtml).startswith(b"%PDF-")
    finally:
        server.shutdown()
        server.server_close()
    assert pdf.startswith(b"%PDF-")
    assert _CountingHandler.hits == []
    refused = render.renderer().url_fetcher.refused
    assert f"{base}/logo.png" in refused
    assert "file:///etc/passwd" in refused
    # Bundled files stay allowed.
    assert render._allowed_file((render.STATIC_DIR / "fonts" / "OFL.txt").as_uri()) is not None
    assert render._allowed_file("file:///etc/passwd") is None
    assert render._allowed_file((render.STATIC_DIR / "fonts" / ".." / ".." / "manage.py").as_uri()) is None


def test_css_strings_cannot_break_out_of_the_style_element():
    value = render._css_string('Acme "</style><script>x</script>')
    assert "<" not in value
    assert value.count('"') == 2
    assert (
        render._page_counter_content("Page {page} of {pages}")
        == '"Page " counter(page) " of " counter(pages)'
    )


def test_page_one_turns_into_a_png(tenant, tmp_path):
    """What a person looks at (the samples were looked at while building the layout)."""
    with tenant_scope(tenant):
        pdf = rendered(sample_invoice(lines=3, client_name="株式会社山田商事"))
    (tmp_path / "one.pdf").write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "40",
            "-f",
            "1",
            "-l",
            "1",
            str(tmp_path / "one.pdf"),
            str(tmp_path / "one"),
        ],
        check=True,
    )
    png = next(tmp_path.glob("one*.png"))
    assert png.read_bytes().startswith(b"\x89PNG")
    assert png.stat().st_size > 2000


# --- the fast parse: the template writes well-formed XHTML --------------------------------------

HOSTILE = "Tom & Jerry <script>alert(\"x\")</script> 'quoted' ]]> &amp; &nbsp;"


def test_the_template_stays_well_formed_xml_whatever_the_invoice_contains(tenant, tmp_path):
    """The renderer parses the document with expat when it is well-formed (see render.py); text
    from users (names, descriptions, notes, the page footer's CSS string) must keep it so."""
    tenant.name = "Smith & Sons <Ltd>"
    tenant.save(update_fields=["name"])
    with tenant_scope(tenant):
        invoice = sample_invoice(lines=2, client_name=HOSTILE, finalize=False)
        invoice.lines.filter(position=1).update(description=f"First line\nsecond line {HOSTILE}")
        type(invoice).objects.filter(pk=invoice.pk).update(notes=f"Thanks\n{HOSTILE}")
        html = render_invoice_html(load_invoice_for_render(invoice_pk=invoice.pk))
        pdf = rendered(invoice)
    ElementTree.fromstring(html)  # raises on anything not well-formed
    text = pdf_text(pdf, tmp_path)
    assert "Tom & Jerry" in text
    assert '<script>alert("x")</script>' in text  # shown as text, never markup
    assert "Smith & Sons <Ltd>" in text  # the page footer
    # Line breaks in a description and in the notes are kept (white-space: pre-line).
    rows = [row.strip() for row in text.splitlines()]
    first = next(index for index, row in enumerate(rows) if row.startswith("First line"))
    assert rows[first + 1].startswith("second line Tom & Jerry")
    thanks = rows.index("Thanks")
    assert rows[thanks + 1].startswith("Tom & Jerry")


def test_the_xml_and_html5_parses_print_the_same_pages(tenant, tmp_path):
    with tenant_scope(tenant):
        html = render_invoice_html(load_invoice_for_render(invoice_pk=sample_invoice(lines=30).pk))
    engine = render.renderer()
    fast = engine.html_class.from_markup(html)
    assert fast.etree_element.tag == "html"  # took the XML path
    slow = engine.html_class(string=html, base_url=engine.base_url, url_fetcher=engine.url_fetcher)
    pngs = []
    for name, document in (("fast", fast), ("slow", slow)):
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(document.write_pdf(stylesheets=[engine.stylesheet], font_config=engine.font_config))
        subprocess.run(["pdftoppm", "-png", "-r", "50", str(path), str(tmp_path / name)], check=True)
        pngs.append(sorted(tmp_path.glob(f"{name}*.png")))
    assert len(pngs[0]) == len(pngs[1]) >= 2
    for fast_page, slow_page in zip(*pngs, strict=True):
        assert fast_page.read_bytes() == slow_page.read_bytes()


def test_markup_that_is_not_well_formed_still_renders(tmp_path):
    pdf = render.html_to_pdf("<html><body><p>Unclosed <b>bold<br>and a stray &nbsp; entity</body></html>")
    assert "Unclosed bold" in pdf_text(pdf, tmp_path)


def test_a_worker_process_is_prepared_for_rendering():
    """Warm renderer, start-up objects frozen out of the collector, higher thresholds (in a
    child process: freezing would change this test process's collector)."""
    code = (
        "import django, gc; django.setup();"
        "from documents import render; render.prepare_rendering_process();"
        "print(gc.get_threshold() == render.RENDERING_GC_THRESHOLDS, gc.get_freeze_count(),"
        " render._renderer is not None)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=settings.BASE_DIR
    ).stdout.split()
    assert out[0] == "True"
    assert int(out[1]) > 10_000  # Django, WeasyPrint and the fonts' objects
    assert out[2] == "True"


@pytest.mark.parametrize("lines", [1, 40])
def test_loading_an_invoice_for_its_document_takes_five_queries_whatever_its_size(tenant, lines):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with tenant_scope(tenant):
        invoice_pk = sample_invoice(lines=lines).pk
        with CaptureQueriesContext(connection) as loading:
            invoice = load_invoice_for_render(invoice_pk=invoice_pk)
        with CaptureQueriesContext(connection) as templating:
            html = render_invoice_html(invoice)
    # The invoice with its tenant and client; its lines; their taxes with rates; tax totals;
    # the quote it was made from (invoices.related, registered by quotes: none here, one query);
    # its allowances and charges of both levels (and one more for their rates, when it has any).
    assert len(loading) == 6, [query["sql"] for query in loading]
    assert templating.captured_queries == []
    assert html.count('<td class="d">') == lines
