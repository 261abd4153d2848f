"""Social login, end to end against a real OpenID Connect provider on loopback.

The provider is a small django-oauth-toolkit project (`tenants/tests/oidc_provider/`) run as a
subprocess with its own SQLite database; it requires PKCE and signs RS256 ID tokens carrying
`email` and `email_verified`. InvoiceFlow is served by pytest-django's `live_server` and
configured through the same environment variables production uses (OIDC_SERVER_URL, ...).
Nothing is mocked: every hop of the authorization-code + PKCE dance is a real HTTP request.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import re
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.conf import settings as django_settings
from django.test import Client

from tenants.models import User
from tenants.tests.oidc_provider.harness import OIDCProvider, running_provider

PROVIDER_ID = "localop"
CALLBACK_PATH = f"/accounts/oidc/{PROVIDER_ID}/login/callback/"
LOGIN_PATH = f"/accounts/oidc/{PROVIDER_ID}/login/"
SETTINGS_PACKAGE = Path(django_settings.BASE_DIR) / "invoiceflow" / "settings"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


# --- helpers -----------------------------------------------------------------------------------


def settings_from_env(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> ModuleType:
    """Execute invoiceflow/settings/ afresh with `env` set, as a process starting up would."""
    for name in (
        "OIDC_SERVER_URL",
        "OIDC_CLIENT_ID",
        "OIDC_CLIENT_SECRET",
        "OIDC_PROVIDER_ID",
        "OIDC_PROVIDER_NAME",
        "GOOGLE_CLIENT_ID",
        "GOOGLE_CLIENT_SECRET",
        "GITHUB_CLIENT_ID",
        "GITHUB_CLIENT_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    # The package under another name: its modules import each other relatively, so each one
    # runs afresh with `env` instead of being the already-imported invoiceflow.settings.*.
    name = "_invoiceflow_settings_under_test"
    spec = importlib.util.spec_from_file_location(
        name, SETTINGS_PACKAGE / "__init__.py", submodule_search_locations=[str(SETTINGS_PACKAGE)]
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        for loaded in [key for key in sys.modules if key == name or key.startswith(f"{name}.")]:
            del sys.modules[loaded]
    return module


def apply_social_settings(settings, fresh: ModuleType) -> None:
    settings.SOCIALACCOUNT_PROVIDERS = fresh.SOCIALACCOUNT_PROVIDERS
    settings.CONTENT_SECURITY_POLICY = fresh.CONTENT_SECURITY_POLICY


def csrf_token(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def location(response: requests.Response) -> str:
    assert response.is_redirect, f"expected a redirect, got {response.status_code}: {response.text[:500]}"
    return urljoin(response.url, response.headers["Location"])


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def new_browser_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # loopback only: never through a proxy from the environment
    return session


class Dance:
    """One pass through the redirect dance, stopped just before the code reaches our callback."""

    def __init__(self, session: requests.Session, app_url: str, provider: OIDCProvider) -> None:
        self.session = session
        self.app_url = app_url
        self.provider = provider
        self.authorize_url = ""
        self.callback_url = ""

    def start(self) -> str:
        """Press the provider's button on our login page; return where our app sends the browser."""
        login_page = self.session.get(f"{self.app_url}/accounts/login/")
        assert login_page.status_code == 200
        # allauth 65 starts a login only on POST (a GET shows a confirmation form), so a
        # third-party page cannot log someone in through us with a bare link.
        confirm = self.session.get(f"{self.app_url}{LOGIN_PATH}?process=login")
        assert confirm.status_code == 200
        response = self.session.post(
            f"{self.app_url}{LOGIN_PATH}?process=login",
            data={"csrfmiddlewaretoken": csrf_token(confirm.text)},
            allow_redirects=False,
        )
        self.authorize_url = location(response)
        return self.authorize_url

    def authenticate_at_provider(self, *, password: str | None = None) -> str:
        """Follow the provider until it redirects back to us; return that callback URL."""
        response = self.session.get(self.authorize_url, allow_redirects=False)
        url = location(response)
        if urlsplit(url).path == "/login/":
            form = self.session.get(url)
            assert form.status_code == 200
            response = self.session.post(
                form.url,
                data={
                    "csrfmiddlewaretoken": csrf_token(form.text),
                    "username": self.provider.email.split("@")[0],
                    "password": password or self.provider.password,
                    "next": parse_qs(urlsplit(url).query)["next"][0],
                },
                allow_redirects=False,
            )
            back_to_authorize = location(response)
            response = self.session.get(back_to_authorize, allow_redirects=False)
            url = location(response)
        self.callback_url = url
        return url

    def finish(self) -> requests.Response:
        """Hand the code to our callback: allauth exchanges it server to server."""
        return self.session.get(self.callback_url)


def is_logged_in(session: requests.Session, app_url: str) -> bool:
    response = session.get(f"{app_url}/accounts/email/", allow_redirects=False)
    if response.status_code == 200:
        return True
    assert response.is_redirect
    assert urlsplit(location(response)).path == "/accounts/login/"
    return False


def log_out(session: requests.Session, app_url: str) -> None:
    page = session.get(f"{app_url}/accounts/logout/")
    session.post(f"{app_url}/accounts/logout/", data={"csrfmiddlewaretoken": csrf_token(page.text)})


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def oidc_provider(live_server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OIDCProvider]:
    with running_provider(
        state_dir=tmp_path_factory.mktemp("oidc-provider"),
        redirect_uri=f"{live_server.url}{CALLBACK_PATH}",
    ) as provider:
        yield provider


@pytest.fixture
def oidc_env(oidc_provider: OIDCProvider) -> dict[str, str]:
    """The environment an operator would set to connect InvoiceFlow to this provider."""
    return {
        "OIDC_SERVER_URL": oidc_provider.issuer,
        "OIDC_CLIENT_ID": oidc_provider.client_id,
        "OIDC_CLIENT_SECRET": oidc_provider.client_secret,
        "OIDC_PROVIDER_ID": PROVIDER_ID,
        "OIDC_PROVIDER_NAME": "Local provider",
    }


@pytest.fixture
def app_with_oidc(settings, monkeypatch: pytest.MonkeyPatch, oidc_env: dict[str, str], live_server) -> str:
    apply_social_settings(settings, settings_from_env(monkeypatch, oidc_env))
    return live_server.url


# --- the redirect dance ------------------------------------------------------------------------


def test_first_login_creates_the_user_and_the_second_finds_them(
    app_with_oidc: str, oidc_provider: OIDCProvider
) -> None:
    session = new_browser_session()
    assert not User.objects.filter(email=oidc_provider.email).exists()

    dance = Dance(session, app_with_oidc, oidc_provider)
    authorize_url = dance.start()
    # Our app sends the browser to the provider's authorization endpoint with a PKCE challenge.
    assert authorize_url.startswith(f"{oidc_provider.issuer}/authorize/")
    query = parse_qs(urlsplit(authorize_url).query)
    assert query["response_type"] == ["code"]
    assert query["client_id"] == [oidc_provider.client_id]
    assert query["redirect_uri"] == [f"{app_with_oidc}{CALLBACK_PATH}"]
    assert "openid" in query["scope"][0].split()
    assert "email" in query["scope"][0].split()
    assert query["code_challenge_method"] == ["S256"]
    challenge = query["code_challenge"][0]
    assert len(challenge) == 43  # base64url of a SHA-256 digest

    callback_url = dance.authenticate_at_provider()
    assert callback_url.startswith(f"{app_with_oidc}{CALLBACK_PATH}")
    callback_query = parse_qs(urlsplit(callback_url).query)
    code = callback_query["code"][0]
    assert callback_query["state"] == query["state"]

    # The code is worthless without the verifier only our server holds: the provider refuses
    # to exchange it with no verifier, or with a wrong one (its challenge would not match).
    exchange = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": f"{app_with_oidc}{CALLBACK_PATH}",
        "client_id": oidc_provider.client_id,
        "client_secret": oidc_provider.client_secret,
    }
    without_verifier = requests.post(oidc_provider.token_endpoint, data=exchange, timeout=10)
    assert without_verifier.status_code == 400
    assert without_verifier.json()["error"] == "invalid_request"
    wrong_verifier = secrets.token_urlsafe(48)
    assert s256(wrong_verifier) != challenge
    with_wrong_verifier = requests.post(
        oidc_provider.token_endpoint, data={**exchange, "code_verifier": wrong_verifier}, timeout=10
    )
    assert with_wrong_verifier.status_code == 400
    assert with_wrong_verifier.json()["error"] == "invalid_grant"

    # Our server exchanges the same code with the right verifier, and the user is in.
    landing = dance.finish()
    assert landing.status_code == 200
    assert urlsplit(landing.url).netloc == urlsplit(app_with_oidc).netloc
    assert is_logged_in(session, app_with_oidc)

    user = User.objects.get(email=oidc_provider.email)
    account = SocialAccount.objects.get(user=user)
    assert account.provider == PROVIDER_ID
    assert account.uid == account.extra_data["id_token"]["sub"]
    # Both the signed ID token and the userinfo response carried the verified address.
    assert account.extra_data["id_token"]["email"] == oidc_provider.email
    assert account.extra_data["id_token"]["email_verified"] is True
    assert account.extra_data["id_token"]["iss"] == oidc_provider.issuer
    assert account.extra_data["userinfo"]["email"] == oidc_provider.email
    assert EmailAddress.objects.get(user=user, email=oidc_provider.email).verified
    # The code is single-use: it was spent by our server.
    replay = requests.post(
        oidc_provider.token_endpoint, data={**exchange, "code_verifier": wrong_verifier}, timeout=10
    )
    assert replay.json()["error"] == "invalid_grant"

    log_out(session, app_with_oidc)
    assert not is_logged_in(session, app_with_oidc)

    # Second login: the provider still knows the browser, so it sends it straight back.
    users_before = User.objects.count()
    second = Dance(session, app_with_oidc, oidc_provider)
    second_challenge = parse_qs(urlsplit(second.start()).query)["code_challenge"][0]
    assert second_challenge != challenge  # a fresh verifier per login
    second.authenticate_at_provider()
    assert second.finish().status_code == 200
    assert is_logged_in(session, app_with_oidc)
    assert User.objects.count() == users_before
    assert SocialAccount.objects.filter(uid=account.uid, provider=PROVIDER_ID).count() == 1
    assert SocialAccount.objects.get(uid=account.uid, provider=PROVIDER_ID).user_id == user.pk


def test_login_in_a_fresh_browser_finds_the_existing_user(
    app_with_oidc: str, oidc_provider: OIDCProvider
) -> None:
    first = new_browser_session()
    dance = Dance(first, app_with_oidc, oidc_provider)
    dance.start()
    dance.authenticate_at_provider()
    dance.finish()
    user = User.objects.get(email=oidc_provider.email)

    # A different browser: no session at either end, so the provider asks for the password.
    other = new_browser_session()
    dance = Dance(other, app_with_oidc, oidc_provider)
    dance.start()
    dance.authenticate_at_provider()
    dance.finish()
    assert is_logged_in(other, app_with_oidc)
    assert list(User.objects.filter(email=oidc_provider.email)) == [user]
    assert SocialAccount.objects.filter(user=user).count() == 1


def test_provider_refuses_a_login_without_pkce(
    settings, monkeypatch: pytest.MonkeyPatch, oidc_env: dict[str, str], live_server, oidc_provider
) -> None:
    """The provider really enforces PKCE, so the successful logins above depended on it."""
    fresh = settings_from_env(monkeypatch, oidc_env)
    fresh.SOCIALACCOUNT_PROVIDERS["openid_connect"]["OAUTH_PKCE_ENABLED"] = False
    apply_social_settings(settings, fresh)
    session = new_browser_session()
    dance = Dance(session, live_server.url, oidc_provider)
    assert "code_challenge" not in parse_qs(urlsplit(dance.start()).query)

    back = dance.authenticate_at_provider()
    assert back.startswith(f"{live_server.url}{CALLBACK_PATH}")
    assert parse_qs(urlsplit(back).query)["error"] == ["invalid_request"]
    session.get(back)
    assert not is_logged_in(session, live_server.url)
    assert not User.objects.filter(email=oidc_provider.email).exists()


def test_wrong_password_at_the_provider_logs_nobody_in(app_with_oidc: str, oidc_provider) -> None:
    session = new_browser_session()
    dance = Dance(session, app_with_oidc, oidc_provider)
    dance.start()
    login_form_url = location(session.get(dance.authorize_url, allow_redirects=False))
    form = session.get(login_form_url)
    response = session.post(
        form.url,
        data={
            "csrfmiddlewaretoken": csrf_token(form.text),
            "username": oidc_provider.email.split("@")[0],
            "password": "not the password",
            "next": parse_qs(urlsplit(login_form_url).query)["next"][0],
        },
        allow_redirects=False,
    )
    assert response.status_code == 200  # the provider's form again, no redirect back to us
    assert not is_logged_in(session, app_with_oidc)
    assert not User.objects.filter(email=oidc_provider.email).exists()


@pytest.mark.browser
def test_login_through_the_provider_in_chromium(
    app_with_oidc: str, oidc_provider: OIDCProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same dance in a real browser, under our Content-Security-Policy.

    Chromium applies `form-action` to the redirect that follows our login form, so this fails
    unless the settings add the provider's origin (from OIDC_SERVER_URL) to that directive.
    """
    # Playwright's sync API runs an event loop in this thread; Django refuses ORM calls there.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    csp_violations: list[str] = []
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
            page = browser.new_page()
            page.set_default_timeout(15_000)
            page.on(
                "console",
                lambda message: (
                    csp_violations.append(message.text) if "Content Security Policy" in message.text else None
                ),
            )
            page.goto(f"{app_with_oidc}/accounts/login/")
            page.get_by_role("link", name="Local provider").click()
            page.get_by_role("button", name="Continue").click()
            page.wait_for_url(f"{oidc_provider.base_url}/login/**")
            page.get_by_label("Username").fill(oidc_provider.email.split("@")[0])
            page.get_by_label("Password").fill(oidc_provider.password)
            page.get_by_role("button", name="Sign in to the provider").click()
            page.wait_for_url(f"{app_with_oidc}/**")
            page.wait_for_load_state()
            assert CALLBACK_PATH not in page.url
            page.goto(f"{app_with_oidc}/accounts/email/")
            assert urlsplit(page.url).path == "/accounts/email/"
            assert oidc_provider.email in page.content()
        finally:
            browser.close()

    assert csp_violations == []
    user = User.objects.get(email=oidc_provider.email)
    assert SocialAccount.objects.get(user=user).provider == PROVIDER_ID


# --- which buttons the login page shows ---------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("env", "google", "github"),
    [
        pytest.param({}, False, False, id="nothing-set"),
        pytest.param(
            {"GOOGLE_CLIENT_ID": "g-id", "GOOGLE_CLIENT_SECRET": "g-secret"}, True, False, id="google"
        ),
        pytest.param(
            {"GITHUB_CLIENT_ID": "gh-id", "GITHUB_CLIENT_SECRET": "gh-secret"}, False, True, id="github"
        ),
        pytest.param(
            {
                "GOOGLE_CLIENT_ID": "g-id",
                "GOOGLE_CLIENT_SECRET": "g-secret",
                "GITHUB_CLIENT_ID": "gh-id",
                "GITHUB_CLIENT_SECRET": "gh-secret",
            },
            True,
            True,
            id="both",
        ),
        pytest.param({"GOOGLE_CLIENT_ID": "g-id", "GITHUB_CLIENT_ID": "gh-id"}, False, False, id="ids-only"),
        pytest.param(
            {"GOOGLE_CLIENT_SECRET": "g-secret", "GITHUB_CLIENT_SECRET": "gh-secret"},
            False,
            False,
            id="secrets-only",
        ),
    ],
)
def test_login_page_shows_a_provider_button_only_when_configured(
    settings, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], google: bool, github: bool
) -> None:
    apply_social_settings(settings, settings_from_env(monkeypatch, env))
    page = Client().get("/accounts/login/").content.decode()
    assert ('href="/accounts/google/login/' in page) is google
    assert ('href="/accounts/github/login/' in page) is github
    assert "/accounts/oidc/" not in page


@pytest.mark.django_db
def test_configured_google_button_starts_a_real_google_login(
    settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The button is wired to a working login: posting it sends the browser to Google with PKCE."""
    apply_social_settings(
        settings,
        settings_from_env(monkeypatch, {"GOOGLE_CLIENT_ID": "g-id", "GOOGLE_CLIENT_SECRET": "g-secret"}),
    )
    client = Client()
    response = client.post("/accounts/google/login/?process=login")
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.netloc == "accounts.google.com"
    query = parse_qs(target.query)
    assert query["client_id"] == ["g-id"]
    assert query["code_challenge_method"] == ["S256"]
    # And the CSP lets a browser follow that redirect after submitting our form.
    assert "https://accounts.google.com" in settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"]
