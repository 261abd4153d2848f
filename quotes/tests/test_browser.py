"""In a real browser (Playwright + Debian's Chromium) against the live server, at 390 px: a
quote is sent; the client accepts it from a phone-sized window in a fresh context; it becomes
a deposit invoice and a final invoice that deducts the deposit; the contact signs into the
portal with the emailed link, sees exactly their client's documents, downloads the statement,
and a second use of the link fails. No CSP violation on the way."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import expect

from conftest import CHROMIUM
from invoices import services as invoice_services
from invoices.models import ClientContact
from invoices.tests.factories import ClientFactory, TaxRateFactory, line, make_invoice
from quotes import invoicing, services
from quotes.models import Quote, QuoteStatus
from tenants.models import Membership, Tenant
from tenants.scoping import tenant_scope

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True, scope="module")
def _allow_orm_beside_playwright():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _phone(chromium: Any, violations: list[str]) -> Any:
    context = chromium.new_context(viewport=PHONE, locale="en-GB", accept_downloads=True, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return page


def _fits(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide at 390px"


def test_quote_to_final_invoice_and_the_portal_on_a_phone(
    chromium: Any,
    live_server: Any,
    tenant: Tenant,
    owner_membership: Membership,
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.SITE_URL = live_server.url
    violations: list[str] = []
    with tenant_scope(tenant):
        client = ClientFactory(name="Boulangerie Martin", language="en")
        ClientContact.objects.create(
            client=client, name="Paul Martin", email="paul@martin.test", is_primary=True
        )
        other = ClientFactory(name="Other Client", language="en")
        theirs = make_invoice(
            actor=owner_membership, client=other, lines=[line("Theirs", "1", "99.00")], finalize=True
        )
        vat = TaxRateFactory(name="VAT", percentage=Decimal("20"))
        quote = services.quote_create_draft(
            actor=owner_membership,
            client=client,
            lines=[
                line("New oven", "1", "4000.00", tax_rates=[vat]),
                line("Installation", "2", "500.00", tax_rates=[vat]),
            ],
        )
    mail.outbox.clear()
    with tenant_scope(tenant):
        quote = services.quote_send(actor=owner_membership, quote=quote)  # commits: the email goes
    [email] = mail.outbox
    quote_link = re.search(r"https?://\S+/q/\S+", email.body).group(0)

    # The client accepts on a phone, in a fresh context, typing their name.
    page = _phone(chromium, violations)
    assert page.goto(quote_link).status == 200
    expect(page.get_by_test_id("quote-total")).to_have_text("€6,000.00")
    _fits(page)
    page.get_by_label("Type your full name to accept this quote").fill("Paul Martin")
    page.get_by_role("button", name="Accept the quote").click()
    expect(page.get_by_test_id("accepted-notice")).to_contain_text("Accepted by Paul Martin")
    _fits(page)
    page.context.close()

    # The member bills a 30 % deposit, then the final invoice.
    with tenant_scope(tenant):
        quote = Quote.objects.get(pk=quote.pk)
        assert quote.status == QuoteStatus.ACCEPTED
        deposit = invoicing.quote_invoice_deposit(actor=owner_membership, quote=quote, percent="30")
        deposit = invoice_services.invoice_finalize(actor=owner_membership, invoice=deposit)
        final = invoicing.quote_invoice_final(actor=owner_membership, quote=quote)
        final = invoice_services.invoice_finalize(actor=owner_membership, invoice=final)
    assert deposit.total == Decimal("1800.00")
    assert final.total == Decimal("4200.00")  # 6,000 less the 1,800 deposit

    # The contact asks for a sign-in link on a phone and uses it.
    mail.outbox.clear()
    page = _phone(chromium, violations)
    page.goto(f"{live_server.url}/portal/w/{tenant.slug}")
    page.get_by_label("Your email address").fill("paul@martin.test")
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_test_id("link-sent")).to_be_visible()
    page.context.close()
    [sign_in_email] = mail.outbox
    sign_in_link = re.search(r"https?://\S+/portal/sign-in/\S+", sign_in_email.body).group(0)

    page = _phone(chromium, violations)
    page.goto(sign_in_link)
    page.get_by_test_id("sign-in").click()
    open_invoices = page.get_by_test_id("open-invoices")
    expect(open_invoices).to_contain_text(deposit.number)
    expect(open_invoices).to_contain_text(final.number)
    expect(page.locator("main")).not_to_contain_text(theirs.number)
    _fits(page)
    page.get_by_label("Format").select_option("csv")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Show the statement").click()
    saved = tmp_path / "statement.csv"
    download_info.value.save_as(saved)
    statement = saved.read_text()
    assert deposit.number in statement
    assert final.number in statement
    assert theirs.number not in statement
    assert statement.strip().splitlines()[-1].endswith("6000.00")  # closing: both invoices unpaid
    page.context.close()

    # The link worked once: a second use, in another fresh context, signs nobody in.
    page = _phone(chromium, violations)
    page.goto(sign_in_link)
    expect(page.get_by_test_id("link-invalid")).to_be_visible()
    page.context.close()
    assert violations == []
