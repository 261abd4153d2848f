"""Settings → API keys (issue #18): owners and admins create a key with a name and a role, see
it once, see when each key was last used, and revoke it. Members and viewers get 403, another
workspace's people 404."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from api.models import ApiKey
from api.services import api_key_create
from tenants.models import Membership, Role, Tenant
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


def _url(tenant: Tenant) -> str:
    return reverse("api_key_settings", kwargs={"tenant_slug": tenant.slug})


def _keys(tenant: Tenant) -> list[ApiKey]:
    with tenant_scope(tenant):
        return list(ApiKey.objects.filter(tenant=tenant))


def test_owner_creates_a_key_sees_its_secret_once_and_it_works(owner_client: Client, tenant: Tenant) -> None:
    response = owner_client.post(_url(tenant), {"name": "Accounting sync", "role": Role.VIEWER}, follow=True)
    page = response.content.decode()
    secret = re.search(r'data-testid="new-key-secret">(ifk_[^<]+)</code>', page).group(1)
    (key,) = _keys(tenant)
    assert (key.name, key.role) == ("Accounting sync", Role.VIEWER)
    assert secret not in str(key.__dict__)  # the database keeps its hash only
    assert "Never" in page  # not used yet

    # Shown once: the next visit does not show it again.
    assert secret not in owner_client.get(_url(tenant)).content.decode()

    # The key works against the API, and the page then says when it was last used.
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/v1/invoices/").status_code == 200
    page = owner_client.get(_url(tenant)).content.decode()
    last_used = re.search(r'data-testid="last-used"><time datetime="[^"]+">', page)
    assert last_used is not None


def test_a_revoked_key_is_refused_and_marked(owner_client: Client, tenant: Tenant, owner_membership) -> None:
    with tenant_scope(tenant):
        made = api_key_create(actor=owner_membership, name="Old script")
    revoke = reverse(
        "api_key_revoke", kwargs={"tenant_slug": tenant.slug, "public_id": made.api_key.public_id}
    )
    response = owner_client.post(revoke, follow=True)
    assert "Revoked on" in response.content.decode()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {made.secret}")
    assert api.get("/api/v1/invoices/").status_code == 401


def test_an_empty_name_is_a_form_error(owner_client: Client, tenant: Tenant) -> None:
    response = owner_client.post(_url(tenant), {"name": "  ", "role": Role.MEMBER})
    assert response.status_code == 200
    assert 'class="error" role="alert"' in response.content.decode()
    assert _keys(tenant) == []


def test_an_admin_is_not_offered_nor_given_an_owner_key(admin_membership: Membership, tenant: Tenant) -> None:
    client = Client()
    client.force_login(admin_membership.user)
    page = client.get(_url(tenant)).content.decode()
    assert 'value="admin"' in page
    assert 'value="owner"' not in page
    response = client.post(_url(tenant), {"name": "Too strong", "role": Role.OWNER})
    assert response.status_code == 200
    assert _keys(tenant) == []


@pytest.mark.parametrize("who", ["member_client", "viewer_client"])
def test_members_and_viewers_get_403(request: pytest.FixtureRequest, tenant: Tenant, who: str) -> None:
    client = request.getfixturevalue(who)
    assert client.get(_url(tenant)).status_code == 403
    assert client.post(_url(tenant), {"name": "Mine", "role": Role.VIEWER}).status_code == 403
    assert _keys(tenant) == []


def test_it_validates_ownership(
    outsider_client: Client,
    outsider_membership: Membership,
    owner_client: Client,
    tenant: Tenant,
    owner_membership,
) -> None:
    """Another workspace's people see a 404 here, and cannot revoke this workspace's key even
    through their own workspace's address."""
    with tenant_scope(tenant):
        made = api_key_create(actor=owner_membership, name="Ours")
    assert outsider_client.get(_url(tenant)).status_code == 404
    theirs = reverse(
        "api_key_revoke",
        kwargs={"tenant_slug": outsider_membership.tenant.slug, "public_id": made.api_key.public_id},
    )
    assert outsider_client.post(theirs).status_code == 404
    (key,) = _keys(tenant)
    assert key.revoked_at is None


def test_the_settings_navigation_leads_to_api_keys_and_email_settings(
    owner_client: Client, tenant: Tenant
) -> None:
    page = owner_client.get(reverse("tenant_settings", kwargs={"tenant_slug": tenant.slug})).content.decode()
    nav = page[page.index('data-testid="settings-nav"') :]
    nav = nav[: nav.index("</nav>")]
    assert _url(tenant) in nav
    assert reverse("sending_settings", kwargs={"tenant_slug": tenant.slug}) in nav


def test_in_french_the_page_and_the_settings_navigation_have_no_english_label(
    owner_client: Client, tenant: Tenant, owner_membership: Membership
) -> None:
    with tenant_scope(tenant):
        api_key_create(actor=owner_membership, name="Accounting sync", role=Role.MEMBER)
    page = owner_client.get(_url(tenant), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    nav = re.search(r'<nav class="subnav".*?</nav>', page, re.S)
    assert nav is not None
    for french in ("Paramètres", "E-mails et relances", "Clés d'API", "Abonnement et facturation"):
        assert french in nav.group(0), french
    for english in ("Email and reminders", "API keys", "Plan and billing", "Bank accounts", "Getting paid"):
        assert f">{english}<" not in nav.group(0), english
    main = page.split("<main", 1)[1]
    for french in ("Clés", "Dernière utilisation", "Créer une clé", "Révoquer"):
        assert french in main, french
    for english in ("Last used", "Create a key", "Create key", ">Revoke<", "Keys let your own systems"):
        assert english not in main, english
