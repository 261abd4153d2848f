"""Reads for tenants, memberships and invitations."""

from __future__ import annotations

import base64
import logging
import mimetypes
from typing import Any

from django.core.files.storage import storages
from django.db.models import QuerySet

from tenants.models import Invitation, Membership, Tenant, User
from tenants.scoping import tenant_scope, user_scope

logger = logging.getLogger(__name__)


def membership_list(*, tenant: Tenant) -> QuerySet[Membership]:
    return Membership.objects.filter(tenant=tenant).select_related("user").order_by("user__email")


def invitation_pending_list() -> QuerySet[Invitation]:
    """Pending invitations of the current tenant (scoped manager)."""
    return Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True).select_related(
        "invited_by"
    )


def user_membership_list(*, user: User) -> list[Membership]:
    """The user's memberships in every workspace, by workspace name (their own rows only)."""
    with user_scope(user.pk):
        return list(Membership.objects.filter(user=user).select_related("tenant").order_by("tenant__name"))


def user_membership_in(*, user_id: int, tenant: Tenant | None) -> Membership | None:
    """The user's membership in `tenant` (None for no tenant), read inside the tenant's scope."""
    if tenant is None:
        return None
    with tenant_scope(tenant):
        return (
            Membership.objects.select_related("tenant", "user").filter(tenant=tenant, user_id=user_id).first()
        )


def is_member(user: Any, tenant: Tenant) -> bool:
    """Whether the request's user (anonymous included) belongs to `tenant`: a member opening a
    client's link is not the client, so their views are not recorded as the client's.
    Called inside the tenant's scope (memberships are behind row-level security)."""
    return bool(user.is_authenticated and Membership.objects.filter(user=user, tenant=tenant).exists())


def user_home_tenant(*, user: User) -> Tenant | None:
    """Where "/" takes a user: their last workspace if still a member, else their first."""
    memberships = user_membership_list(user=user)
    for membership in memberships:
        if membership.tenant_id == user.last_tenant_id:
            return membership.tenant
    return memberships[0].tenant if memberships else None


def stored_image_data_uri(name: str) -> str:
    """A stored image (default storage) as a data: URL. Raises OSError when storage cannot give it."""
    with storages["default"].open(name, "rb") as stored:
        content = stored.read()
    mime = mimetypes.guess_type(name)[0] or "image/png"
    return f"data:{mime};base64,{base64.b64encode(content).decode('ascii')}"


def tenant_logo_data_uri(*, tenant: Tenant) -> str:
    """The tenant's logo as a data: URL, for the settings page's preview ("" when there is none).

    A data: URL because the page's Content-Security-Policy allows images from this site and
    data: only, and the file may sit in a private S3 bucket.
    """
    if not tenant.logo or not tenant.logo.name:
        return ""
    try:
        return stored_image_data_uri(tenant.logo.name)
    except OSError:
        logger.warning("tenant logo %s is missing from storage", tenant.logo.name)
        return ""
