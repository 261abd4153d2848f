"""Sign-up to teamwork in a real browser (Playwright driving Debian's Chromium, headless).

One person signs up, verifies their address from the emailed link, creates a workspace and
invites a colleague from the Team page; the colleague opens the invitation in a fresh browser,
signs up with the invited address, accepts, and lands in the workspace. Someone from another
workspace gets our 404 page on it. Every page on the way must carry the Content-Security-Policy
and the browser must log no CSP violation, no console error and no uncaught exception.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client as DjangoClient
from PIL import Image

from conftest import CHROMIUM
from tenants.models import Membership, Role, Tenant, User
from tenants.scoping import tenant_scope
from tenants.tests.account_helpers import (  # noqa: F401  (fixtures)
    fresh_cache,
    path_of,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fresh_cache"),
]


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
PASSWORD = "Plum-Orchard-Ledger-2026"
OWNER_EMAIL = "rosa@northwind.test"
INVITED_EMAIL = "sam@northwind.test"
WORKSPACE = "Northwind Studio"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Recorder:
    """What the browser saw: every page (document) response and every console complaint."""

    documents: list[tuple[str, int, str | None]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    expected_404s: set[str] = field(default_factory=set)

    def attach(self, page: object) -> None:
        page.on("response", self._on_response)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.problems.append(f"uncaught exception: {error}"))

    def _on_response(self, response: object) -> None:
        if response.request.resource_type == "document":
            headers = response.all_headers()
            self.documents.append((response.url, response.status, headers.get("content-security-policy")))

    def _on_console(self, message: object) -> None:
        text = message.text
        if message.type == "error":
            # A page we deliberately expect to be a 404 is logged as a failed load: fine.
            url = (message.location or {}).get("url", "")
            if "status of 404" in text and url in self.expected_404s:
                return
            self.problems.append(f"console error on {url}: {text}")
        elif "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.problems.append(f"CSP report: {text}")


def new_page(browser: object, recorder: Recorder, viewport: dict | None = None) -> object:
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 860}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    recorder.attach(page)
    return page


def signed_in_page(browser: object, live_server: object, recorder: Recorder, user: User) -> object:
    """A fresh browser signed in as `user` (the session cookie of a force-logged-in client)."""
    client = DjangoClient()
    client.force_login(user)
    page = new_page(browser, recorder)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return page


def wait_for(condition: Callable[[], object], what: str, timeout: float = 10.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def emailed_link(to: str, contains: str) -> str:
    """The path of the link containing `contains` in the latest email to `to`."""

    def find() -> str | None:
        for message in reversed(mail.outbox):
            if to in message.to:
                for url in re.findall(r"https?://[^\s\"'<>]+", message.body):
                    if contains in url:
                        return path_of(url)
        return None

    return wait_for(find, f"an email to {to} with a {contains} link")


def path(page: object) -> str:
    return urlsplit(page.url).path


def sign_up(page: object, email: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    page.wait_for_load_state()


def test_sign_up_verify_create_invite_accept_and_an_outsider_gets_404(
    browser: object, live_server: object, outsider: User, other_tenant: Tenant
) -> None:
    recorder = Recorder()
    base = live_server.url

    # --- the owner signs up and verifies their address ------------------------------------------
    owner = new_page(browser, recorder)
    owner.goto(f"{base}/accounts/signup/")
    sign_up(owner, OWNER_EMAIL)
    assert path(owner) == "/accounts/confirm-email/"
    assert owner.get_by_role("heading", name="Verify Your Email Address").is_visible()
    assert not User.objects.get(email=OWNER_EMAIL).emailaddress_set.get().verified

    owner.goto(base + emailed_link(OWNER_EMAIL, "/accounts/confirm-email/"))
    owner.get_by_role("button", name="Confirm").click()
    # Verified and signed in; with no workspace yet, the app offers to create one.
    owner.wait_for_url(f"{base}/workspaces/new/")
    assert User.objects.get(email=OWNER_EMAIL).emailaddress_set.get().verified

    # --- ... creates a workspace ---------------------------------------------------------------
    owner.get_by_label("Business name").fill(WORKSPACE)
    owner.get_by_role("button", name="Create workspace").click()
    owner.wait_for_url(re.compile(r"/t/[-a-z0-9]+/$"))
    tenant = Tenant.objects.get(name=WORKSPACE)
    assert path(owner) == f"/t/{tenant.slug}/"
    with tenant_scope(tenant):
        assert Membership.objects.get(tenant=tenant, user__email=OWNER_EMAIL).role == Role.OWNER
    assert owner.get_by_test_id("tenant-switcher").locator("summary").inner_text().strip().endswith(WORKSPACE)

    # --- ... and invites a colleague from the Team page -------------------------------------------
    owner.get_by_role("navigation", name="Workspace").get_by_role("link", name="Team").click()
    owner.wait_for_url(f"{base}/t/{tenant.slug}/members/")
    owner.get_by_label("Email address").fill(INVITED_EMAIL)
    owner.get_by_label("Role").select_option(Role.MEMBER)
    owner.get_by_role("button", name="Send invitation").click()
    owner.wait_for_load_state()
    assert (
        owner.locator(".flash--success").filter(has_text=f"Invitation sent to {INVITED_EMAIL}").is_visible()
    )
    assert owner.get_by_test_id("invitations").get_by_text(INVITED_EMAIL).is_visible()
    # The flash can be dismissed (app.js adds the button; no inline script).
    owner.locator(".flash--success").get_by_role("button", name="Dismiss").click()
    assert owner.locator(".flash").count() == 0

    # --- the colleague opens the link in a fresh browser, signs up and accepts -----------------------
    invitation_path = emailed_link(INVITED_EMAIL, "/invitations/")
    colleague = new_page(browser, recorder, viewport={"width": 390, "height": 844})  # on a phone
    colleague.goto(base + invitation_path)
    assert colleague.get_by_role("heading", name=f"Join {WORKSPACE}").is_visible()
    colleague.locator("main").get_by_role("link", name="Create account").click()
    colleague.wait_for_url(f"{base}/accounts/signup/**")
    sign_up(colleague, INVITED_EMAIL)
    # The emailed link proved the address: no second verification, straight back to the invitation.
    colleague.wait_for_url(f"{base}{invitation_path}")
    colleague.get_by_test_id("accept-invitation").click()
    colleague.wait_for_url(f"{base}/t/{tenant.slug}/")
    assert colleague.locator(".flash--success").filter(has_text=f"You joined {WORKSPACE}").is_visible()
    with tenant_scope(tenant):
        assert Membership.objects.get(tenant=tenant, user__email=INVITED_EMAIL).role == Role.MEMBER

    # The workspace is in the colleague's switcher, which opens and closes (Escape).
    switcher = colleague.get_by_test_id("tenant-switcher")
    switcher.locator("summary").click()
    workspace_link = switcher.get_by_role("link", name=WORKSPACE)
    assert workspace_link.is_visible()
    assert workspace_link.get_attribute("href") == f"/t/{tenant.slug}/"
    colleague.keyboard.press("Escape")
    assert not workspace_link.is_visible()
    # The phone layout keeps the workspace navigation reachable.
    assert colleague.get_by_role("navigation", name="Workspace").get_by_role("link", name="Team").is_visible()

    # --- someone from another workspace gets our 404 on every page of this one -----------------------
    stranger = signed_in_page(browser, live_server, recorder, outsider)
    for tenant_path in ("", "members/", "settings/"):
        url = f"{base}/t/{tenant.slug}/{tenant_path}"
        recorder.expected_404s.add(url)
        response = stranger.goto(url)
        assert response.status == 404, url
        assert stranger.get_by_test_id("error-404").is_visible(), url
        assert WORKSPACE not in stranger.content(), url
    # ... while their own workspace works, and the other one is not in their switcher.
    assert stranger.goto(f"{base}/t/{other_tenant.slug}/").status == 200
    assert WORKSPACE not in stranger.get_by_test_id("tenant-switcher").inner_text()

    # --- every page carried the policy; the browser complained about nothing -------------------------
    assert recorder.documents, "no page was recorded"
    for url, status, policy in recorder.documents:
        assert policy, f"{url} ({status}) has no Content-Security-Policy"
        assert "script-src 'self'" in policy, (url, policy)
        assert "style-src 'self'" in policy, (url, policy)
        assert "unsafe-inline" not in policy, (url, policy)
    visited = {urlsplit(url).path for url, _status, _policy in recorder.documents}
    assert {"/accounts/signup/", "/workspaces/new/", f"/t/{tenant.slug}/members/", invitation_path} <= visited
    assert recorder.problems == []


def test_the_shell_pages_carry_the_policy_and_the_browser_reports_a_violation_when_there_is_one(
    browser: object, live_server: object, owner: User, tenant: Tenant
) -> None:
    recorder = Recorder()
    base = live_server.url
    anonymous = new_page(browser, recorder)
    for page_path in ("/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"):
        assert anonymous.goto(base + page_path).status == 200, page_path
    page = signed_in_page(browser, live_server, recorder, owner)
    for page_path in (
        f"/t/{tenant.slug}/",
        f"/t/{tenant.slug}/members/",
        f"/t/{tenant.slug}/settings/",
        "/accounts/email/",
        "/accounts/password/change/",
        "/accounts/2fa/",
    ):
        assert page.goto(base + page_path).status == 200, page_path
        # Menus are <details> opened without script; app.js closes them on an outside click.
        page.get_by_test_id("user-menu").locator("summary").click()
        assert page.get_by_test_id("user-menu").get_by_role("button", name="Sign out").is_visible()
        page.locator("main").click(position={"x": 5, "y": 5})
        assert not page.get_by_test_id("user-menu").get_by_role("button", name="Sign out").is_visible()
    missing = f"{base}/no-such-page/"
    recorder.expected_404s.add(missing)
    assert page.goto(missing).status == 404
    assert page.get_by_test_id("error-404").is_visible()

    assert len(recorder.documents) == 10
    assert all(policy and "default-src 'self'" in policy for _url, _status, policy in recorder.documents)
    assert recorder.problems == []

    # The listener is not blind: an inline script is refused by the policy, and reported.
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.x = 1';"
        " document.body.appendChild(s); }"
    )
    wait_for(lambda: recorder.problems, "the browser to report the refused inline script")
    assert any("Content Security Policy" in problem for problem in recorder.problems)
    assert page.evaluate("() => window.x") is None


def test_an_owner_uploads_a_logo_picks_a_colour_sees_the_preview_and_removes_it(
    browser: object, live_server: object, owner: User, tenant: Tenant, settings: object, tmp_path: object
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    logo = tmp_path / "logo.png"
    buffer = io.BytesIO()
    Image.new("RGB", (240, 80), "#0f766e").save(buffer, "PNG")
    logo.write_bytes(buffer.getvalue())
    recorder = Recorder()
    page = signed_in_page(browser, live_server, recorder, owner)
    page.goto(f"{live_server.url}/t/{tenant.slug}/settings/")

    form = page.get_by_test_id("branding-form")
    form.get_by_label("Logo").set_input_files(str(logo))
    form.get_by_label("Brand colour").fill("#b91c1c")
    form.get_by_role("button", name="Save branding").click()
    page.wait_for_load_state()

    assert page.url.endswith("/settings/#branding")
    preview = page.get_by_test_id("logo-preview")
    # A data: URL the page's policy allows (img-src 'self' data:): the picture really loads.
    assert wait_for(lambda: preview.evaluate("img => img.complete && img.naturalWidth") == 240, "the logo")
    assert form.get_by_label("Brand colour").input_value() == "#b91c1c"
    tenant.refresh_from_db()
    assert (tenant.brand_color, bool(tenant.logo)) == ("#b91c1c", True)

    page.get_by_test_id("remove-logo").click()
    page.wait_for_load_state()
    assert page.get_by_text("Logo removed.").is_visible()
    assert page.get_by_test_id("logo-preview").count() == 0
    tenant.refresh_from_db()
    assert (tenant.brand_color, tenant.logo.name) == ("#b91c1c", "")
    assert recorder.problems == []
