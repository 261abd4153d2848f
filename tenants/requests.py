"""The request a workspace page receives, typed for what the tenant middleware sets on it."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from tenants.models import Membership, Tenant, User


class TenantRequest(HttpRequest):
    """A request under `/t/<slug>/`: `TenantMiddleware` has signed the user in, found their
    membership and set these before any view runs (anyone else got a 404 or the sign-in page).

    `htmx` is django-htmx's middleware's, set on every request (false when htmx did not send it).

    Only a type: no instance is ever made. Views and admin code annotate `request: TenantRequest`
    so that mypy knows `request.tenant`, `request.membership` and a signed-in `request.user`.
    """

    tenant: Tenant
    membership: Membership
    user: User  # narrower than HttpRequest's `User | AnonymousUser`: signed in
    htmx: HtmxDetails
