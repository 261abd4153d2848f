from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from tenants import roles
from tenants.selectors import user_membership_list


def tenancy(request: HttpRequest) -> dict:
    """The tenant switcher's list and the current membership, for the app shell."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    membership = getattr(request, "membership", None)
    return {
        "current_tenant": getattr(request, "tenant", None),
        "current_membership": membership,
        # Lazy: only read when the shell renders the switcher (through user_scope: the page may
        # be inside one workspace's scope, where the others' memberships are out of sight).
        "my_memberships": SimpleLazyObject(lambda: user_membership_list(user=user)),
        "can_write": bool(membership and roles.can_write(membership)),
        "can_manage_members": bool(membership and roles.can_manage_members(membership)),
    }
