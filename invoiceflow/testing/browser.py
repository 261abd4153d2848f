"""Chromium for the browser tests: one launch per module, a page signed in as a user, and a
wait for htmx to settle. Debian's Chromium (conftest.CHROMIUM), never a downloaded one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.conf import settings
from django.test import Client as DjangoClient

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


@contextmanager
def chromium(executable_path: str) -> Iterator[Any]:
    """A headless Chromium for as long as the block runs (a module's tests share it)."""
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        # Playwright's sync API runs an event loop in this thread; the ORM beside it is safe here.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=executable_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module", name="browser")
def browser_fixture() -> Iterator[Any]:
    """One Chromium for a test module (import this fixture into the module to use it)."""
    from conftest import CHROMIUM

    with chromium(CHROMIUM) as launched:
        yield launched


def signed_in_page(
    browser: Any, live_server: Any, user: Any, width: int, *, axe: str = "", javascript: bool = True
) -> Any:
    """A new page of a new context `width` px wide, signed in as `user` through a session cookie;
    `axe`: axe-core's source, injected by the DevTools protocol (the strict CSP does not stop it);
    `javascript=False`: the page as a browser without JavaScript sees it (plain form posts).
    The page collects console errors in `page.console_errors`."""
    client = DjangoClient()
    client.force_login(user)
    context = browser.new_context(
        viewport={"width": width, "height": 900}, locale="en-GB", java_script_enabled=javascript
    )
    if axe:
        context.add_init_script(script=axe)
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
    page.set_default_timeout(15_000)
    page.console_errors = []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    return page


def htmx_idle(page: Any) -> None:
    """Wait until no htmx request, swap or settle is in flight."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    )
