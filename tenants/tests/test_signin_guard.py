"""The sign-in guard on the web doors (tenants/auth_guard.py): the login form, its two-factor
step and re-authentication. Failures slow the address they come from, with growing delays;
nobody can lock the owner out from elsewhere. Real Redis counters, real allauth pages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tenants.models import User
from tenants.tests.account_helpers import fresh_cache, only_link, totp_code  # noqa: F401  (fixture)
from tenants.tests.factories import PASSWORD, UserFactory

# The clock stands still unless a test moves it: the waits the pages name are exact.
pytestmark = pytest.mark.usefixtures("fresh_cache", "clock")

ATTACKER = "203.0.113.66"
OWNER_HOME = "198.51.100.7"
REFUSED = "Too many failed sign-in attempts from here."
WRONG_PASSWORD = "The email address and/or password you specified are not correct."


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def browser(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def login(client: Client, email: str, password: str):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def errors(response) -> list[str]:
    form = response.context["form"]
    return [str(e) for field_errors in form.errors.values() for e in field_errors]


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def wrong_code(secret: str) -> str:
    return f"{(int(totp_code(secret)) + 1) % 10**6:06d}"


def test_failures_from_one_address_bring_growing_delays_then_the_owner_gets_in(
    db: None, clock: time_machine.Traveller
) -> None:
    user = UserFactory(email="frank@example.com")
    here = browser(ATTACKER)
    for _ in range(5):
        assert errors(login(here, user.email, "guess")) == [WRONG_PASSWORD]
    # The sixth try waits, even with the right password, and the page says how long.
    refused = login(here, user.email, PASSWORD)
    assert errors(refused) == [f"{REFUSED} Try again in 30 seconds."]
    assert f"{REFUSED} Try again in 30 seconds." in refused.content.decode()
    assert not signed_in(here)
    clock.shift(timedelta(seconds=30))
    assert errors(login(here, user.email, "guess again")) == [WRONG_PASSWORD]
    # Each failure past the free ones doubles the wait.
    assert errors(login(here, user.email, PASSWORD)) == [f"{REFUSED} Try again in 1 minute."]
    clock.shift(timedelta(seconds=59))
    assert errors(login(here, user.email, PASSWORD)) == [f"{REFUSED} Try again in 1 second."]
    clock.shift(timedelta(seconds=1))
    assert login(here, user.email, PASSWORD).url == "/"
    assert signed_in(here)
    # Signing in forgets this address's failures on the account: five free tries again.
    for _ in range(5):
        assert errors(login(browser(ATTACKER), user.email, "typo")) == [WRONG_PASSWORD]
    assert errors(login(browser(ATTACKER), user.email, "typo"))[0].startswith(REFUSED)


def test_a_stranger_cannot_lock_the_owner_out(db: None) -> None:
    owner = UserFactory(email="owner@example.com")
    attacker = browser(ATTACKER)
    for _ in range(12):
        last = login(attacker, owner.email, "guess")
    assert errors(last)[0].startswith(REFUSED)
    # The owner, at home, gets in at once.
    home = browser(OWNER_HOME)
    assert login(home, owner.email, PASSWORD).url == "/"
    assert signed_in(home)
    # The owner's success does not vouch for the attacker's address: it still waits.
    assert errors(login(attacker, owner.email, PASSWORD))[0].startswith(REFUSED)


def test_an_account_guessed_from_many_addresses_tightens_each_of_them_but_not_the_owner(db: None) -> None:
    owner = UserFactory(email="target@example.com")
    addresses = [f"203.0.113.{n}" for n in range(1, 21)]
    for address in addresses:
        assert errors(login(browser(address), owner.email, "guess")) == [WRONG_PASSWORD]
    # Twenty failures in the hour: each of those addresses now waits after its single failure...
    assert errors(login(browser(addresses[0]), owner.email, "guess 2")) == [
        f"{REFUSED} Try again in 30 seconds."
    ]
    # ...while an address that has not failed is not slowed at all.
    home = browser(OWNER_HOME)
    assert login(home, owner.email, PASSWORD).url == "/"
    assert signed_in(home)


def test_one_address_trying_many_accounts_is_slowed_for_every_account(
    db: None, clock: time_machine.Traveller
) -> None:
    frank = UserFactory(email="frank@example.com")
    here = browser(ATTACKER)
    # 30 different addresses (allauth allows 30 login posts a minute per address: two minutes).
    for n in range(30):
        if n == 15:
            clock.shift(timedelta(seconds=61))
        assert errors(login(here, f"nobody{n}@example.com", "guess")) == [WRONG_PASSWORD]
    # An account this address never tried, with its right password: the address waits.
    assert errors(login(here, frank.email, PASSWORD)) == [f"{REFUSED} Try again in 30 seconds."]
    assert login(browser(OWNER_HOME), frank.email, PASSWORD).url == "/"


def test_unknown_accounts_are_slowed_like_real_ones(db: None) -> None:
    # Otherwise the absence of a delay would say which addresses have no account.
    here = browser(ATTACKER)
    for _ in range(5):
        login(here, "nobody@example.com", "guess")
    assert errors(login(here, "nobody@example.com", "guess"))[0].startswith(REFUSED)


@pytest.fixture
def totp_user(db: None) -> tuple[User, str]:
    user = UserFactory(email="eve@example.com")
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return user, secret


def test_two_factor_codes_count_with_the_passwords(totp_user: tuple[User, str]) -> None:
    user, secret = totp_user
    here = browser(ATTACKER)
    assert login(here, user.email, PASSWORD).url == reverse("mfa_authenticate")
    for _ in range(5):
        response = here.post(reverse("mfa_authenticate"), {"code": wrong_code(secret)})
        assert response.status_code == 200
        assert REFUSED not in response.content.decode()
    refused = here.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert f"{REFUSED} Try again in 30 seconds." in refused.content.decode()
    assert not signed_in(here)
    # Starting over from the password does not help: the same count.
    assert errors(login(browser(ATTACKER), user.email, PASSWORD))[0].startswith(REFUSED)
    # The owner elsewhere: password, then the code (not spent by the refused attempt).
    home = browser(OWNER_HOME)
    assert login(home, user.email, PASSWORD).url == reverse("mfa_authenticate")
    assert home.post(reverse("mfa_authenticate"), {"code": totp_code(secret)}).status_code == 302
    assert signed_in(home)


def test_re_authentication_counts_too(db: None) -> None:
    user = UserFactory(email="dan@example.com")
    here = browser(ATTACKER)
    assert login(here, user.email, PASSWORD).url == "/"
    url = reverse("account_reauthenticate")
    for _ in range(5):
        assert here.post(url, {"password": "guess"}).status_code == 200
    refused = here.post(url, {"password": PASSWORD})
    assert f"{REFUSED} Try again in 30 seconds." in refused.content.decode()


def test_a_password_reset_forgives_the_failures_from_that_address(db: None) -> None:
    user = UserFactory(email="carol@example.com")
    here = browser(OWNER_HOME)
    for _ in range(6):
        login(here, user.email, "forgot it")
    here.post(reverse("account_reset_password"), {"email": user.email})
    step = here.get(only_link(mail.outbox[0], "/accounts/password/reset/key/"))
    new_password = "a brand new passphrase 77"
    here.post(step.url, {"password1": new_password, "password2": new_password})
    assert login(here, user.email, new_password).url == "/"
