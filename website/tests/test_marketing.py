"""The public site: landing and pricing pages' metadata, sitemap.xml, robots.txt, no JavaScript."""

from __future__ import annotations

import re
import struct
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from django.conf import settings as django_settings
from django.test import Client

from billing.tests.stripe_standin import StripeStandIn

pytestmark = pytest.mark.django_db

SITE = "https://invoiceflow.example"


class Head(HTMLParser):
    """The page's <title>, <meta> and <link> tags, and every <script>."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.links: dict[str, str] = {}
        self.scripts = 0
        self.styles = 0
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "meta" and ("name" in values or "property" in values):
            self.meta[values.get("property") or values["name"]] = values.get("content", "")
        elif tag == "link":
            self.links[values.get("rel", "")] = values.get("href", "")
        elif tag == "script":
            self.scripts += 1
        if "style" in values:
            self.styles += 1
        self._in_title = tag == "title"

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False


def head(response: Any) -> Head:
    parser = Head()
    parser.feed(response.content.decode())
    return parser


@pytest.fixture(autouse=True)
def site_url(settings: Any) -> None:
    settings.SITE_URL = SITE


@pytest.mark.parametrize(
    ("path", "title", "description"),
    [
        ("/", "InvoiceFlow: invoicing for freelancers and agencies", "Create invoices that are right"),
        ("/pricing/", "Pricing · InvoiceFlow", "Simple monthly plans"),
    ],
)
def test_pages_carry_their_metadata_and_no_script(
    client: Client, path: str, title: str, description: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    page = head(response)
    assert page.title == title
    assert page.meta["description"].startswith(description)
    assert page.links["canonical"] == SITE + path
    assert page.meta["og:title"] == title
    assert page.meta["og:description"] == page.meta["description"]
    assert page.meta["og:url"] == SITE + path
    assert page.meta["og:type"] == "website"
    assert page.meta["og:image"] == f"{SITE}/static/img/social-card.png"
    assert (page.meta["og:image:width"], page.meta["og:image:height"]) == ("1200", "630")
    assert page.meta["twitter:card"] == "summary_large_image"
    assert page.meta["twitter:image"] == page.meta["og:image"]
    assert page.meta["twitter:title"] == title
    # Fast without JavaScript: none on the page, and no inline style (strict CSP).
    assert page.scripts == 0
    assert page.styles == 0


def test_the_social_card_is_a_1200_by_630_png() -> None:
    card = Path(django_settings.BASE_DIR / "static/img/social-card.png").read_bytes()
    assert card[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", card[16:24])
    assert (width, height) == (1200, 630)
    assert len(card) < 300_000


def test_signed_in_visitors_still_go_to_their_workspace(owner_client: Client, tenant: Any) -> None:
    response = owner_client.get("/")
    assert response.status_code == 302
    assert response["Location"] == f"/t/{tenant.slug}/"
    # The pricing page is public for them too, with a way back into the app.
    assert "Open InvoiceFlow" in owner_client.get("/pricing/").content.decode()


def test_pricing_is_built_from_the_plans(plans_standin: StripeStandIn, client: Client, settings: Any) -> None:
    settings.PLAN_PRO_MONTHLY_PRICE = "14.50"
    settings.PLAN_FREE_MONTHLY_INVOICES = 3
    body = client.get("/pricing/").content.decode()
    plans = re.findall(r'data-plan="(\w+)"', body)
    assert plans == ["free", "pro", "business"]
    assert '<span class="plan__amount" data-testid="price-pro">€14.50</span>' in body
    assert '<span class="plan__amount" data-testid="price-business">€39</span>' in body
    assert "3 finalized invoices a month" in body
    assert 'data-testid="plans-off"' not in body
    # A plan whose price is not configured is not offered.
    settings.STRIPE_PRICE_BUSINESS = ""
    assert re.findall(r'data-plan="(\w+)"', client.get("/pricing/").content.decode()) == ["free", "pro"]


def test_without_stripe_the_pages_say_self_hosted(client: Client) -> None:
    for path in ("/", "/pricing/"):
        body = client.get(path).content.decode()
        assert 'data-testid="plans-off"' in body
        assert "Plans and online payment are switched off on this installation" in body
        assert "data-plan=" not in body


def test_sitemap_lists_the_public_pages_at_the_site_url(client: Client) -> None:
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    namespace = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    root = ElementTree.fromstring(response.content)  # noqa: S314 (our own response)
    entries = {
        url.findtext("s:loc", namespaces=namespace): url.findtext("s:priority", namespaces=namespace)
        for url in root.findall("s:url", namespace)
    }
    assert entries == {f"{SITE}/": "1.0", f"{SITE}/pricing/": "0.8"}


def test_robots_txt_keeps_crawlers_out_of_private_pages(client: Client) -> None:
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert lines[0] == "User-agent: *"
    for private in ("/t/", "/accounts/", "/admin/", "/api/", "/billing/"):
        assert f"Disallow: {private}" in lines
    assert "Disallow: /" not in lines
    assert f"Sitemap: {SITE}/sitemap.xml" in lines


@pytest.mark.browser
def test_the_pages_render_in_chromium_without_javascript(live_server: Any, settings: Any) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
            page = context.new_page()
            problems: list[str] = []
            page.on("console", lambda message: problems.append(message.text))
            page.on("requestfailed", lambda request: problems.append(request.url))
            page.goto(live_server.url + "/")
            heading = page.get_by_role("heading", level=1)
            assert heading.inner_text() == "Invoices that are right to the cent."
            # marketing.css applied: the hero headline is large, beside the invoice picture.
            assert heading.bounding_box()["height"] > 80
            assert page.locator(".mk-invoice").bounding_box()["x"] > heading.bounding_box()["x"] + 300
            page.get_by_role("link", name="Pricing").first.click()
            page.wait_for_url(live_server.url + "/pricing/")
            assert page.title() == "Pricing · InvoiceFlow"
            assert page.get_by_test_id("plans-off").is_visible()
            # The questions open with no script (<details>).
            answer = page.get_by_text("Connect your own Stripe account: each open invoice")
            assert not answer.is_visible()
            page.get_by_text("How do my clients pay me?").click()
            assert answer.is_visible()
            # Nothing refused by the CSP, nothing failing to load.
            assert problems == []
        finally:
            browser.close()
