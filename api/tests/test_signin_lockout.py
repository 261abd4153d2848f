"""The API's sign-in doors share the web login's guard (tenants/auth_guard.py): failures on
either count for both, per account and address, and a refusal is a 429 with Retry-After.
Real Redis counters, through the real endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tenants.models import Membership
from tenants.tests.account_helpers import fresh_cache, totp_code  # noqa: F401  (fixture)
from tenants.tests.factories import PASSWORD

pytestmark = pytest.mark.usefixtures("fresh_cache", "clock")

ATTACKER = "203.0.113.66"
OWNER_HOME = "198.51.100.7"
OWNER = "owner@acme.test"
REFUSED = "Too many failed sign-in attempts from here."


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def token(address: str, email: str = OWNER, password: str = PASSWORD, tenant: str = "acme", **extra):
    return APIClient(REMOTE_ADDR=address).post(
        "/api/v1/auth/token/",
        {"email": email, "password": password, "tenant": tenant, **extra},
        format="json",
    )


def web_login(address: str, email: str, password: str):
    return Client(REMOTE_ADDR=address).post(reverse("account_login"), {"login": email, "password": password})


def assert_refused(response, seconds: int = 30, wait: str = "30 seconds") -> None:
    assert response.status_code == 429, response.content
    assert response["Retry-After"] == str(seconds)
    body = response.json()
    assert body["error"]["code"] == "rate_limited"
    assert body["error"]["message"] == f"{REFUSED} Try again in {wait}."
    assert "access" not in body


def test_web_failures_hold_back_the_api_from_that_address(owner_membership: Membership) -> None:
    for _ in range(5):
        assert web_login(ATTACKER, OWNER, "guess").status_code == 200
    # The finding: the API issued tokens here while the web login was locked.
    assert_refused(token(ATTACKER))
    # The owner, from another address, is not held back.
    assert token(OWNER_HOME).status_code == 200


def test_api_failures_hold_back_the_web_login_from_that_address(owner_membership: Membership) -> None:
    for _ in range(5):
        assert token(ATTACKER, password="guess").status_code == 401
    page = web_login(ATTACKER, OWNER, PASSWORD)
    assert page.status_code == 200
    assert f"{REFUSED} Try again in 30 seconds." in page.content.decode()
    assert web_login(OWNER_HOME, OWNER, PASSWORD).url == "/"


def test_guessing_on_the_api_gets_five_tries_then_growing_waits(
    owner_membership: Membership, clock: time_machine.Traveller
) -> None:
    codes = [token(ATTACKER, password=f"guess {n}").status_code for n in range(15)]
    # Not 20 a minute as before: five, then the address waits.
    assert codes == [401] * 5 + [429] * 10
    clock.shift(timedelta(seconds=30))
    assert token(ATTACKER, password="guess again").status_code == 401
    assert_refused(token(ATTACKER), seconds=60, wait="1 minute")
    clock.shift(timedelta(seconds=60))
    assert token(ATTACKER).status_code == 200


def test_two_factor_codes_on_the_api_count_with_the_passwords(owner_membership: Membership) -> None:
    secret = generate_totp_secret()
    TOTP.activate(owner_membership.user, secret)
    wrong = f"{(int(totp_code(secret)) + 1) % 10**6:06d}"
    # A right password without a code is not a failure: the client asks for the code next.
    assert token(ATTACKER).json()["error"]["code"] == "mfa_required"
    for _ in range(5):
        assert token(ATTACKER, otp=wrong).json()["error"]["code"] == "mfa_invalid"
    assert_refused(token(ATTACKER, otp=totp_code(secret)))
    assert token(OWNER_HOME, otp=totp_code(secret)).status_code == 200


def test_a_wrong_workspace_counts_like_a_wrong_password(
    owner_membership: Membership, outsider_membership: Membership
) -> None:
    # Else the absence of a wait would tell a guesser the password was right.
    for _ in range(5):
        assert token(ATTACKER, tenant="globex").json()["error"]["code"] == "invalid_credentials"
    assert_refused(token(ATTACKER))


def test_unknown_accounts_are_slowed_like_real_ones(db: None) -> None:
    for _ in range(5):
        assert token(ATTACKER, email="nobody@example.com").status_code == 401
    assert_refused(token(ATTACKER, email="nobody@example.com"))


def test_an_ipv6_subscriber_is_one_address(owner_membership: Membership) -> None:
    # A subscriber holds a whole /64: hopping within it does not escape the count.
    for n in range(5):
        assert token(f"2001:db8:0:7::{n + 1}", password="guess").status_code == 401
    assert_refused(token("2001:db8:0:7::ffff"))
    assert token("2001:db8:0:8::1").status_code == 200


def test_bad_input_is_a_400_that_counts_nothing(owner_membership: Membership) -> None:
    for _ in range(10):
        response = APIClient(REMOTE_ADDR=ATTACKER).post("/api/v1/auth/token/", {"email": "x"}, format="json")
        assert response.status_code == 400
    assert token(ATTACKER).status_code == 200


def test_refresh_failures_slow_that_address_for_refreshes_only(
    owner_membership: Membership, monkeypatch
) -> None:
    from api.views import auth

    monkeypatch.setattr(auth, "TOKEN_RATE_LIMIT", (1000, 60))
    for n in range(20):
        response = APIClient(REMOTE_ADDR=ATTACKER).post(
            "/api/v1/auth/token/refresh/", {"refresh": f"not-a-token-{n}"}, format="json"
        )
        assert response.status_code == 401
    refused = APIClient(REMOTE_ADDR=ATTACKER).post(
        "/api/v1/auth/token/refresh/", {"refresh": "another"}, format="json"
    )
    assert_refused(refused)
    # A refresh token cannot be guessed: its failures do not slow this address's sign-ins.
    assert token(ATTACKER).status_code == 200
