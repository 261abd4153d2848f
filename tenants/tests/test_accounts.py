"""Accounts through allauth: sign-up with mandatory email verification, login and logout,
password reset and change, TOTP two-factor with recovery codes, slowed login failures, sessions
in Redis, and the demo login `./dev start` prints."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tenants.models import Role, Tenant, User
from tenants.selectors import user_membership_list
from tenants.tests.account_helpers import (  # noqa: F401  (fixtures)
    fresh_cache,
    only_link,
    totp_code,
)
from tenants.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.usefixtures("fresh_cache")

NEW_PASSWORD = "a brand new passphrase 77"


def login(client: Client, email: str, password: str):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def signed_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def form_errors(response) -> list[str]:
    form = response.context["form"]
    return [str(e) for errors in form.errors.values() for e in errors]


# --- sign-up and verification ---------------------------------------------------------------


def test_sign_up_needs_the_emailed_verification_before_login(db: None) -> None:
    client = Client()
    response = client.post(
        reverse("account_signup"),
        {"email": "Ada@Example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert signed_in_user_id(client) is None
    user = User.objects.get(email="ada@example.com")
    assert not EmailAddress.objects.get(user=user).verified
    [message] = mail.outbox
    assert message.to == ["ada@example.com"]
    link = only_link(message, "/accounts/confirm-email/")

    # Not before verifying, not even with the right password, not from another browser either.
    for browser in (client, Client()):
        response = login(browser, "ada@example.com", NEW_PASSWORD)
        assert response.url == reverse("account_email_verification_sent")
        assert signed_in_user_id(browser) is None
        assert browser.get(reverse("tenant_create")).status_code == 302

    # Following the link shows a confirmation page (mail scanners must not confirm by GET)...
    page = client.get(link)
    assert page.status_code == 200
    assert not EmailAddress.objects.get(user=user).verified
    # ...and confirming signs the user in and offers to create a workspace.
    confirmed = client.post(link)
    assert confirmed.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    assert signed_in_user_id(client) == str(user.pk)
    assert client.get("/").url == reverse("tenant_create")

    other_browser = Client()
    assert login(other_browser, "ada@example.com", NEW_PASSWORD).url == "/"
    assert signed_in_user_id(other_browser) == str(user.pk)


def test_a_forged_verification_link_verifies_nothing(db: None) -> None:
    client = Client()
    client.post(
        reverse("account_signup"),
        {"email": "ada@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    link = only_link(mail.outbox[0], "/accounts/confirm-email/")
    client.post(link[:-3] + "xx/")
    assert not EmailAddress.objects.get(email="ada@example.com").verified
    assert signed_in_user_id(client) is None


def test_an_address_can_hold_only_one_account(db: None) -> None:
    UserFactory(email="taken@example.com")
    client = Client()
    client.post(
        reverse("account_signup"),
        {"email": "TAKEN@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1


def test_signup_refuses_a_weak_password(db: None) -> None:
    response = Client().post(
        reverse("account_signup"),
        {"email": "ada@example.com", "password1": "password", "password2": "password"},
    )
    assert response.status_code == 200
    assert form_errors(response)
    assert not User.objects.filter(email="ada@example.com").exists()


# --- login and logout -----------------------------------------------------------------------


def test_login_with_email_and_password_then_logout(db: None) -> None:
    user = UserFactory(email="bob@example.com")
    client = Client()
    response = login(client, "bob@example.com", "not the password")
    assert response.status_code == 200
    assert "The email address and/or password you specified are not correct." in form_errors(response)
    assert signed_in_user_id(client) is None

    response = login(client, "BOB@example.com", PASSWORD)
    assert response.status_code == 302
    assert response.url == "/"
    assert signed_in_user_id(client) == str(user.pk)

    # Logging out takes a POST: a link or an image on another site cannot sign people out.
    assert client.get(reverse("account_logout")).status_code == 200
    assert signed_in_user_id(client) == str(user.pk)
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert signed_in_user_id(client) is None
    assert client.get(reverse("tenant_create")).url.startswith(reverse("account_login"))


def test_login_follows_next_back_to_the_tenant_page(owner: User, tenant: Tenant) -> None:
    client = Client()
    members = reverse("members", args=[tenant.slug])
    redirect = client.get(members)
    response = client.post(redirect.url, {"login": owner.email, "password": PASSWORD})
    assert response.url == members
    assert client.get(members).status_code == 200


def test_an_inactive_user_cannot_log_in(db: None) -> None:
    UserFactory(email="gone@example.com", is_active=False)
    client = Client()
    login(client, "gone@example.com", PASSWORD)
    assert signed_in_user_id(client) is None


# --- passwords ------------------------------------------------------------------------------


def test_password_reset_by_email_link(db: None) -> None:
    user = UserFactory(email="carol@example.com")
    client = Client()
    response = client.post(reverse("account_reset_password"), {"email": "carol@example.com"})
    assert response.url == reverse("account_reset_password_done")
    [message] = mail.outbox
    assert message.to == ["carol@example.com"]
    link = only_link(message, "/accounts/password/reset/key/")

    # The key moves from the URL into the session, off the address bar and Referer headers.
    step = client.get(link)
    assert step.status_code == 302
    assert "set-password" in step.url
    form_url = step.url
    assert client.get(form_url).status_code == 200
    done = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.url == reverse("account_reset_password_from_key_done")

    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert not user.check_password(PASSWORD)
    assert login(Client(), "carol@example.com", PASSWORD).status_code == 200
    assert login(Client(), "carol@example.com", NEW_PASSWORD).url == "/"
    # The link is single use.
    again = Client()
    step = again.get(link)
    page = again.get(step.url) if step.status_code == 302 else step
    assert page.context["token_fail"]


def test_password_change_needs_the_current_password(db: None) -> None:
    user = UserFactory(email="dan@example.com")
    client = Client()
    login(client, "dan@example.com", PASSWORD)
    url = reverse("account_change_password")
    response = client.post(
        url, {"oldpassword": "wrong one", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 200
    assert form_errors(response)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)

    response = client.post(
        url, {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert signed_in_user_id(client) == str(user.pk)  # this browser stays signed in
    assert login(Client(), "dan@example.com", NEW_PASSWORD).url == "/"


# --- two-factor -----------------------------------------------------------------------------


def test_the_rfc_6238_helper_matches_the_published_test_vector() -> None:
    # RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (8 digits).
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # base32 of "12345678901234567890"
    assert totp_code(secret, at=59, digits=8) == "94287082"
    assert totp_code(secret, at=1111111109, digits=8) == "07081804"


def enable_totp(client: Client, user: User) -> tuple[str, list[str]]:
    """Turn on TOTP through the pages, as a user would; return the secret and recovery codes."""
    # Changing two-factor settings asks for the password again, however recent the login.
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 302
    assert page.url.startswith(reverse("account_reauthenticate"))
    assert client.post(page.url, {"password": "not it"}).status_code == 200
    page = client.post(page.url, {"password": PASSWORD}, follow=True)
    assert page.redirect_chain[-1][0] == reverse("mfa_activate_totp")
    assert page.status_code == 200
    secret = client.session["mfa.totp.secret"]
    assert secret in page.content.decode()  # shown for manual entry beside the QR code
    response = client.post(
        reverse("mfa_activate_totp"), {"code": "000000" if totp_code(secret) != "000000" else "1"}
    )
    assert response.status_code == 200  # a wrong code activates nothing
    assert not Authenticator.objects.filter(user=user).exists()
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    recovery = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    codes = RecoveryCodes(recovery).get_unused_codes()
    assert len(codes) == 10
    return secret, codes


@pytest.fixture
def user_with_totp(db: None) -> tuple[User, str, list[str]]:
    user = UserFactory(email="eve@example.com")
    client = Client()
    assert login(client, "eve@example.com", PASSWORD).url == "/"
    secret, codes = enable_totp(client, user)
    return user, secret, codes


def test_with_totp_on_login_needs_the_code(user_with_totp) -> None:
    user, secret, _codes = user_with_totp
    # A later 30-second step, so the code is not the one just used to activate.
    with time_machine.travel(timezone.now() + timedelta(seconds=60)):
        client = Client()
        response = login(client, user.email, PASSWORD)
        assert response.url == reverse("mfa_authenticate")
        assert signed_in_user_id(client) is None
        assert client.get(reverse("tenant_create")).status_code == 302

        wrong = str((int(totp_code(secret)) + 1) % 10**6).zfill(6)
        response = client.post(reverse("mfa_authenticate"), {"code": wrong})
        assert response.status_code == 200
        assert signed_in_user_id(client) is None

        response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
        assert response.status_code == 302
        assert signed_in_user_id(client) == str(user.pk)

        # The same code cannot be replayed in another browser within its window.
        replay = Client()
        login(replay, user.email, PASSWORD)
        replay.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
        assert signed_in_user_id(replay) is None


def test_a_recovery_code_works_once(user_with_totp) -> None:
    user, _secret, codes = user_with_totp
    client = Client()
    login(client, user.email, PASSWORD)
    response = client.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(user.pk)

    again = Client()
    login(again, user.email, PASSWORD)
    response = again.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert response.status_code == 200
    assert signed_in_user_id(again) is None
    response = again.post(reverse("mfa_authenticate"), {"code": codes[1]})
    assert signed_in_user_id(again) == str(user.pk)
    recovery = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    assert len(RecoveryCodes(recovery).get_unused_codes()) == 8


# --- rate limits ----------------------------------------------------------------------------


def test_repeated_login_failures_are_slowed(db: None) -> None:
    # The whole policy (per account and address, growing delays, the API and two-factor step
    # counted together) is in test_signin_guard.py; this is the basic promise on the page.
    UserFactory(email="frank@example.com")
    UserFactory(email="grace@example.com")
    client = Client()
    for _ in range(5):
        response = login(client, "frank@example.com", "guess")
        assert "The email address and/or password you specified are not correct." in form_errors(response)
    # The sixth try waits, even with the right password.
    response = login(client, "frank@example.com", PASSWORD)
    assert response.status_code == 200
    [error] = form_errors(response)
    assert error.startswith("Too many failed sign-in attempts from here. Try again in ")
    assert signed_in_user_id(client) is None
    # Someone else still gets in.
    assert login(Client(), "grace@example.com", PASSWORD).url == "/"
    # It wears off.
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        assert login(Client(), "frank@example.com", PASSWORD).url == "/"


# --- sessions -------------------------------------------------------------------------------


@pytest.mark.redis
def test_sessions_live_in_redis_when_redis_url_is_set(db: None) -> None:
    import redis

    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cache"
    user = UserFactory(email="heidi@example.com")
    client = Client()
    login(client, "heidi@example.com", PASSWORD)
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    server = redis.Redis.from_url(settings.REDIS_URL)
    keys = server.keys(f"*django.contrib.sessions.cache{session_key}")
    assert len(keys) == 1
    assert not Session.objects.filter(session_key=session_key).exists()
    assert signed_in_user_id(client) == str(user.pk)

    client.post(reverse("account_logout"))
    assert not server.exists(keys[0])


# --- social buttons (the OIDC helper tests them configured; this is the bare default) --------


def test_no_social_buttons_without_client_ids(db: None) -> None:
    if any(settings.SOCIALACCOUNT_PROVIDERS[p]["APPS"] for p in ("google", "github")):
        pytest.fail("run the suite without GOOGLE_/GITHUB_CLIENT_ID set")
    page = Client().get(reverse("account_login")).content.decode()
    assert "/accounts/google/login/" not in page
    assert "/accounts/github/login/" not in page


# --- the demo login -------------------------------------------------------------------------


def test_seed_demo_is_idempotent_and_its_printed_login_works(db: None) -> None:
    outputs = []
    for _ in range(2):
        out = StringIO()
        call_command("seed_demo", stdout=out)
        outputs.append(out.getvalue())
    # The same login each time; only the sample-data line differs (added once, then left alone).
    logins = [[line for line in output.splitlines() if "Sample data" not in line] for output in outputs]
    assert logins[0] == logins[1]
    assert (User.objects.count(), Tenant.objects.count()) == (1, 1)
    memberships = user_membership_list(user=User.objects.get())
    assert len(memberships) == 1
    membership = memberships[0]
    assert membership.role == Role.OWNER

    email = re.search(r"email:\s+(\S+)", outputs[0])[1]
    password = re.search(r"password:\s+(\S+)", outputs[0])[1]
    client = Client()
    response = login(client, email, password)
    assert response.url == "/"
    assert client.get("/").url == reverse("dashboard", args=[membership.tenant.slug])
    assert client.get(reverse("dashboard", args=[membership.tenant.slug])).status_code == 200


def test_seed_demo_restores_a_changed_demo_password(db: None) -> None:
    call_command("seed_demo", stdout=StringIO())
    user = User.objects.get()
    user.set_password("someone changed it 1")
    user.save()
    out = StringIO()
    call_command("seed_demo", stdout=out)
    password = re.search(r"password:\s+(\S+)", out.getvalue())[1]
    assert login(Client(), user.email, password).url == "/"
