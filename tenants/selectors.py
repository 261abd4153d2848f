"""Reads for tenants, memberships and invitations."""

from __future__ import annotations

from django.db.models import QuerySet

from tenants.models import Invitation, Membership, Tenant, User


def membership_list(*, tenant: Tenant) -> QuerySet[Membership]:
    return Membership.objects.filter(tenant=tenant).select_related("user").order_by("user__email")


def invitation_pending_list() -> QuerySet[Invitation]:
    """Pending invitations of the current tenant (scoped manager)."""
    return Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True).select_related(
        "invited_by"
    )


def user_home_tenant(*, user: User) -> Tenant | None:
    """Where "/" takes a user: their last workspace if still a member, else their first."""
    memberships = Membership.objects.filter(user=user).select_related("tenant")
    if user.last_tenant_id:
        last = memberships.filter(tenant_id=user.last_tenant_id).first()
        if last:
            return last.tenant
    first = memberships.order_by("tenant__name").first()
    return first.tenant if first else None
