"""API tokens end before they expire (tenants/token_revocation.py, api/tokens.py): on a password
change, set or reset, a two-factor change, an API sign-out and a removal from the workspace —
refresh and access tokens alike, at once. Through the real endpoints and allauth's pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from api.tests.conftest import api_key
from tenants.models import AuthEvent, Membership, Role, User
from tenants.scoping import tenant_scope
from tenants.services import membership_remove
from tenants.tests.account_helpers import fresh_cache, only_link, totp_code  # noqa: F401  (fixture)
from tenants.tests.factories import PASSWORD, MembershipFactory, UserFactory
from tenants.tests.fixtures import client_for

pytestmark = pytest.mark.usefixtures("fresh_cache")

NEW_PASSWORD = "a brand new passphrase 77"


def sign_in(email: str, tenant: str = "acme", password: str = PASSWORD, **extra) -> dict:
    response = APIClient().post(
        "/api/v1/auth/token/",
        {"email": email, "password": password, "tenant": tenant, **extra},
        format="json",
    )
    assert response.status_code == 200, response.json()
    return response.json()


def refresh(tokens: dict):
    return APIClient().post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json")


def call(tokens: dict):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return api.get("/api/v1/clients/")


def logout(refresh_token: str):
    return APIClient().post("/api/v1/auth/logout/", {"refresh": refresh_token}, format="json")


def assert_alive(tokens: dict) -> None:
    assert refresh(tokens).status_code == 200
    assert call(tokens).status_code == 200


def assert_ended(tokens: dict, because: str = "revoked") -> None:
    refreshed, called = refresh(tokens), call(tokens)
    assert refreshed.status_code == 401, refreshed.json()
    assert refreshed.json()["error"]["code"] == "invalid_credential"
    assert because in refreshed.json()["error"]["message"]
    assert called.status_code == 401, called.json()
    assert because in called.json()["error"]["message"]


def web_client(email: str) -> Client:
    client = Client()
    assert client.post(reverse("account_login"), {"login": email, "password": PASSWORD}).url == "/"
    return client


def revocations(user: User) -> list[str]:
    return list(
        AuthEvent.objects.filter(user=user, outcome=AuthEvent.Outcome.TOKENS_REVOKED).values_list(
            "detail", flat=True
        )
    )


def test_a_password_change_on_the_web_ends_the_api_tokens(owner_membership: Membership) -> None:
    tokens = sign_in("owner@acme.test")
    assert_alive(tokens)
    page = web_client("owner@acme.test").post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert page.status_code == 302
    assert_ended(tokens)
    assert revocations(owner_membership.user) == ["password changed"]
    assert_alive(sign_in("owner@acme.test", password=NEW_PASSWORD))


def test_a_password_reset_by_email_ends_the_api_tokens(owner_membership: Membership) -> None:
    tokens = sign_in("owner@acme.test")
    client = Client()
    client.post(reverse("account_reset_password"), {"email": "owner@acme.test"})
    step = client.get(only_link(mail.outbox[0], "/accounts/password/reset/key/"))
    client.post(step.url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert_ended(tokens)
    assert revocations(owner_membership.user) == ["password reset by email"]


def test_a_password_set_anywhere_else_ends_the_api_tokens(owner_membership: Membership) -> None:
    # The admin's form, a shell, a management command: no allauth signal, the stamp still moves.
    tokens = sign_in("owner@acme.test")
    user = owner_membership.user
    user.set_password(NEW_PASSWORD)
    user.save()
    assert_ended(tokens)


def test_two_factor_turned_on_and_off_ends_the_api_tokens(owner_membership: Membership) -> None:
    user = owner_membership.user
    tokens = sign_in("owner@acme.test")
    browser = web_client("owner@acme.test")
    reauth = browser.get(reverse("mfa_activate_totp"))
    browser.post(reauth.url, {"password": PASSWORD})
    browser.get(reverse("mfa_activate_totp"))
    secret = browser.session["mfa.totp.secret"]
    assert browser.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)}).status_code == 302
    assert_ended(tokens)

    # Tokens from after the change work, until two-factor is turned off. (A later 30-second
    # step: the activation spent this one's code.)
    with time_machine.travel(timezone.now() + timedelta(seconds=30)):
        after = sign_in("owner@acme.test", otp=totp_code(secret))
        assert_alive(after)
        assert browser.post(reverse("mfa_deactivate_totp")).status_code == 302
        assert not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        assert_ended(after)
    assert sorted(revocations(user)) == [
        "two-factor Recovery codes added",
        "two-factor Recovery codes removed",
        "two-factor TOTP Authenticator added",
        "two-factor TOTP Authenticator removed",
    ]


def test_staff_removing_two_factor_in_the_admin_ends_the_api_tokens(owner_membership: Membership) -> None:
    # No allauth page, no allauth signal: the model's own delete still revokes.
    secret = generate_totp_secret()
    TOTP.activate(owner_membership.user, secret)
    tokens = sign_in("owner@acme.test", otp=totp_code(secret))
    staff = UserFactory(email="ops@invoiceflow.test", is_staff=True, is_superuser=True)
    totp = Authenticator.objects.get(user=owner_membership.user)
    admin = client_for(staff)
    url = reverse("admin:mfa_authenticator_delete", args=[totp.pk])
    assert admin.post(url, {"post": "yes"}).status_code == 302
    assert_ended(tokens)


def test_api_sign_out_ends_every_api_token_of_the_user_in_every_workspace(
    owner_membership: Membership, other_tenant
) -> None:
    MembershipFactory(user=owner_membership.user, tenant=other_tenant, role=Role.MEMBER)
    acme, globex, second_client = (
        sign_in("owner@acme.test"),
        sign_in("owner@acme.test", "globex"),
        sign_in("owner@acme.test"),
    )
    key = APIClient()
    key.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key(owner_membership.tenant)}")

    response = logout(acme["refresh"])
    assert response.status_code == 204
    for tokens in (acme, globex, second_client):
        assert_ended(tokens)
    assert revocations(owner_membership.user) == ["API sign-out"]
    # A workspace's API key is not a person's sign-in: it keeps working.
    assert key.get("/api/v1/clients/").status_code == 200

    # Signing in again works; the old refresh token can no longer sign anyone out.
    fresh = sign_in("owner@acme.test")
    assert logout(acme["refresh"]).status_code == 204
    assert_alive(fresh)
    assert revocations(owner_membership.user) == ["API sign-out"]
    garbage = logout("not-a-token")
    assert garbage.status_code == 401
    assert garbage.json()["error"]["code"] == "invalid_credential"


def test_signing_out_of_the_web_leaves_api_tokens_alone(owner_membership: Membership) -> None:
    # Like GitHub or Google: a browser's session and a script's tokens are separate credentials.
    tokens = sign_in("owner@acme.test")
    browser = web_client("owner@acme.test")
    assert browser.post(reverse("account_logout")).status_code == 302
    assert_alive(tokens)


def test_a_removed_member_loses_that_workspace_for_good_and_keeps_the_others(
    owner_membership: Membership, member_membership: Membership, other_tenant
) -> None:
    member = member_membership.user
    MembershipFactory(user=member, tenant=other_tenant, role=Role.MEMBER)
    acme, globex = sign_in("member@acme.test"), sign_in("member@acme.test", "globex")

    with tenant_scope(owner_membership.tenant):
        membership_remove(actor=owner_membership, membership=member_membership)
    assert_ended(acme, because="no longer a member")
    assert_alive(globex)
    assert revocations(member) == ["removed from workspace acme"]

    # Invited back: the old tokens stay dead (the new membership is another one)...
    MembershipFactory(user=member, tenant=owner_membership.tenant, role=Role.MEMBER)
    assert_ended(acme, because="no longer a member")
    # ...and a new sign-in works.
    assert_alive(sign_in("member@acme.test"))


def test_tokens_issued_without_the_membership_and_stamp_are_refused(owner_membership: Membership) -> None:
    # What the API issued before this change: a tenant claim only.
    legacy = RefreshToken.for_user(owner_membership.user)
    legacy["tenant"] = owner_membership.tenant.public_id
    assert_ended({"refresh": str(legacy), "access": str(legacy.access_token)}, because="sign in again")


def test_a_deactivated_account_cannot_refresh_or_call(owner_membership: Membership) -> None:
    tokens = sign_in("owner@acme.test")
    User.objects.filter(pk=owner_membership.user_id).update(is_active=False)
    assert refresh(tokens).status_code == 401
    assert call(tokens).status_code == 401
