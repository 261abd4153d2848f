"""In a real browser (Playwright + Debian's Chromium) against the live server: a member sends an
invoice from its page; the client opens the link from the email the loopback SMTP server
received, in a fresh browser context, sees the invoice and downloads its PDF."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client as DjangoClient
from playwright.sync_api import expect

from conftest import CHROMIUM
from delivery.tests.smtp import SMTPServer
from invoices.tests.factories import ClientFactory, line, make_invoice
from tenants.models import Membership, Tenant
from tenants.scoping import tenant_scope

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True, scope="module")
def _allow_orm_beside_playwright():
    # Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a
    # thread with a running loop unless told that this is deliberate (the test drives both).
    # Module-scoped, never set at import: it must not leak into other modules' subprocesses.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_send_then_the_client_opens_the_emailed_link_and_downloads_the_pdf(
    chromium: Any,
    live_server: Any,
    tenant: Tenant,
    owner_membership: Membership,
    mail_env: SMTPServer,
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.SITE_URL = live_server.url
    with tenant_scope(tenant):
        client = ClientFactory(name="Initech", emails=["ap@initech.example"])
        invoice = make_invoice(
            actor=owner_membership, client=client, lines=[line("Design sprint", "3", "800.00")], finalize=True
        )

    # The member, signed in, sends the invoice from its page.
    session = DjangoClient()
    session.force_login(owner_membership.user)
    member = chromium.new_context(locale="en-GB")
    member.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = member.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{live_server.url}/t/{tenant.slug}/invoices/{invoice.public_id}/")
    page.get_by_test_id("send-invoice").click()
    expect(page.get_by_label("Subject")).to_have_value(f"Invoice {invoice.number} from Acme Design")
    page.get_by_label("Message").fill("Hi Initech,\n\nHere is this month's invoice.")
    page.get_by_test_id("send-submit").click()
    expect(page.get_by_test_id("email-status").first).to_have_text("Sent")
    member.close()

    [received] = mail_env.wait_for(1)
    assert received.rcpt_tos == ["ap@initech.example"]
    assert "Here is this month's invoice." in received.text
    [link] = set(received.links())
    assert link.startswith(live_server.url)

    # The client: a fresh browser context, no session, only the link from the email.
    client_context = chromium.new_context(locale="en-GB", accept_downloads=True)
    client_page = client_context.new_page()
    client_page.set_default_timeout(20_000)
    response = client_page.goto(link)
    assert response.status == 200
    expect(client_page.get_by_text(invoice.number).first).to_be_visible()
    expect(client_page.get_by_text("€2,400.00").first).to_be_visible()
    with client_page.expect_download() as download_info:
        client_page.get_by_test_id("pdf-download").click()
    download = download_info.value
    saved = tmp_path / "downloaded.pdf"
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    assert download.suggested_filename == f"{invoice.number}.pdf"
    client_context.close()
