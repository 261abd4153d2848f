"""The sign-in audit (tenants/auth_models.py): every door writes its attempts and outcomes with
the time, account, address and user agent, never a secret; refusals cannot flood the table;
staff read it in the admin and cannot change it; it keeps 90 days."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tenants.models import AuthEvent, Membership, User
from tenants.tasks import purge_auth_events
from tenants.tests.account_helpers import fresh_cache, totp_code  # noqa: F401  (fixture)
from tenants.tests.factories import PASSWORD, UserFactory
from tenants.tests.fixtures import client_for

pytestmark = pytest.mark.usefixtures("fresh_cache")

Door, Outcome = AuthEvent.Door, AuthEvent.Outcome
ADDRESS = "198.51.100.7"
AGENT = "curl/8.5 (audit test)"


def web(address: str = ADDRESS) -> Client:
    return Client(REMOTE_ADDR=address, HTTP_USER_AGENT=AGENT)


def api(address: str = ADDRESS) -> APIClient:
    return APIClient(REMOTE_ADDR=address, HTTP_USER_AGENT=AGENT)


def events() -> list[tuple[str, str, str | None]]:
    rows = AuthEvent.objects.select_related("user").order_by("at", "pk")
    return [(e.door, e.outcome, e.user.email if e.user else None) for e in rows]


def test_every_door_records_its_attempts_and_outcomes(owner_membership: Membership) -> None:
    owner = owner_membership.user
    email = owner.email
    login = reverse("account_login")
    web().post(login, {"login": email, "password": "guess"})
    web().post(login, {"login": "nobody@example.com", "password": "guess"})
    web().post(login, {"login": email, "password": PASSWORD})
    token_url, refresh_url = "/api/v1/auth/token/", "/api/v1/auth/token/refresh/"
    body = {"email": email, "password": PASSWORD, "tenant": "acme"}
    api().post(token_url, {**body, "password": "guess"}, format="json")
    tokens = api().post(token_url, body, format="json").json()
    api().post(refresh_url, {"refresh": tokens["refresh"]}, format="json")
    api().post(refresh_url, {"refresh": "forged"}, format="json")
    api().post("/api/v1/auth/logout/", {"refresh": tokens["refresh"]}, format="json")
    api().post(refresh_url, {"refresh": tokens["refresh"]}, format="json")

    secret = generate_totp_secret()
    TOTP.activate(owner, secret)  # itself a revocation (two-factor added)
    browser = web()
    browser.post(login, {"login": email, "password": PASSWORD})
    browser.post(reverse("mfa_authenticate"), {"code": f"{(int(totp_code(secret)) + 1) % 10**6:06d}"})
    browser.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})

    assert events() == [
        (Door.WEB, Outcome.FAILED, email),
        (Door.WEB, Outcome.FAILED, None),
        (Door.WEB, Outcome.SUCCEEDED, email),
        (Door.API_TOKEN, Outcome.FAILED, email),
        (Door.API_TOKEN, Outcome.SUCCEEDED, email),
        (Door.API_REFRESH, Outcome.SUCCEEDED, email),
        (Door.API_REFRESH, Outcome.FAILED, None),
        (Door.API_LOGOUT, Outcome.TOKENS_REVOKED, email),
        (Door.API_REFRESH, Outcome.FAILED, email),
        (Door.ACCOUNT, Outcome.TOKENS_REVOKED, email),
        (Door.WEB, Outcome.MFA_REQUIRED, email),
        (Door.WEB_MFA, Outcome.FAILED, email),
        (Door.WEB, Outcome.SUCCEEDED, email),
    ]
    from_requests = AuthEvent.objects.exclude(door=Door.ACCOUNT)
    assert {(e.address, e.user_agent) for e in from_requests} == {(ADDRESS, AGENT)}
    assert AuthEvent.objects.get(door=Door.API_REFRESH, user=owner, outcome=Outcome.FAILED).detail.startswith(
        "This token was revoked"
    )
    # No secret anywhere in the table: not the password, the codes or the tokens.
    stored = " ".join(str(value) for row in AuthEvent.objects.values() for value in row.values())
    for secret_value in (PASSWORD, "guess", tokens["refresh"], tokens["access"], secret):
        assert secret_value not in stored


def test_refusals_are_recorded_ten_a_minute_and_logged_every_time(db: None, caplog) -> None:
    user = UserFactory(email="frank@example.com")
    for _ in range(5):
        web().post(reverse("account_login"), {"login": user.email, "password": "guess"})
    with caplog.at_level(logging.INFO, logger="invoiceflow.auth"):
        for _ in range(25):
            web().post(reverse("account_login"), {"login": user.email, "password": "guess"})
    assert AuthEvent.objects.filter(outcome=Outcome.THROTTLED).count() == 10
    throttled_lines = [r for r in caplog.records if getattr(r, "auth_outcome", None) == Outcome.THROTTLED]
    assert len(throttled_lines) == 25
    assert throttled_lines[0].user_id == user.pk
    assert throttled_lines[0].client_address == ADDRESS


def test_staff_read_the_audit_and_cannot_change_it(owner: User) -> None:
    Client(REMOTE_ADDR=ADDRESS).post(reverse("account_login"), {"login": owner.email, "password": "guess"})
    event = AuthEvent.objects.get()
    staff = client_for(UserFactory(email="ops@invoiceflow.test", is_staff=True, is_superuser=True))
    listing = staff.get(reverse("admin:tenants_authevent_changelist"))
    assert listing.status_code == 200
    assert owner.email in listing.content.decode()
    assert staff.get(reverse("admin:tenants_authevent_change", args=[event.pk])).status_code == 200
    assert staff.get(reverse("admin:tenants_authevent_add")).status_code == 403
    assert (
        staff.post(reverse("admin:tenants_authevent_delete", args=[event.pk]), {"post": "yes"}).status_code
        == 403
    )
    changed = staff.post(reverse("admin:tenants_authevent_change", args=[event.pk]), {"detail": "edited"})
    assert changed.status_code == 403
    event.refresh_from_db()
    assert event.detail == "wrong email or password"
    # Outside staff, nobody reads it.
    assert client_for(owner).get(reverse("admin:tenants_authevent_changelist")).status_code == 302


def test_the_audit_keeps_ninety_days(db: None) -> None:
    now = timezone.now()
    old = AuthEvent.objects.create(door=Door.WEB, outcome=Outcome.FAILED, at=now - timedelta(days=91))
    recent = AuthEvent.objects.create(door=Door.WEB, outcome=Outcome.FAILED, at=now - timedelta(days=89))
    # What celery beat runs each day (in-process here).
    assert settings.CELERY_BEAT_SCHEDULE["tenants-purge-auth-events"]["task"] == purge_auth_events.name
    assert purge_auth_events.delay().get() == 1
    assert list(AuthEvent.objects.all()) == [recent]
    assert not AuthEvent.objects.filter(pk=old.pk).exists()
