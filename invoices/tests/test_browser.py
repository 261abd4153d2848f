"""The invoicing pages in a real browser (Playwright driving Debian's Chromium).

The builder's totals are the server's: these tests type into the form and wait for the
htmx response to change the numbers on the page. Screenshots of the main pages are written
to $SCREENSHOT_DIR (default: a pytest temporary directory) for people to look at.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client as DjangoClient
from playwright.sync_api import expect

from conftest import CHROMIUM
from documents.tests.pdf_samples import sample_invoice
from invoices.models import Invoice, InvoiceStatus
from invoices.selectors import OVERDUE, invoice_list
from invoices.services.payments import payment_record
from invoices.tests.factories import CatalogItemFactory, ClientFactory, TaxRateFactory
from invoices.tests.seed import seed_year
from tenants.models import Membership, Tenant, User
from tenants.scoping import tenant_scope

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _allow_orm_beside_playwright(monkeypatch: pytest.MonkeyPatch) -> None:
    # Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a
    # thread with a running loop unless told that this is deliberate (the test drives both).
    # Set per test, never at import: the variable would leak into other tests' subprocesses.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    # The event loop runs for the whole module, so the ORM must be allowed beside it for as
    # long: the last test's database teardown runs after the per-test variable is undone.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Path:
    target = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    return target


def _wait_for_htmx_idle(page: object) -> None:
    """Wait until no htmx request, swap or settle is under way. A change made while a swap is
    still settling can land on an element that is about to be replaced (or whose listeners
    htmx has not bound yet), so the builder's server round trips are awaited before the next
    interaction, as a person would wait for the page to update."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    )


def _page_for(browser: object, live_server: object, user: User) -> object:
    """A browser tab signed in as `user` (the session cookie of a force-logged-in client)."""
    client = DjangoClient()
    client.force_login(user)
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="en-GB")
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    # live_server speaks WSGI only: the documents panel's status WebSocket cannot connect there
    # (it falls back to HTTP); that one is not an error of these pages.
    page.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and "WebSocket connection to" not in message.text
            else None
        ),
    )
    page.console_errors = errors
    return page


def test_build_an_invoice_with_three_lines_and_two_taxes_then_finalize(
    browser: object,
    live_server: object,
    tenant: Tenant,
    owner: User,
    owner_membership: Membership,
    screenshot_dir: Path,
) -> None:
    with tenant_scope(tenant):
        ClientFactory(name="Northwind Traders", currency="EUR", payment_terms_days=30)
        TaxRateFactory(name="VAT", percentage=Decimal("20"))
        TaxRateFactory(name="VAT reduced", percentage=Decimal("5.5"))
        CatalogItemFactory(name="Brand workshop", unit="session", unit_price=Decimal("1200.00"))
    page = _page_for(browser, live_server, owner)
    page.goto(f"{live_server.url}/t/{tenant.slug}/invoices/new/")

    # Pick the client by searching as you type.
    page.get_by_placeholder("Search clients by name…").fill("north")
    page.get_by_test_id("client-result").first.click()
    page.get_by_test_id("chosen-client").wait_for()
    assert page.get_by_test_id("chosen-client").inner_text() == "Northwind Traders"

    # Line 1: typed by hand, 20 % VAT. The totals follow the typing.
    lines = page.get_by_test_id("line")
    first = lines.nth(0)
    first.get_by_test_id("line-description").fill("Product design")
    first.get_by_test_id("line-quantity").fill("3")
    first.get_by_test_id("line-price").fill("650")
    expect(page.get_by_test_id("total")).to_have_text("€1,950.00")
    first.get_by_test_id("line-taxes").locator("summary").click()
    first.get_by_label("VAT (20 %)").check()
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("total")).to_have_text("€2,340.00")

    # Line 2: from the catalog (the server fills it), then 5.5 % VAT.
    page.get_by_test_id("add-line").click()
    expect(page.get_by_test_id("line")).to_have_count(2)
    _wait_for_htmx_idle(page)
    second = page.get_by_test_id("line").nth(1)
    picker = second.get_by_test_id("catalog-pick")
    option = picker.locator("option", has_text="Brand workshop").get_attribute("value")
    picker.select_option(option)
    expect(page.get_by_test_id("line-description").nth(1)).to_have_value(re.compile("^Brand workshop"))
    second = page.get_by_test_id("line").nth(1)
    assert second.get_by_test_id("line-price").input_value() == "1200.00"
    second.get_by_test_id("line-taxes").locator("summary").click()
    second.get_by_label("VAT reduced (5.5 %)").check()
    page.keyboard.press("Escape")

    # Line 3: typed, with a line discount and both taxes.
    page.get_by_test_id("add-line").click()
    expect(page.get_by_test_id("line")).to_have_count(3)
    third = page.get_by_test_id("line").nth(2)
    third.get_by_test_id("line-description").fill("Hosting")
    third.get_by_test_id("line-quantity").fill("2")
    third.get_by_test_id("line-price").fill("149.50")
    third.get_by_test_id("line-discount").fill("9")
    third.get_by_test_id("line-taxes").locator("summary").click()
    third.get_by_label("VAT (20 %)").check()
    page.keyboard.press("Escape")
    # 1950 + 1200 + 290 = 3440; VAT 20 % on 2240 = 448; 5.5 % on 1200 = 66 → 3954.00
    expect(page.get_by_test_id("total")).to_have_text("€3,954.00")
    expect(page.get_by_test_id("subtotal")).to_have_text("€3,440.00")
    expect(page.get_by_test_id("tax-amount")).to_have_text(["€448.00", "€66.00"])
    expect(page.get_by_test_id("line-amount")).to_have_text(["€1,950.00", "€1,200.00", "€290.00"])
    page.get_by_role("heading", name="New invoice").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "builder.png"), full_page=True)

    # Save as a draft, review, finalize: the number appears.
    page.get_by_test_id("review-finalize").click()
    page.get_by_test_id("confirm-finalize").wait_for()
    assert page.get_by_test_id("document-total").inner_text() == "€3,954.00"
    page.get_by_test_id("confirm-finalize").click()
    page.get_by_test_id("invoice-number").wait_for()
    number = page.get_by_test_id("invoice-number").inner_text()
    assert re.fullmatch(r"INV-\d{4}-00001", number), number
    assert "Open" in page.locator(".title-with-badge .badge").inner_text()
    page.screenshot(path=str(screenshot_dir / "detail.png"), full_page=True)
    assert page.console_errors == []

    with tenant_scope(tenant):
        invoice = Invoice.objects.get(number=number)
        assert invoice.status == InvoiceStatus.OPEN
        assert invoice.total == Decimal("3954.00")
        assert [line.description.split("\n")[0] for line in invoice.lines.all()] == [
            "Product design",
            "Brand workshop",
            "Hosting",
        ]


def test_a_viewer_sees_no_edit_controls_and_cannot_open_the_builder(
    browser: object,
    live_server: object,
    tenant: Tenant,
    owner_membership: Membership,
    viewer: User,
) -> None:
    with tenant_scope(tenant):
        seed_year(actor=owner_membership, invoices=6)
        draft = Invoice.objects.filter(status=InvoiceStatus.DRAFT).first()
    page = _page_for(browser, live_server, viewer)
    page.goto(f"{live_server.url}/t/{tenant.slug}/invoices/")
    assert page.get_by_test_id("invoice-table").is_visible()
    assert page.get_by_test_id("new-invoice").count() == 0
    page.goto(f"{live_server.url}/t/{tenant.slug}/invoices/{draft.public_id}/")
    assert page.get_by_test_id("document").is_visible()
    assert page.get_by_test_id("edit-invoice").count() == 0
    assert page.get_by_test_id("finalize").count() == 0
    writes = ", ".join(f"form[action*='/{action}/']" for action in ("edit", "delete", "duplicate", "void"))
    assert page.locator(writes).count() == 0
    response = page.goto(f"{live_server.url}/t/{tenant.slug}/invoices/{draft.public_id}/edit/")
    assert response.status == 403


def test_preview_and_print_shows_the_pdf_sheet_under_a_toolbar_that_never_prints(
    browser: object,
    live_server: object,
    tenant: Tenant,
    owner: User,
    owner_membership: Membership,
    screenshot_dir: Path,
) -> None:
    with tenant_scope(tenant):
        invoice = sample_invoice(lines=3, actor=owner_membership)
    page = _page_for(browser, live_server, owner)
    # Counts calls instead of opening the print dialog (headless has none to wait for).
    page.add_init_script("window.print = () => { window.__printed = (window.__printed || 0) + 1; };")
    page.goto(f"{live_server.url}/t/{tenant.slug}/invoices/{invoice.public_id}/")
    page.get_by_test_id("preview").click()
    expect(page).to_have_url(re.compile(rf"/documents/invoices/{invoice.public_id}/preview/$"))
    toolbar = page.get_by_test_id("preview-toolbar")
    expect(toolbar).to_be_visible()
    expect(page.locator("table.lines tbody tr")).to_have_count(3)
    # The body is the sheet of paper: the toolbar sits above it, not on it.
    assert page.locator("body").bounding_box()["y"] >= toolbar.bounding_box()["height"]
    page.screenshot(path=str(screenshot_dir / "preview-toolbar.png"), full_page=True)
    page.get_by_test_id("preview-print").click()
    page.wait_for_function("() => window.__printed === 1")
    page.emulate_media(media="print")
    expect(toolbar).to_be_hidden()
    expect(page.locator("table.lines")).to_be_visible()
    page.emulate_media(media="screen")
    page.get_by_role("link", name="Back to the invoice").click()
    expect(page).to_have_url(re.compile(rf"/invoices/{invoice.public_id}/$"))
    assert page.console_errors == []


def test_an_outsider_gets_404(
    browser: object, live_server: object, tenant: Tenant, owner_membership: Membership, outsider: User
) -> None:
    with tenant_scope(tenant):
        invoice = seed_year(actor=owner_membership, invoices=4)[0]
        client_name = invoice.client.name
    page = _page_for(browser, live_server, outsider)
    for path in ("", "invoices/", f"invoices/{invoice.public_id}/", "invoices/new/"):
        response = page.goto(f"{live_server.url}/t/{tenant.slug}/{path}")
        assert response.status == 404, path
        assert client_name not in page.content()


def test_screenshots_of_the_list_and_the_dashboard_with_a_year_of_data(
    browser: object,
    live_server: object,
    tenant: Tenant,
    owner: User,
    owner_membership: Membership,
    screenshot_dir: Path,
) -> None:
    with tenant_scope(tenant):
        seed_year(actor=owner_membership, invoices=40)
    page = _page_for(browser, live_server, owner)
    page.goto(f"{live_server.url}/t/{tenant.slug}/")
    chart = page.get_by_test_id("chart")
    assert chart.locator("rect.chart__bar--invoiced").count() == 12
    assert chart.locator("rect.chart__bar--paid").count() == 12
    page.screenshot(path=str(screenshot_dir / "dashboard.png"), full_page=True)
    page.goto(f"{live_server.url}/t/{tenant.slug}/invoices/")
    assert page.get_by_test_id("invoice-table").locator("tbody tr").count() == 25
    page.screenshot(path=str(screenshot_dir / "list.png"), full_page=True)
    page.goto(f"{live_server.url}/t/{tenant.slug}/clients/")
    page.screenshot(path=str(screenshot_dir / "clients.png"), full_page=True)
    page.goto(f"{live_server.url}/t/{tenant.slug}/catalog/")
    page.screenshot(path=str(screenshot_dir / "catalog.png"), full_page=True)
    with tenant_scope(tenant):
        paid = (
            Invoice.objects.filter(status=InvoiceStatus.PARTIALLY_PAID).first()
            or Invoice.objects.filter(status=InvoiceStatus.PAID).first()
        )
    page.goto(f"{live_server.url}/t/{tenant.slug}/invoices/{paid.public_id}/")
    page.screenshot(path=str(screenshot_dir / "detail-paid.png"), full_page=True)
    page.goto(f"{live_server.url}/t/{tenant.slug}/invoices/{paid.public_id}/preview/")
    page.screenshot(path=str(screenshot_dir / "preview.png"), full_page=True)
    assert page.console_errors == []


def test_no_blank_band_under_the_dashboard_chart(
    browser: object, live_server: object, tenant: Tenant, owner: User, owner_membership: Membership
) -> None:
    """#18: when the activity column is taller than the chart and the unpaid list together, its
    extra height went into the chart's grid row, leaving a blank band under the chart. The next
    card must follow the chart at the grid's gap."""
    with tenant_scope(tenant):
        seed_year(actor=owner_membership, invoices=40)
        # Nothing left unpaid: a short "Oldest unpaid" card beside a full activity column.
        for invoice in invoice_list(status=OVERDUE):
            payment_record(actor=owner_membership, invoice=invoice, amount=invoice.balance_due)
    page = _page_for(browser, live_server, owner)
    page.goto(f"{live_server.url}/t/{tenant.slug}/")
    chart_card = page.locator(".dash__chart").bounding_box()
    next_card = page.locator(".dash__overdue").bounding_box()
    activity = page.locator(".dash__activity").bounding_box()
    assert chart_card is not None
    assert next_card is not None
    assert activity is not None
    assert activity["height"] > chart_card["height"] + next_card["height"], "the layout that showed the band"
    assert 0 <= next_card["y"] - (chart_card["y"] + chart_card["height"]) <= 24
