"""Invoice → PDF bytes, with WeasyPrint, from `templates/invoices/pdf/document.html`.

`render_invoice_pdf(invoice)` is pure: it reads the invoice (and its lines, tax totals and
tenant), never writes, and returns the PDF. The same HTML (`render_invoice_html`) drives the
web preview.

Speed (see bench/pdf_render.py): a WeasyPrint render spends most of its time in style and
layout, so

- one `FontConfiguration` and the pre-parsed print stylesheet (`CSS` objects) live for the
  whole process: the fonts' @font-face rules are decoded and registered once, not per PDF;
- the stylesheet lays out with blocks and `table-layout: fixed` tables, never flexbox, floats
  or automatically sized tables (the costliest layouts);
- the template writes well-formed XHTML, which the C XML parser (expat) reads in a fraction of
  a millisecond where WeasyPrint's pure-Python HTML5 parser takes ~7 ms a page; markup that is
  not well-formed still renders, through the HTML5 parser;
- what changes per document (page size, brand colour, the localized "Page X of Y") is a few
  rules in the document's own <style>.

Safety: fonts are bundled (static/fonts/, SIL OFL) and the URL fetcher refuses anything but
`data:` URLs and files under the bundled static folders, so rendering never touches the
network, whatever an invoice contains.
"""

from __future__ import annotations

import functools
import gc
import logging
import mimetypes
import threading
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import ParseError

from defusedxml import ElementTree as SafeElementTree
from defusedxml import EntitiesForbidden
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import pgettext

from invoices import allowance_display
from invoices.summary import client_language, document_context
from tenants.selectors import stored_image_data_uri

logger = logging.getLogger(__name__)

TEMPLATE = "invoices/pdf/document.html"
STATIC_DIR = Path(settings.BASE_DIR) / "static"
STYLESHEET = STATIC_DIR / "css" / "invoice-pdf.css"
UA_STYLESHEET = STATIC_DIR / "css" / "invoice-pdf-ua.css"
# The only local files a render may read.
ALLOWED_ROOTS = (STATIC_DIR / "fonts", STATIC_DIR / "css", STATIC_DIR / "img")

# Countries that print on US Letter (the Americas' NAFTA/CAFTA states, the Philippines, Chile,
# Colombia, Venezuela); everyone else uses A4.
LETTER_COUNTRIES = frozenset(
    {"US", "CA", "MX", "PH", "CL", "CO", "VE", "PR", "GT", "CR", "PA", "DO", "SV", "NI", "HN", "BZ"}
)


# --- network-free resource fetching ----------------------------------------------------------


class RefusedURL(ValueError):
    """A render asked for something other than a bundled file or a data: URL."""


def _allowed_file(url: str) -> Path | None:
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return None
    path = Path(unquote(parts.path)).resolve()
    if any(path.is_relative_to(root.resolve()) for root in ALLOWED_ROOTS) and path.is_file():
        return path
    return None


def make_url_fetcher() -> Any:
    """A WeasyPrint URL fetcher that serves data: URLs and bundled files, and refuses the rest.

    A refused URL raises inside WeasyPrint, which logs it and renders without the resource:
    a stray <img src="https://..."> costs an image, never a request.
    """
    # Imported here, not at the top: the web process imports this module for the preview
    # without paying WeasyPrint's ~0.4 s import until it renders a PDF.
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LocalOnlyFetcher(URLFetcher):
        refused: list[str]

        def __init__(self) -> None:
            super().__init__(allowed_protocols=("data", "file"), allow_redirects=False)
            self.refused = []

        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            path = _allowed_file(url)
            if path is None:
                self.refused.append(url)
                logger.warning("PDF render refused to fetch %s", url[:200])
                raise RefusedURL(f"Only bundled files can be used in documents, not {url[:100]}")
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(path.as_uri(), path.read_bytes(), headers={"Content-Type": mime})

    return LocalOnlyFetcher()


# --- the per-process renderer --------------------------------------------------------------


class _Renderer:
    """The reusable half of a render: fonts and the parsed print stylesheet."""

    def __init__(self) -> None:
        import cssselect2
        from weasyprint import CSS, HTML
        from weasyprint.text.fonts import FontConfiguration

        self.font_config = FontConfiguration()
        self.url_fetcher = make_url_fetcher()
        self.stylesheet = CSS(
            filename=str(STYLESHEET), font_config=self.font_config, url_fetcher=self.url_fetcher
        )
        user_agent_sheet = CSS(filename=str(UA_STYLESHEET), url_fetcher=self.url_fetcher)

        base_url = STATIC_DIR.as_uri() + "/"
        url_fetcher = self.url_fetcher

        class InvoiceHTML(HTML):
            # WeasyPrint's HTML5 user-agent sheet has ~250 rules that style matching tries on
            # every element of a 300-line table; ours has the dozen the template needs.
            # (`_ua_stylesheets` is WeasyPrint's own hook for this; the version is pinned.)
            def _ua_stylesheets(self, forms: bool = False) -> list[Any]:
                return [user_agent_sheet]

            @classmethod
            def from_markup(cls, html: str) -> Any:
                """The document, parsed as XML when it is well-formed, else as HTML5."""
                try:
                    # defusedxml: a document declaring entities is refused, not expanded.
                    root = SafeElementTree.fromstring(html)
                except (ParseError, EntitiesForbidden):
                    logger.info("invoice HTML is not well-formed XML; parsing it as HTML5")
                    return cls(string=html, base_url=base_url, url_fetcher=url_fetcher)
                # What HTML.__init__ sets after its parse (WeasyPrint 70; the version is pinned
                # and tests render both ways and compare the pages).
                document = cls.__new__(cls)
                document.base_url = base_url
                document.url_fetcher = url_fetcher
                document.media_type = "print"
                document.wrapper_element = cssselect2.ElementWrapper.from_html_root(root)
                document.etree_element = document.wrapper_element.etree_element
                return document

        self.html_class = InvoiceHTML
        self.base_url = base_url
        # FontConfiguration and Pango are not thread-safe: one render at a time per process
        # (Celery's prefork children are processes; threads share this lock).
        self.lock = threading.Lock()

    def write_pdf(self, html: str) -> bytes:
        with self.lock:
            document = self.html_class.from_markup(html)
            return document.write_pdf(stylesheets=[self.stylesheet], font_config=self.font_config)

    def write_facturx_pdf(self, html: str, xml: bytes, *, title: str = "") -> bytes:
        """The same render as `write_pdf`, made PDF/A-3b with `xml` inside (Factur-X)."""
        from einvoicing.facturx_pdf import write_facturx_pdf

        with self.lock:
            document = self.html_class.from_markup(html)
            return write_facturx_pdf(
                document, xml, stylesheets=[self.stylesheet], font_config=self.font_config, title=title
            )


_renderer: _Renderer | None = None
_renderer_lock = threading.Lock()


def renderer() -> _Renderer:
    """This process's renderer, built on first use (a worker warms it at start)."""
    global _renderer
    if _renderer is None:
        with _renderer_lock:
            if _renderer is None:
                _renderer = _Renderer()
    return _renderer


def html_to_pdf(html: str) -> bytes:
    return renderer().write_pdf(html)


def html_to_facturx_pdf(html: str, xml: bytes, *, title: str = "") -> bytes:
    """`html_to_pdf` as a Factur-X PDF/A-3b carrying `xml`, which the caller has validated."""
    return renderer().write_facturx_pdf(html, xml, title=title)


# --- what the template gets -----------------------------------------------------------------


def page_size_for(country: str | None) -> str:
    return "letter" if (country or "").upper() in LETTER_COUNTRIES else "A4"


# Read once per process and file name (a new logo gets a new name, see
# tenants.services.tenant_update_branding); a failed read raises, so it is not cached.
_read_logo_data_uri = functools.lru_cache(maxsize=64)(stored_image_data_uri)


def _logo_data_uri(name: str) -> str:
    """The tenant's logo as a data: URL, or "" (no logo printed) when storage cannot give it."""
    try:
        return _read_logo_data_uri(name)
    except OSError:
        logger.warning("tenant logo %s is missing from storage", name)
        return ""


def _css_string(text: str) -> str:
    """A CSS string literal for any text: quotes, backslashes, "<" (which could end the
    <style> element) and "&" (which XML would read as an entity) are written as CSS escapes."""
    escaped = "".join(f"\\{ord(ch):x} " if ch in '"\\<>&\n\r' else ch for ch in text)
    return f'"{escaped}"'


def _page_counter_content(template: str) -> str:
    """ "Page {page} of {pages}" → CSS `content` with counters in place of the placeholders."""
    out: list[str] = []
    rest = template
    while rest:
        positions = [(rest.find(mark), mark) for mark in ("{page}", "{pages}") if mark in rest]
        if not positions:
            out.append(_css_string(rest))
            break
        index, mark = min(positions)
        if index:
            out.append(_css_string(rest[:index]))
        out.append("counter(page)" if mark == "{page}" else "counter(pages)")
        rest = rest[index + len(mark) :]
    return " ".join(out)


def pdf_context(invoice: Any) -> dict[str, Any]:
    """What the print template gets: the invoice's one representation
    (`invoices.summary.document_context`) in its client's language, and the print settings
    (page size, page counter and footer, brand colour, logo)."""
    language, locale = client_language(invoice)
    context = document_context(invoice=invoice, language=language, locale=locale)
    tenant = invoice.tenant
    seller = context["seller"]
    with translation.override(language):
        page_label = pgettext("pdf", "Page {page} of {pages}")
    return {
        **context,
        "page_size": page_size_for(seller.get("country") or tenant.country),
        "page_counter": _page_counter_content(page_label),
        "page_footer": _css_string(" · ".join(filter(None, [seller.get("name", ""), invoice.number]))),
        "brand_color": tenant.document_brand_color,
        "logo": _logo_data_uri(tenant.logo.name) if getattr(tenant, "logo", None) else "",
    }


def load_invoice_for_render(*, invoice_pk: int) -> Any:
    """The current tenant's invoice with everything the document shows, in a few queries."""
    from django.db.models import Prefetch

    from invoices.models import Invoice, InvoiceLineTax
    from invoices.related import linked_invoices

    invoice = (
        Invoice.objects.select_related("tenant", "client", "credit_note_for")
        .prefetch_related(
            # Each line's taxes with their rates joined in: one query, not two.
            Prefetch("lines__line_taxes", queryset=InvoiceLineTax.objects.select_related("tax_rate")),
            "tax_totals",
        )
        .get(pk=invoice_pk)
    )
    linked_invoices(invoice)  # the other invoices of its quote, kept on the instance
    allowance_display.rows_of(invoice)  # its allowances and charges (and their rates), cached
    return invoice


def render_invoice_html(invoice: Any, *, screen: bool = False, nonce: str = "", csrf_token: str = "") -> str:
    """The print HTML of an invoice, in its client's language.

    `screen=True` is the web preview: the same document, with the print stylesheet linked (the
    PDF gets it pre-parsed instead), a sheet-of-paper look and a toolbar; `nonce` lets its one
    <style> element through the page's Content-Security-Policy, and `csrf_token` signs the
    toolbar's "Generate PDF" form.
    """
    context = {**pdf_context(invoice), "screen": screen, "nonce": nonce, "csrf_token": csrf_token}
    with translation.override(context["language"]):
        return render_to_string(TEMPLATE, context)


def render_invoice_pdf(invoice: Any) -> bytes:
    """The invoice (or credit note) as PDF bytes. Reads only; never writes anything."""
    return html_to_pdf(render_invoice_html(invoice))


WARM_UP_HTML = (
    '<html><body><p class="brand">Warm up · Ünïcødé · 株式会社 · شركة · חברה</p>'
    '<table class="lines"><tr><td>1</td></tr></table></body></html>'
)


def warm_up() -> None:
    """Build this process's renderer and lay out one tiny page in every bundled script."""
    html_to_pdf(WARM_UP_HTML)


# The garbage collector's thresholds in a rendering process. A render builds tens of
# thousands of objects in reference cycles (boxes know their parents): with Python's default
# first-generation threshold (700) the collector runs dozens of times per PDF, re-scanning what
# the render has built so far. At 100,000 it runs a few times. Measured with
# bench/pdf_render.py: about 15 % off a 300-line render, a few % off a one-page one.
RENDERING_GC_THRESHOLDS = (100_000, 10, 10)


def prepare_rendering_process() -> None:
    """Make this process ready to render PDFs at full speed (a Celery worker child, at start).

    Warms the renderer, then freezes what is loaded by now (Django, WeasyPrint, fonts,
    stylesheet) out of the collector's reach, so full collections skip it and prefork children
    keep sharing those pages with their parent, and raises the collector's thresholds.
    """
    warm_up()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*RENDERING_GC_THRESHOLDS)
