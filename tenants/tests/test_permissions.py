"""`tenants.permissions`: the one way a service refuses an actor, and that services use it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.errors import ApplicationError
from tenants.models import Membership, Role, Tenant
from tenants.permissions import has_role, require_role
from tenants.scoping import tenant_scope

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("role", "needed", "allowed"),
    [
        (Role.VIEWER, Role.VIEWER, True),
        (Role.VIEWER, Role.MEMBER, False),
        (Role.MEMBER, Role.MEMBER, True),
        (Role.MEMBER, Role.ADMIN, False),
        (Role.ADMIN, Role.ADMIN, True),
        (Role.ADMIN, Role.OWNER, False),
        (Role.OWNER, Role.ADMIN, True),
        (Role.OWNER, "owner", True),
    ],
)
def test_has_role_ranks_owner_admin_member_viewer(role: str, needed: str, allowed: bool) -> None:
    assert has_role(Membership(role=role), needed) is allowed


@pytest.mark.django_db
def test_require_role_returns_the_workspace_of_a_member_whose_role_is_enough(
    tenant: Tenant, admin_membership: Membership, owner_membership: Membership
) -> None:
    with tenant_scope(tenant):
        assert require_role(admin_membership, Role.ADMIN, message="no").pk == tenant.pk
        assert require_role(owner_membership, Role.MEMBER, message="no").pk == tenant.pk
    # Outside a scope (a command, a task before it enters one): the actor's own workspace.
    assert require_role(admin_membership, Role.ADMIN, message="no").pk == tenant.pk


@pytest.mark.django_db
def test_require_role_refuses_a_lower_role_with_the_callers_message_as_forbidden(
    tenant: Tenant, member_membership: Membership, viewer_membership: Membership
) -> None:
    with tenant_scope(tenant):
        with pytest.raises(ApplicationError) as refused:
            require_role(member_membership, Role.ADMIN, message="Only owners and admins do this.")
        assert (refused.value.code, refused.value.message) == ("forbidden", "Only owners and admins do this.")
        with pytest.raises(ApplicationError) as refused:
            require_role(viewer_membership, Role.MEMBER, message="Viewers only look.")
        assert refused.value.code == "forbidden"


@pytest.mark.django_db
def test_require_role_refuses_an_owner_of_another_workspace(
    tenant: Tenant, outsider_membership: Membership
) -> None:
    assert outsider_membership.role == Role.OWNER
    with tenant_scope(tenant), pytest.raises(ApplicationError) as refused:
        require_role(outsider_membership, Role.VIEWER, message="unused")
    assert refused.value.code == "forbidden"
    assert "not a member" in refused.value.message


# A refusal decided by comparing roles by hand: a predicate of tenants.roles or a rank under an `if`.
HAND_WRITTEN_CHECK = re.compile(r"if not roles\.can_\w+\(|roles\.rank\(|\.role\s*[<>]=?\s*|ROLE_RANK")
SERVICE_MODULES = [
    *REPO.glob("*/services.py"),
    *REPO.glob("*/services/*.py"),
    *REPO.glob("*/*/services.py"),
    REPO / "billing" / "connect.py",
]


def test_services_refuse_actors_through_require_role_only() -> None:
    assert len(SERVICE_MODULES) > 10
    offenders = [
        f"{path.relative_to(REPO)}:{number}"
        for path in SERVICE_MODULES
        # tenants itself owns the rules: who may give which role to whom (roles.can_assign_role).
        if ".venv" not in path.parts and path.parts[len(REPO.parts)] != "tenants"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if HAND_WRITTEN_CHECK.search(line)
    ]
    assert offenders == [], "use tenants.permissions.require_role / has_role"
