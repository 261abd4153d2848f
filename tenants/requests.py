"""The request a workspace page receives, typed for what the tenant middleware sets on it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

from tenants.models import Membership, Tenant, User

if TYPE_CHECKING:
    from csp.middleware import CheckableLazyObject
    from django_htmx.middleware import HtmxDetails


class TenantRequest(HttpRequest):
    """A request under `/t/<slug>/`: `TenantMiddleware` has signed the user in, found their
    membership and set these before any view runs (anyone else got a 404 or the sign-in page).

    Only a type: no instance is ever made. Views and admin code annotate `request: TenantRequest`
    so that mypy knows `request.tenant`, `request.membership` and a signed-in `request.user`.
    """

    tenant: Tenant
    membership: Membership
    user: User  # narrower than HttpRequest's `User | AnonymousUser`: signed in
    # Set on every request by the middleware that runs before the tenant's.
    csp_nonce: CheckableLazyObject  # CSPMiddleware: str() of it is this response's nonce
    htmx: HtmxDetails  # HtmxMiddleware
