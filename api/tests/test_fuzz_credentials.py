"""Hypothesis against what the schema cannot describe: the API's credentials and headers.

test_schemathesis.py fuzzes every operation's documented parameters and bodies (negative data
included) with a valid token. Here the credential itself is hostile: any `Authorization` and
`X-Api-Key`, access tokens signed with our own key around hostile claims, any `X-Tenant` on a
session call, any `Idempotency-Key` on a write. None of it may get a 5xx; a bad credential is
a 401 (or 403) and a bad key a 400. Derandomized, fixed examples, no example database.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from api.tests.conftest import api_key
from api.tokens import TENANT_CLAIM
from tenants.models import Membership, Tenant

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=30,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# What an HTTP header can carry (latin-1, no control characters: servers refuse the rest).
header_texts = st.one_of(
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=80),
    st.sampled_from(["", " ", "ifk_", "ifk_" + "x" * 2000, "Bearer", "Bearer  ", "eyJ.eyJ.x", "' OR 1=1 --"]),
)
authorizations = st.one_of(
    header_texts,
    header_texts.map(lambda value: f"Bearer {value}"),
    header_texts.map(lambda value: f"Bearer ifk_{value}"),
    header_texts.map(lambda value: f"Basic {value}"),
)
claims = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


@FUZZ
@given(authorization=st.none() | authorizations, x_api_key=st.none() | header_texts)
def test_hostile_credentials_are_refused(
    tenant: Tenant, authorization: str | None, x_api_key: str | None
) -> None:
    headers = {}
    if authorization is not None:
        headers["HTTP_AUTHORIZATION"] = authorization
    if x_api_key is not None:
        headers["HTTP_X_API_KEY"] = x_api_key
    response = APIClient().get("/api/v1/clients/", **headers)
    assert response.status_code in (401, 403), (response.status_code, headers)


@FUZZ
@given(user_id=claims, tenant_id=claims, drop=st.sampled_from([None, "user_id", TENANT_CLAIM]))
def test_access_tokens_signed_around_hostile_claims_are_refused(
    owner_membership: Membership, user_id: Any, tenant_id: Any, drop: str | None
) -> None:
    token = AccessToken()
    token["user_id"] = user_id
    token[TENANT_CLAIM] = tenant_id
    if drop:
        del token[drop]
    response = APIClient().get("/api/v1/clients/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code in (401, 403), (response.status_code, user_id, tenant_id)


@pytest.mark.parametrize("user_id", ["", "abc", "9" * 5000, float("inf"), [1], {"id": 1}])
def test_access_token_whose_user_claim_is_no_id_is_a_401(owner_membership: Membership, user_id: Any) -> None:
    """These made simplejwt's user lookup raise (ValueError, OverflowError, TypeError): a 500."""
    token = AccessToken()
    token["user_id"] = user_id
    token[TENANT_CLAIM] = owner_membership.tenant.public_id
    response = APIClient().get("/api/v1/clients/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401


@pytest.mark.parametrize("user_id", ["", "abc", [1], None])
def test_refresh_token_whose_user_claim_is_no_id_is_a_401(owner_membership: Membership, user_id: Any) -> None:
    """The refresh view filtered memberships by the claim as it stood: a 500 for all but None."""
    token = RefreshToken()
    token["user_id"] = user_id
    token[TENANT_CLAIM] = owner_membership.tenant.public_id
    response = APIClient().post("/api/v1/auth/token/refresh/", {"refresh": str(token)}, format="json")
    assert response.status_code == 401


addresses = itertools.cycle(range(1, 255))


@FUZZ
@given(user_id=claims, tenant_id=claims)
def test_refresh_tokens_signed_around_hostile_claims_are_refused(
    owner_membership: Membership, user_id: Any, tenant_id: Any
) -> None:
    token = RefreshToken()
    token["user_id"] = user_id
    token[TENANT_CLAIM] = tenant_id
    # One address per example: the token views allow 20 calls a minute from one.
    client = APIClient(REMOTE_ADDR=f"10.77.0.{next(addresses)}")
    response = client.post("/api/v1/auth/token/refresh/", {"refresh": str(token)}, format="json")
    assert response.status_code == 401, (response.status_code, user_id, tenant_id)


@FUZZ
@given(slug=header_texts)
def test_session_calls_with_a_hostile_tenant_header(owner_membership: Membership, slug: str) -> None:
    client = APIClient()
    client.force_login(owner_membership.user)
    response = client.get("/api/v1/clients/", HTTP_X_TENANT=slug)
    expected = {200} if slug.strip() == owner_membership.tenant.slug else {401, 403}
    assert response.status_code in expected, (response.status_code, slug)


@FUZZ
@given(key=header_texts)
def test_writes_with_a_hostile_idempotency_key(tenant: Tenant, key: str) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key(tenant)}")
    response = client.post(
        "/api/v1/clients/", {"name": "Fuzz Ltd", "currency": "EUR"}, format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert response.status_code in (201, 400), (response.status_code, key)
