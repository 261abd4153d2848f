"""The one way a service refuses an actor: `require_role(actor, Role.X)`.

`tenants.roles` says what each role may do (the predicates pages ask to show or hide a button);
this module enforces it in services, where every write is decided. A view refuses earlier with
`core.web.require_membership(roles.can_...)`; the service checks again, because the API, tasks
and commands call it too.
"""

from __future__ import annotations

from typing import Protocol

from django.utils.functional import Promise
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from tenants import roles
from tenants.models import Membership, Role, Tenant
from tenants.scoping import current_tenant_or_none


class HasRole(Protocol):
    """A member, or an API credential acting with a role."""

    @property
    def role(self) -> str: ...


def has_role(holder: HasRole, role: Role | str) -> bool:
    """`holder`'s role is `role` or above (owner > admin > member > viewer)."""
    return roles.rank(holder.role) >= roles.rank(role)


def require_role(actor: Membership, role: Role | str, *, message: str | Promise) -> Tenant:
    """The actor's workspace, once `actor` is shown to be a member of the current workspace
    (when one is entered) whose role is `role` or above.

    Refuses with `ApplicationError(code="forbidden")` (the API's 403): `message`, translated,
    says what the role cannot do.
    """
    scope = current_tenant_or_none()
    if scope is not None and actor.tenant_id != scope.pk:
        raise ApplicationError(_("You are not a member of this workspace."), code="forbidden")
    if not has_role(actor, role):
        raise ApplicationError(str(message), code="forbidden")
    return scope if scope is not None else actor.tenant
