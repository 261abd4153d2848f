"""Reads for tenants, memberships and invitations."""

from __future__ import annotations

import base64
import logging
import mimetypes

from django.core.files.storage import storages
from django.db.models import QuerySet

from tenants.models import Invitation, Membership, Tenant, User

logger = logging.getLogger(__name__)


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
    if not tenant.logo:
        return ""
    try:
        return stored_image_data_uri(tenant.logo.name)
    except OSError:
        logger.warning("tenant logo %s is missing from storage", tenant.logo.name)
        return ""
