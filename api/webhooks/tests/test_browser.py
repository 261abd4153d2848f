"""Settings → Webhooks in a real browser (Playwright driving Debian's Chromium), with real
commits: add an endpoint, read its secret once, watch a failed delivery, replay it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.test import Client as DjangoClient
from playwright.sync_api import expect

from api.webhooks.signing import HEADER, verify_signature
from conftest import CHROMIUM
from invoices.tests.factories import line, make_invoice
from tenants.models import Membership, Tenant, User
from tenants.scoping import tenant_scope

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(autouse=True)
def _allow_orm_beside_playwright(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _page_for(browser: object, live_server: object, user: User) -> object:
    client = DjangoClient()
    client.force_login(user)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
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
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.console_errors = errors
    return page


def test_add_an_endpoint_see_a_failure_and_replay_it(
    browser: object, live_server: object, tenant: Tenant, owner: User, owner_membership: Membership, receiver
) -> None:
    page = _page_for(browser, live_server, owner)
    page.goto(f"{live_server.url}/t/{tenant.slug}/settings/")
    page.get_by_test_id("webhooks-link").click()
    page.get_by_label("Endpoint URL").fill(receiver.url)
    page.get_by_label("Invoice created").check()
    page.get_by_role("button", name="Add endpoint").click()
    secret = page.get_by_test_id("new-secret").locator("code").inner_text()
    assert secret.startswith("whsec_")
    expect(page.get_by_test_id("endpoints")).to_contain_text(receiver.url)
    page.reload()
    expect(page.get_by_test_id("new-secret")).to_have_count(0)  # shown once

    receiver.statuses = [500]
    with tenant_scope(tenant):
        invoice = make_invoice(actor=owner_membership, lines=[line("Workshop", "1", "900.00")])
    page.goto(f"{live_server.url}/t/{tenant.slug}/settings/webhooks/?status=failed")
    expect(page.get_by_text("No deliveries yet.")).to_be_visible()  # still retrying: not failed
    page.goto(f"{live_server.url}/t/{tenant.slug}/settings/webhooks/")
    deliveries = page.get_by_test_id("deliveries")
    expect(deliveries).to_contain_text("invoice.created")
    expect(deliveries).to_contain_text("HTTP 500")
    expect(deliveries).to_contain_text("Pending")

    deliveries.get_by_role("button", name="Replay").click()
    expect(page.get_by_test_id("deliveries")).to_contain_text("Succeeded")
    expect(page.get_by_test_id("deliveries")).to_contain_text("HTTP 200")
    assert len(receiver.requests) == 2
    for request in receiver.requests:
        verify_signature(request.body, request.headers[HEADER], secret)
        assert json.loads(request.body)["data"]["id"] == invoice.public_id
    assert page.console_errors == []
