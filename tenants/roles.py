"""What each role may do. Views and services ask these, never compare role strings."""

from __future__ import annotations

from tenants.models import ROLE_RANK, Membership, Role


def rank(role: str) -> int:
    return ROLE_RANK[Role(role)]


def can_write(membership: Membership) -> bool:
    """Create and edit tenant data (clients, invoices). Viewers are read-only."""
    return rank(membership.role) >= rank(Role.MEMBER)


def can_manage_members(membership: Membership) -> bool:
    return rank(membership.role) >= rank(Role.ADMIN)


def can_manage_tenant(membership: Membership) -> bool:
    return rank(membership.role) >= rank(Role.ADMIN)


def can_assign_role(membership: Membership, role: str) -> bool:
    """Admins invite and promote up to admin; only owners create owners."""
    return can_manage_members(membership) and rank(role) <= rank(membership.role)


def can_act_on(actor: Membership, target_role: str) -> bool:
    """An admin cannot change or remove an owner; an owner can act on anyone."""
    return can_manage_members(actor) and rank(target_role) <= rank(actor.role)
