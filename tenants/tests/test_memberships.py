"""Roles: who may change whom, the last owner, leaving, and the race between two owners."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from core.errors import ApplicationError
from tenants import services
from tenants.models import Membership, Role, Tenant
from tenants.scoping import tenant_scope
from tenants.tests.factories import MembershipFactory, UserFactory
from tenants.tests.fixtures import client_for


def change_role(client: Client, tenant: Tenant, target: Membership, role: str):
    return client.post(reverse("member_role", args=[tenant.slug, target.public_id]), {"role": role})


def remove(client: Client, tenant: Tenant, target: Membership):
    return client.post(reverse("member_remove", args=[tenant.slug, target.public_id]))


def role_of(membership: Membership) -> str | None:
    # Read inside the workspace's scope: outside it, row-level security shows no membership and
    # every role would read as None.
    with tenant_scope(membership.tenant):
        return Membership.objects.filter(pk=membership.pk).values_list("role", flat=True).first()


def messages_after(client: Client, response) -> list[str]:
    assert response.status_code == 302, response
    page = client.get(response.url)
    return [str(m) for m in page.context["messages"]] if page.context else []


@pytest.fixture
def admin_client(admin_membership: Membership) -> Client:
    return client_for(admin_membership.user)


@pytest.fixture
def second_owner(tenant: Tenant) -> Membership:
    return MembershipFactory(tenant=tenant, role=Role.OWNER, user=UserFactory(email="owner2@acme.test"))


# --- who may change roles ------------------------------------------------------------------


@pytest.mark.parametrize("who", ["member_client", "viewer_client"])
def test_members_and_viewers_cannot_change_roles(
    request: pytest.FixtureRequest,
    who: str,
    tenant: Tenant,
    member_membership: Membership,
    viewer_membership: Membership,
) -> None:
    client = request.getfixturevalue(who)
    for target, role in ((viewer_membership, Role.ADMIN), (member_membership, Role.OWNER)):
        before = role_of(target)
        assert change_role(client, tenant, target, role).status_code == 403
        assert role_of(target) == before


@pytest.mark.parametrize("who", ["member_client", "viewer_client"])
def test_members_and_viewers_cannot_remove_others(
    request: pytest.FixtureRequest,
    who: str,
    tenant: Tenant,
    owner_membership: Membership,
    member_membership: Membership,
    viewer_membership: Membership,
) -> None:
    client = request.getfixturevalue(who)
    target = viewer_membership if who == "member_client" else member_membership
    response = remove(client, tenant, target)
    assert "You do not have permission to remove this member." in messages_after(client, response)
    assert role_of(target) is not None


def test_an_admin_cannot_demote_or_remove_an_owner_nor_make_one(
    admin_client: Client,
    tenant: Tenant,
    owner_membership: Membership,
    second_owner: Membership,
    member_membership: Membership,
) -> None:
    response = change_role(admin_client, tenant, owner_membership, Role.MEMBER)
    assert "You do not have permission to give this role." in messages_after(admin_client, response)
    response = remove(admin_client, tenant, owner_membership)
    assert "You do not have permission to remove this member." in messages_after(admin_client, response)
    response = change_role(admin_client, tenant, member_membership, Role.OWNER)
    assert "You do not have permission to give this role." in messages_after(admin_client, response)
    assert role_of(owner_membership) == Role.OWNER
    assert role_of(member_membership) == Role.MEMBER


def test_an_admin_manages_members_below_owner(
    admin_client: Client, tenant: Tenant, member_membership: Membership, viewer_membership: Membership
) -> None:
    response = change_role(admin_client, tenant, member_membership, Role.VIEWER)
    assert "member@acme.test is now Viewer." in messages_after(admin_client, response)
    assert role_of(member_membership) == Role.VIEWER
    response = change_role(admin_client, tenant, viewer_membership, Role.ADMIN)
    assert "viewer@acme.test is now Admin." in messages_after(admin_client, response)
    assert role_of(viewer_membership) == Role.ADMIN
    response = remove(admin_client, tenant, member_membership)
    assert "member@acme.test was removed." in messages_after(admin_client, response)
    assert role_of(member_membership) is None


def test_the_members_page_offers_an_admin_only_the_roles_they_may_give(
    admin_client: Client,
    owner_client: Client,
    tenant: Tenant,
    owner_membership: Membership,
    member_membership: Membership,
) -> None:
    page = admin_client.get(reverse("members", args=[tenant.slug]))
    assert [value for value, _label in page.context["roles"]] == [Role.ADMIN, Role.MEMBER, Role.VIEWER]
    editable = {m.user.email: m.pk in page.context["editable"] for m in page.context["memberships"]}
    assert editable == {"admin@acme.test": False, "member@acme.test": True, "owner@acme.test": False}
    page = owner_client.get(reverse("members", args=[tenant.slug]))
    assert Role.OWNER in [value for value, _label in page.context["roles"]]


def test_an_owner_can_promote_demote_and_remove_anyone(
    owner_client: Client, tenant: Tenant, second_owner: Membership, admin_membership: Membership
) -> None:
    change_role(owner_client, tenant, admin_membership, Role.OWNER)
    assert role_of(admin_membership) == Role.OWNER
    change_role(owner_client, tenant, second_owner, Role.VIEWER)
    assert role_of(second_owner) == Role.VIEWER
    remove(owner_client, tenant, admin_membership)
    assert role_of(admin_membership) is None


def test_an_invalid_role_is_refused(
    owner_client: Client, tenant: Tenant, member_membership: Membership
) -> None:
    change_role(owner_client, tenant, member_membership, "superuser")
    assert role_of(member_membership) == Role.MEMBER


# --- the last owner ------------------------------------------------------------------------


def test_the_last_owner_cannot_be_demoted(
    owner_client: Client, tenant: Tenant, owner_membership: Membership
) -> None:
    response = change_role(owner_client, tenant, owner_membership, Role.ADMIN)
    assert "A workspace needs at least one owner: promote someone else first." in messages_after(
        owner_client, response
    )
    assert role_of(owner_membership) == Role.OWNER


def test_the_last_owner_cannot_leave(
    owner_client: Client, tenant: Tenant, owner_membership: Membership
) -> None:
    response = remove(owner_client, tenant, owner_membership)
    assert response.url == reverse("members", args=[tenant.slug])
    assert "The last owner cannot leave: make someone else an owner first." in messages_after(
        owner_client, response
    )
    assert role_of(owner_membership) == Role.OWNER
    assert owner_client.get(reverse("dashboard", args=[tenant.slug])).status_code == 200


def test_with_two_owners_one_may_step_down_or_leave(
    owner_client: Client, tenant: Tenant, owner_membership: Membership, second_owner: Membership
) -> None:
    change_role(owner_client, tenant, owner_membership, Role.ADMIN)
    assert role_of(owner_membership) == Role.ADMIN
    # Now second_owner is the last one.
    second = client_for(second_owner.user)
    remove(second, tenant, second_owner)
    assert role_of(second_owner) == Role.OWNER


@pytest.mark.parametrize("who", ["member_membership", "viewer_membership", "admin_membership"])
def test_anyone_else_can_leave(
    request: pytest.FixtureRequest, who: str, tenant: Tenant, owner: object
) -> None:
    membership = request.getfixturevalue(who)
    client = client_for(membership.user)
    response = remove(client, tenant, membership)
    assert response.url == reverse("home")
    assert role_of(membership) is None
    assert client.get(reverse("dashboard", args=[tenant.slug])).status_code == 404
    # With no workspace left, "/" offers to create one.
    assert client.get("/").url == reverse("tenant_create")


def test_an_owner_leaves_when_another_owner_remains(
    owner_client: Client, tenant: Tenant, owner_membership: Membership, second_owner: Membership
) -> None:
    response = remove(owner_client, tenant, owner_membership)
    assert response.url == reverse("home")
    assert role_of(owner_membership) is None
    assert role_of(second_owner) == Role.OWNER


# --- tenant boundaries ---------------------------------------------------------------------


def test_another_tenants_owner_cannot_touch_our_members(
    outsider_client: Client, other_tenant: Tenant, tenant: Tenant, member_membership: Membership
) -> None:
    for slug in (other_tenant.slug, tenant.slug):
        response = outsider_client.post(
            reverse("member_role", args=[slug, member_membership.public_id]), {"role": Role.VIEWER}
        )
        assert response.status_code == 404
        response = outsider_client.post(reverse("member_remove", args=[slug, member_membership.public_id]))
        assert response.status_code == 404
    assert role_of(member_membership) == Role.MEMBER


def test_services_refuse_a_membership_of_another_tenant(
    outsider_membership: Membership, member_membership: Membership
) -> None:
    with tenant_scope(outsider_membership.tenant):  # the actor's own workspace, as a request would
        with pytest.raises(ApplicationError, match="No such member"):
            services.membership_change_role(
                actor=outsider_membership, membership=member_membership, role=Role.VIEWER
            )
        with pytest.raises(ApplicationError, match="No such member"):
            services.membership_remove(actor=outsider_membership, membership=member_membership)
    assert role_of(member_membership) == Role.MEMBER


def test_a_stale_actor_is_rechecked_against_the_database(
    owner_membership: Membership, second_owner: Membership, member_membership: Membership
) -> None:
    """The actor object a request loaded may be out of date: the service re-reads it."""
    with tenant_scope(owner_membership.tenant):
        stale = Membership.objects.get(pk=second_owner.pk)
        services.membership_change_role(actor=owner_membership, membership=second_owner, role=Role.MEMBER)
        with pytest.raises(ApplicationError, match="permission"):
            services.membership_change_role(actor=stale, membership=member_membership, role=Role.VIEWER)
    assert role_of(member_membership) == Role.MEMBER


# --- the race ------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_owners_demoting_each_other_at_once_leave_one_owner(monkeypatch: pytest.MonkeyPatch) -> None:
    from tenants.tests.factories import TenantFactory

    tenant = TenantFactory()
    a = MembershipFactory(tenant=tenant, role=Role.OWNER)
    b = MembershipFactory(tenant=tenant, role=Role.OWNER)

    # Widen the window between "count the owners" and "write": without a lock both requests
    # would count two owners here and both demotions would go through.
    original_save = Membership.save

    def slow_save(self: Membership, *args: object, **kwargs: object) -> None:
        time.sleep(0.5)
        original_save(self, *args, **kwargs)

    monkeypatch.setattr(Membership, "save", slow_save)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def demote(name: str, actor_pk: int, target_pk: int) -> None:
        try:
            # Each thread is a request: it reads and acts inside the workspace's scope.
            with tenant_scope(tenant):
                actor = Membership.objects.select_related("tenant").get(pk=actor_pk)
                target = Membership.objects.get(pk=target_pk)
            barrier.wait(timeout=5)
            with tenant_scope(tenant):
                services.membership_change_role(actor=actor, membership=target, role=Role.ADMIN)
            outcomes[name] = "demoted"
        except ApplicationError as error:
            outcomes[name] = f"refused: {error.message}"
        except Exception as error:
            outcomes[name] = f"crashed: {error!r}"
        finally:
            connection.close()

    threads = [
        threading.Thread(target=demote, args=("a demotes b", a.pk, b.pk)),
        threading.Thread(target=demote, args=("b demotes a", b.pk, a.pk)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(o.split(":")[0] for o in outcomes.values()) == ["demoted", "refused"], outcomes
    with tenant_scope(tenant):
        assert Membership.objects.filter(tenant=tenant, role=Role.OWNER).count() == 1
