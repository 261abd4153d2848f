"""The request entry point of tenant scoping: URL slug → membership → tenant scope."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import cast

from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse

from tenants.models import Membership, Tenant
from tenants.requests import TenantRequest
from tenants.scoping import tenant_scope

TENANT_PATH = re.compile(r"^/t/(?P<slug>[-a-zA-Z0-9_]+)/")


class TenantMiddleware:
    """Runs every /t/<slug>/ view inside its tenant's scope, or answers 404.

    A user who is not a member gets the same 404 as for a tenant that does not exist, so
    tenant addresses cannot be probed. The whole request is one transaction (the scope's),
    rolled back if the view failed.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        match = TENANT_PATH.match(request.path_info)
        if match is None:
            return self.get_response(request)
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        tenant = Tenant.objects.filter(slug=match["slug"]).first()
        if tenant is None:
            raise Http404("No such workspace.")
        # The membership is read inside the workspace's scope, the same transaction as the view:
        # row-level security shows a workspace's memberships only there.
        with tenant_scope(tenant):
            membership = (
                Membership.objects.select_related("tenant").filter(user=request.user, tenant=tenant).first()
            )
            if membership is None:
                raise Http404("No such workspace.")
            # Here a request becomes a TenantRequest: the attributes its type promises are set.
            workspace_request = cast(TenantRequest, request)
            workspace_request.tenant = membership.tenant
            workspace_request.membership = membership
            response = self.get_response(workspace_request)
            if response.status_code >= 500:
                transaction.set_rollback(True)
        return response
