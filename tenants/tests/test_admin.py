"""The Django admin is for platform staff: tenants, memberships and users, filterable by tenant.
Staff sign in through allauth (rate limits, two-factor), never through the admin's own form."""

from __future__ import annotations

import io
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.contrib.sites.models import Site
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tenants.models import Membership, Role, Tenant, User
from tenants.scoping import tenant_scope
from tenants.tests.account_helpers import fresh_cache, totp_code  # noqa: F401  (fixture)
from tenants.tests.factories import PASSWORD, MembershipFactory, UserFactory
from tenants.tests.fixtures import client_for

pytestmark = pytest.mark.usefixtures("fresh_cache")

ADMIN_LOGIN = reverse("admin:login")


@pytest.fixture
def staff(db: None) -> User:
    return UserFactory(email="ops@invoiceflow.test", is_staff=True, is_superuser=True)


@pytest.fixture
def staff_client(staff: User) -> Client:
    return client_for(staff)


def test_signed_out_visitors_are_sent_to_the_login(db: None) -> None:
    client = Client()
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.url.startswith(ADMIN_LOGIN)
    # The admin's login hands over to allauth's, with its rate limits and two-factor step.
    response = client.get(response.url)
    assert response.status_code == 302
    assert response.url == f"{reverse('account_login')}?next=%2Fadmin%2F"


@pytest.mark.parametrize(
    "path", ["/admin/", "/admin/tenants/tenant/", "/admin/tenants/membership/", "/admin/tenants/user/"]
)
def test_users_who_are_not_staff_do_not_reach_the_admin(owner_client: Client, owner: User, path: str) -> None:
    response = owner_client.get(path)
    assert response.status_code == 302
    assert response.url.startswith(ADMIN_LOGIN)
    assert owner_client.get(response.url).status_code == 403
    assert owner_client.post(ADMIN_LOGIN, {"username": owner.email, "password": PASSWORD}).status_code == 403


def test_the_admin_login_form_cannot_bypass_two_factor(staff: User) -> None:
    TOTP.activate(staff, generate_totp_secret())
    client = Client()
    client.post(ADMIN_LOGIN, {"username": staff.email, "password": PASSWORD, "next": "/admin/"})
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302
    # Through allauth the password alone is not enough either.
    response = client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})
    assert response.url == reverse("mfa_authenticate")
    assert client.get("/admin/").status_code == 302


def test_staff_sign_in_through_allauth_and_reach_the_admin(staff: User) -> None:
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    assert Authenticator.objects.filter(user=staff).exists()
    client = Client()
    client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})
    with time_machine.travel(timezone.now() + timedelta(seconds=1)):
        client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert client.get("/admin/").status_code == 200


def test_staff_without_permissions_see_no_model(db: None) -> None:
    client = client_for(UserFactory(is_staff=True))
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/tenants/tenant/").status_code == 403


def test_the_admin_calls_the_slug_a_slug(staff_client: Client, tenant: Tenant) -> None:
    """The model names it "address" for the people who choose it; in the admin that read as a
    postal address (issue #18)."""
    listing = staff_client.get("/admin/tenants/tenant/").content.decode()
    detail = staff_client.get(reverse("admin:tenants_tenant_change", args=[tenant.pk])).content.decode()
    assert "Slug (in its URLs" in listing or "slug (in its URLs" in listing.lower()
    label = detail[detail.index('for="id_slug"') :]
    assert label[label.index(">") + 1 :].startswith("Slug (in its URLs: /t/&lt;slug&gt;/)")


def test_staff_list_tenants(staff_client: Client, tenant: Tenant, other_tenant: Tenant) -> None:
    response = staff_client.get("/admin/tenants/tenant/")
    assert response.status_code == 200
    assert [t.name for t in response.context["cl"].result_list] == ["Acme Design", "Globex Consulting"]
    detail = staff_client.get(reverse("admin:tenants_tenant_change", args=[tenant.pk]))
    assert detail.status_code == 200
    assert tenant.public_id in detail.content.decode()


def test_staff_list_memberships_filtered_by_tenant(
    staff_client: Client,
    tenant: Tenant,
    other_tenant: Tenant,
    owner_membership: Membership,
    member_membership: Membership,
    outsider_membership: Membership,
) -> None:
    # Memberships are behind row-level security: one workspace at a time, like tenant-owned rows.
    unfiltered = staff_client.get("/admin/tenants/membership/")
    assert list(unfiltered.context["cl"].result_list) == []
    assert "Choose a workspace" in unfiltered.content.decode()
    filtered = staff_client.get(f"/admin/tenants/membership/?tenant__id__exact={tenant.pk}")
    assert filtered.status_code == 200
    assert set(filtered.context["cl"].result_list) == {owner_membership, member_membership}
    filtered = staff_client.get(f"/admin/tenants/membership/?tenant__id__exact={other_tenant.pk}")
    assert list(filtered.context["cl"].result_list) == [outsider_membership]
    assert "tenant" in [
        spec.field.name for spec in filtered.context["cl"].filter_specs if hasattr(spec, "field")
    ]


def test_staff_list_users_filtered_by_tenant(
    staff_client: Client, tenant: Tenant, other_tenant: Tenant, owner: User, outsider: User
) -> None:
    MembershipFactory(user=owner, tenant=other_tenant)
    everything = staff_client.get("/admin/tenants/user/")
    assert {u.email for u in everything.context["cl"].result_list} == {
        "ops@invoiceflow.test",
        owner.email,
        outsider.email,
    }
    in_acme = staff_client.get(f"/admin/tenants/user/?memberships__tenant__id__exact={tenant.pk}")
    assert [u.email for u in in_acme.context["cl"].result_list] == [owner.email]
    in_globex = staff_client.get(f"/admin/tenants/user/?memberships__tenant__id__exact={other_tenant.pk}")
    assert {u.email for u in in_globex.context["cl"].result_list} == {owner.email, outsider.email}
    search = staff_client.get("/admin/tenants/user/?q=outsider")
    assert [u.email for u in search.context["cl"].result_list] == [outsider.email]


def test_staff_open_a_user(staff_client: Client, owner: User) -> None:
    response = staff_client.get(reverse("admin:tenants_user_change", args=[owner.pk]))
    assert response.status_code == 200
    assert owner.email in response.content.decode()


def test_a_superuser_made_on_the_command_line_reaches_the_admin_at_once(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-admin-pass-phrase")
    call_command("createsuperuser", "--no-input", "--email", "Root@Example.org", stdout=io.StringIO())
    client = Client()
    response = client.post(
        reverse("account_login"), {"login": "root@example.org", "password": "a-long-admin-pass-phrase"}
    )
    # Straight in: no "verify your email" detour for whoever holds the server's shell.
    assert response.status_code == 302
    assert response.url == "/"
    assert client.get("/admin/").status_code == 200
    assert EmailAddress.objects.get(email="root@example.org").verified


def test_accounts_made_by_sign_up_still_verify_by_email(db: None, mailoutbox: list) -> None:
    client = Client()
    client.post(
        reverse("account_signup"),
        {
            "email": "new@example.org",
            "password1": "a-long-pass-phrase-7",
            "password2": "a-long-pass-phrase-7",
        },
    )
    assert not EmailAddress.objects.get(email="new@example.org").verified
    assert "_auth_user_id" not in client.session
    [message] = mailoutbox
    # The Sites row carries the product's name and SITE_URL's domain, not "example.com".
    assert message.subject == "[InvoiceFlow] Please Confirm Your Email Address"
    assert "example.com" not in message.body
    site = Site.objects.get_current()
    assert (site.name, site.domain) == ("InvoiceFlow", urlsplit(settings.SITE_URL).netloc)


# --- memberships behind row-level security: the workspace page, deleting people ------------------


def test_a_workspace_page_shows_and_edits_its_memberships(
    staff_client: Client, tenant: Tenant, owner_membership: Membership, member_membership: Membership
) -> None:
    url = reverse("admin:tenants_tenant_change", args=[tenant.pk])
    page = staff_client.get(url)
    formset = page.context["inline_admin_formsets"][0].formset
    assert {form.instance for form in formset.forms if form.instance.pk} == {
        owner_membership,
        member_membership,
    }

    data = {
        "name": tenant.name,
        "slug": tenant.slug,
        "country": tenant.country,
        "default_currency": tenant.default_currency,
        "locale": tenant.locale,
        "time_zone": tenant.time_zone,
        "brand_color": tenant.brand_color,
        "memberships-TOTAL_FORMS": "2",
        "memberships-INITIAL_FORMS": "2",
    }
    for index, membership in enumerate([owner_membership, member_membership]):
        role = Role.VIEWER if membership == member_membership else membership.role
        data |= {
            f"memberships-{index}-id": membership.pk,
            f"memberships-{index}-tenant": tenant.pk,
            f"memberships-{index}-user": membership.user_id,
            f"memberships-{index}-role": role,
        }
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].errors if response.context else response
    with tenant_scope(tenant):
        member_membership.refresh_from_db()
    assert member_membership.role == Role.VIEWER


def test_deleting_a_user_removes_their_memberships_in_every_workspace(
    staff_client: Client, tenant: Tenant, other_tenant: Tenant, owner: User, member: User
) -> None:
    MembershipFactory(user=member, tenant=other_tenant, role=Role.ADMIN)
    response = staff_client.post(reverse("admin:tenants_user_delete", args=[member.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=member.pk).exists()
    for workspace in (tenant, other_tenant):
        with tenant_scope(workspace):
            assert not Membership.objects.filter(user_id=member.pk).exists()
    with tenant_scope(tenant):
        assert Membership.objects.filter(user=owner).exists()  # nobody else's


def test_deleting_workspaces_takes_their_memberships_with_them(
    staff_client: Client, tenant: Tenant, other_tenant: Tenant, owner: User, outsider: User
) -> None:
    # From the workspace's page, and with the list's "delete selected" action.
    response = staff_client.post(reverse("admin:tenants_tenant_delete", args=[tenant.pk]), {"post": "yes"})
    assert response.status_code == 302
    action = {"action": "delete_selected", "_selected_action": [other_tenant.pk], "post": "yes"}
    assert staff_client.post(reverse("admin:tenants_tenant_changelist"), action).status_code == 302
    assert not Tenant.objects.filter(pk__in=[tenant.pk, other_tenant.pk]).exists()
    for workspace in (tenant, other_tenant):
        with tenant_scope(workspace):  # no membership left behind, hidden by the policy
            assert not Membership.objects.filter(tenant_id=workspace.pk).exists()
    assert User.objects.filter(pk__in=[owner.pk, outsider.pk]).count() == 2


def test_staff_remove_one_membership_from_its_workspace(
    staff_client: Client, tenant: Tenant, owner_membership: Membership, member_membership: Membership
) -> None:
    filters = urlencode({"_changelist_filters": f"tenant__id__exact={tenant.pk}"})
    url = reverse("admin:tenants_membership_delete", args=[member_membership.pk]) + "?" + filters
    assert staff_client.post(url, {"post": "yes"}).status_code == 302
    with tenant_scope(tenant):
        assert list(Membership.objects.filter(tenant=tenant)) == [owner_membership]
