"""Credentials: JWT issue (with MFA), expiry and refresh; API keys; sessions with CSRF."""

from __future__ import annotations

import time

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.middleware.csrf import _get_new_csrf_string
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import ApiKey
from api.services import hash_secret
from api.tests.conftest import api_key, jwt_client
from tenants.models import Membership, Role
from tenants.scoping import tenant_scope
from tenants.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _token(email: str, tenant: str, **extra) -> object:
    return APIClient().post(
        "/api/v1/auth/token/",
        {"email": email, "password": PASSWORD, "tenant": tenant, **extra},
        format="json",
    )


def test_token_pair_for_a_member_and_its_tenant(owner_membership, data):
    response = _token("owner@acme.test", "acme")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["tenant"] == owner_membership.tenant.public_id
    assert body["access_expires_in"] == 300
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert api.get("/api/v1/clients/").json()["results"][0]["id"] == data.client.public_id


def test_token_refused_for_wrong_password_or_foreign_tenant(owner_membership, outsider_membership):
    wrong = APIClient().post(
        "/api/v1/auth/token/",
        {"email": "owner@acme.test", "password": "nope", "tenant": "acme"},
        format="json",
    )
    foreign = _token("owner@acme.test", "globex")
    for response in (wrong, foreign):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_credentials"
    assert wrong.json() == foreign.json()


def test_mfa_user_needs_a_valid_totp_code(owner_membership):
    secret = generate_totp_secret()
    TOTP.activate(owner_membership.user, secret)
    missing = _token("owner@acme.test", "acme")
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "mfa_required"
    assert "access" not in missing.json()
    wrong = _token("owner@acme.test", "acme", otp="000000")
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "mfa_invalid"
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    ok = _token("owner@acme.test", "acme", otp=code)
    assert ok.status_code == 200, ok.json()
    replay = _token("owner@acme.test", "acme", otp=code)
    assert replay.status_code == 401  # a TOTP code works once
    assert Authenticator.objects.get(user=owner_membership.user).last_used_at is not None


def test_access_token_expires_and_refresh_gives_a_new_one(owner_membership):
    tokens = _token("owner@acme.test", "acme").json()
    api = APIClient()
    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=6)):
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
        expired = api.get("/api/v1/clients/")
        assert expired.status_code == 401
        assert expired.json()["error"]["code"] == "invalid_credential"
        assert expired["WWW-Authenticate"].startswith("Bearer")
        refreshed = APIClient().post(
            "/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json"
        )
        assert refreshed.status_code == 200
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {refreshed.json()['access']}")
        assert api.get("/api/v1/clients/").status_code == 200
    with time_machine.travel(timezone.now() + timezone.timedelta(hours=25)):
        late = APIClient().post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json")
        assert late.status_code == 401


def test_removed_member_loses_access_at_once(owner_membership, member_membership):
    api = jwt_client(member_membership)
    assert api.get("/api/v1/clients/").status_code == 200
    with tenant_scope(member_membership.tenant):
        Membership.objects.filter(pk=member_membership.pk).delete()
    response = api.get("/api/v1/clients/")
    assert response.status_code == 401


def test_demoted_member_cannot_write_with_an_old_token(member_membership, data):
    api = jwt_client(member_membership)
    with tenant_scope(member_membership.tenant):
        Membership.objects.filter(pk=member_membership.pk).update(role=Role.VIEWER)
    response = api.post("/api/v1/clients/", {"name": "X", "emails": ["x@x.example"]}, format="json")
    assert response.status_code == 403


def test_api_key_lifecycle(owner_api, tenant, data):
    created = owner_api.post("/api/v1/api-keys/", {"name": "Zapier", "role": "viewer"}, format="json")
    assert created.status_code == 201, created.json()
    secret = created.json()["secret"]
    key_id = created.json()["id"]
    assert secret.startswith(created.json()["prefix"])
    with tenant_scope(tenant):
        stored = ApiKey.objects.get(public_id=key_id)
        assert stored.secret_hash == hash_secret(secret)
        assert secret not in str(ApiKey.objects.filter(pk=stored.pk).values().first())

    listed = owner_api.get("/api/v1/api-keys/").json()
    assert "secret" not in listed[0]
    assert listed[0]["last_used_at"] is None

    key_api = APIClient()
    key_api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert key_api.get("/api/v1/invoices/").status_code == 200
    assert owner_api.get(f"/api/v1/api-keys/{key_id}/").json()["last_used_at"] is not None
    # A key cannot manage keys, whatever its role.
    assert key_api.get("/api/v1/api-keys/").status_code == 403

    assert owner_api.post(f"/api/v1/api-keys/{key_id}/revoke/").json()["revoked"] is True
    revoked = key_api.get("/api/v1/invoices/")
    assert revoked.status_code == 401
    assert revoked.json()["error"]["code"] == "invalid_credential"


def test_wrong_or_malformed_keys_are_401(tenant, owner_membership):
    secret = api_key(tenant)
    for bad in (secret[:-2] + "xx", "ifk_nope_nope", "ifk_", secret + "x"):
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {bad}")
        assert api.get("/api/v1/clients/").status_code == 401
    header = APIClient()
    header.credentials(HTTP_X_API_KEY=secret)
    assert header.get("/api/v1/clients/").status_code == 200


def test_only_admins_manage_keys_and_never_above_their_role(member_api, admin_membership, owner_membership):
    assert member_api.get("/api/v1/api-keys/").status_code == 403
    admin_api = jwt_client(admin_membership)
    escalate = admin_api.post("/api/v1/api-keys/", {"name": "x", "role": "owner"}, format="json")
    assert escalate.status_code == 400
    assert escalate.json()["error"]["fields"] == {"role": ["A key cannot have more rights than you."]}


def test_outsider_cannot_list_or_revoke_our_keys(owner_api, outsider_api, tenant):
    key_id = owner_api.post("/api/v1/api-keys/", {"name": "CI"}, format="json").json()["id"]
    assert outsider_api.get("/api/v1/api-keys/").json() == []
    assert outsider_api.post(f"/api/v1/api-keys/{key_id}/revoke/").status_code == 404
    with tenant_scope(tenant):
        assert ApiKey.objects.get(public_id=key_id).revoked_at is None


def test_session_calls_need_csrf_and_a_tenant_header(owner, data, outsider_membership):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(owner)
    assert browser.get("/api/v1/clients/").status_code == 401  # no X-Tenant
    assert browser.get("/api/v1/clients/", HTTP_X_TENANT="globex").status_code == 401
    assert browser.get("/api/v1/clients/", HTTP_X_TENANT="acme").status_code == 200
    payload = {"name": "From the page", "emails": ["p@p.example"]}
    no_csrf = browser.post("/api/v1/clients/", payload, format="json", HTTP_X_TENANT="acme")
    assert no_csrf.status_code == 403
    assert "CSRF" in no_csrf.json()["error"]["message"]
    token = _get_new_csrf_string()  # what the page's csrftoken cookie would hold
    browser.cookies["csrftoken"] = token
    ok = browser.post(
        "/api/v1/clients/", payload, format="json", HTTP_X_TENANT="acme", HTTP_X_CSRFTOKEN=token
    )
    assert ok.status_code == 201, ok.json()
