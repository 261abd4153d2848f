"""Every page of the app in a real browser (Playwright driving Debian's Chromium), at a phone's
width (390 x 844) and a desktop's (1280 x 800): nothing wider than the screen, no content cut off,
the primary action on screen, and no serious or critical axe-core violation. The client's
public page and the emails' HTML too. One browser and one seeded workspace for the lot.

Screenshots of every page at both widths go to $SCREENSHOT_DIR when it is set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client as DjangoClient

from conftest import CHROMIUM
from invoiceflow.testing.pages import AXE_RUN_JS, LAYOUT_JS, WIDTHS, axe_source, pages, seed_workspace

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


@pytest.fixture(autouse=True, scope="module")
def _allow_orm_beside_playwright() -> Iterator[None]:
    # Playwright's sync API runs an event loop in this thread; the test drives the ORM beside it.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _context(chromium: Any, live_server: Any, width: str, user: Any = None) -> Any:
    w, h = WIDTHS[width]
    context = chromium.new_context(viewport={"width": w, "height": h}, locale="en-GB")
    # Injected by the DevTools protocol, so the pages' strict CSP does not stop it.
    context.add_init_script(script=axe_source())
    if user is not None:
        session = DjangoClient()
        session.force_login(user)
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": session.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )
    return context


def _check(page: Any, label: str, shots: Path | None) -> list[str]:
    problems = [f"{label}: {p}" for p in page.evaluate(LAYOUT_JS)]
    problems += [f"{label}: {p}" for p in page.evaluate(AXE_RUN_JS)]
    if shots is not None:
        (shots / f"{label.replace('/', '_').replace(' ', '_')}.html").write_text(page.content())
        page.screenshot(path=str(shots / f"{label.replace('/', '_').replace(' ', '_')}.png"), full_page=True)
    return problems


def test_every_page_fits_a_phone_and_a_desktop_and_passes_axe(chromium: Any, live_server: Any) -> None:
    seeded = seed_workspace()
    walked = pages(seeded)
    shots = Path(os.environ["SCREENSHOT_DIR"]) if os.environ.get("SCREENSHOT_DIR") else None
    if shots is not None:
        shots.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    # Which patterns answer a GET with an HTML page (the others are actions or files), asked
    # once through Django's test client, before the browser opens them at each width.
    member, visitor = DjangoClient(), DjangoClient()
    member.force_login(seeded.owner.user)
    html_pages = []
    for page_ in walked:
        response = (member if page_.signed_in else visitor).get(page_.path)
        if response.status_code == 405 or "text/html" not in response.get("Content-Type", ""):
            continue
        if response.status_code >= 400:
            problems.append(f"{page_.name} {page_.path}: HTTP {response.status_code}")
        elif response.status_code == 200 and b"<main" in response.content:
            html_pages.append(page_)
        elif response.status_code == 200 and b"<html" in response.content:
            # A whole page without the app's layout: name it in NOT_PAGES, with its reason.
            problems.append(f"{page_.name} {page_.path}: a page without <main>")
        # Otherwise an htmx fragment (no <html>) or a redirect: not a page of its own.
    visited = 0
    for width in WIDTHS:
        contexts = {
            True: _context(chromium, live_server, width, seeded.owner.user),
            False: _context(chromium, live_server, width),
        }
        tabs = {signed_in: context.new_page() for signed_in, context in contexts.items()}
        for page_ in html_pages:
            tab = tabs[page_.signed_in]
            tab.goto(live_server.url + page_.path)
            visited += 1
            problems += _check(
                tab, f"{width}-{page_.name}-{page_.path.strip('/').replace('/', '_')[-40:]}", shots
            )
        # A blank tab of its own: a tab that opened the app keeps the app's CSP, which would
        # strip the emails' inline styles.
        mailbox = contexts[False].new_page()
        for subject, body in seeded.emails:
            tab = mailbox
            tab.set_content(body)
            problems += _check(tab, f"{width}-email-{subject[:30]}", shots)
        for context in contexts.values():
            context.close()
    assert visited > 2 * 30, f"only {visited} pages were walked"
    # The invoice, the credit note, three reminders, the receipt, the invitation, the bounce
    # and bulk-job notices: each HTML email the product sends (invoiceflow/testing/pages.py).
    assert len(seeded.emails) >= 9, [subject for subject, _body in seeded.emails]
    assert not problems, "\n".join(problems)
