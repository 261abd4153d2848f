from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse

from tenants.models import Tenant
from tenants.tests.factories import UserFactory
from tenants.tests.test_scoping import make_invitation


@pytest.fixture
def staff_client(db: None) -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_tenant_owned_rows_are_listed_one_workspace_at_a_time(
    staff_client: Client, tenant: Tenant, other_tenant: Tenant
) -> None:
    make_invitation(tenant, "acme-invitee@example.com")
    make_invitation(other_tenant, "globex-invitee@example.com")
    url = reverse("admin:tenants_invitation_changelist")

    unfiltered = staff_client.get(url).content.decode()
    assert "Choose a workspace" in unfiltered
    assert "invitee@example.com" not in unfiltered

    acme = staff_client.get(url, {"tenant__id__exact": tenant.pk}).content.decode()
    assert "acme-invitee@example.com" in acme
    assert "globex-invitee@example.com" not in acme


def test_a_row_opens_only_within_its_own_workspace(
    staff_client: Client, tenant: Tenant, other_tenant: Tenant
) -> None:
    mine = make_invitation(tenant, "acme-invitee@example.com")
    theirs = make_invitation(other_tenant, "globex-invitee@example.com")
    filters = urlencode({"_changelist_filters": f"tenant__id__exact={tenant.pk}"})

    ok = staff_client.get(reverse("admin:tenants_invitation_change", args=[mine.pk]) + "?" + filters)
    assert ok.status_code == 200
    assert "acme-invitee@example.com" in ok.content.decode()

    # Another workspace's row under this workspace's filter does not exist for the admin.
    other = staff_client.get(reverse("admin:tenants_invitation_change", args=[theirs.pk]) + "?" + filters)
    assert other.status_code == 302
    assert "globex-invitee@example.com" not in staff_client.get(other.url).content.decode()


def test_non_staff_cannot_reach_the_admin(owner_client: Client) -> None:
    response = owner_client.get(reverse("admin:tenants_invitation_changelist"))
    assert response.status_code == 302
    assert reverse("admin:login") in response.url
