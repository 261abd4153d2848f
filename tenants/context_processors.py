from __future__ import annotations

from django.http import HttpRequest

from tenants import roles


def tenancy(request: HttpRequest) -> dict:
    """The tenant switcher's list and the current membership, for the app shell."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    membership = getattr(request, "membership", None)
    return {
        "current_tenant": getattr(request, "tenant", None),
        "current_membership": membership,
        # Lazy: only evaluated when the shell renders the switcher.
        "my_memberships": user.memberships.select_related("tenant").order_by("tenant__name"),
        "can_write": bool(membership and roles.can_write(membership)),
        "can_manage_members": bool(membership and roles.can_manage_members(membership)),
    }
