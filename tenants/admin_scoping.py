"""Platform admin for tenant-owned models: staff look at one workspace at a time.

Row-level security applies to the admin too (it connects as the same app role), so every
changelist and detail page runs inside the scope of the workspace chosen in the "tenant"
filter. Django's admin carries that filter into detail links (`_changelist_filters`), so it
follows the staff member from the list to a row. With no workspace chosen the list is empty
and says how to choose one.
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import parse_qs

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from tenants.models import Tenant
from tenants.scoping import current_tenant_or_none, tenant_scope

TENANT_PARAM = "tenant__id__exact"


def _chosen_tenant(request: HttpRequest, param: str = TENANT_PARAM) -> Tenant | None:
    raw = request.GET.get(param)
    if raw is None and "_changelist_filters" in request.GET:
        raw = parse_qs(request.GET["_changelist_filters"]).get(param, [None])[0]
    if raw is None or not str(raw).isdigit():
        return None
    return Tenant.objects.filter(pk=int(raw)).first()


class TenantOwnedAdmin(admin.ModelAdmin):
    """Read-only admin for a table with a tenant, scoped to the workspace chosen in the filter.

    For TenantOwnedModel rows and for the other tables behind row-level security (memberships,
    plan subscriptions, usage reports). Finalized financial records are corrected through the
    product (void, credit note), never edited by hand in the admin, so these pages only show.
    """

    list_filter: ClassVar[tuple[str, ...]] = ("tenant",)

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        filters = list(super().get_list_filter(request))
        return filters if "tenant" in filters else ["tenant", *filters]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        tenant = current_tenant_or_none()
        manager = getattr(self.model, "unscoped_across_tenants", self.model._base_manager)
        return manager.filter(tenant=tenant) if tenant else manager.none()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def _in_chosen_tenant(self, request: HttpRequest, view: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        tenant = _chosen_tenant(request)
        if tenant is None:
            if request.method == "GET" and not args:
                messages.info(request, "Choose a workspace in the “By tenant” filter to see its rows.")
            return view(request, *args, **kwargs)
        with tenant_scope(tenant):
            response = view(request, *args, **kwargs)
            # Render inside the scope: the template reads rows lazily.
            if hasattr(response, "render"):
                response.render()
            return response

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        return self._in_chosen_tenant(request, super().changelist_view, extra_context=extra_context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        return self._in_chosen_tenant(
            request, super().change_view, object_id, form_url=form_url, extra_context=extra_context
        )

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        # Only reachable where a subclass allows deleting (memberships); in the row's workspace.
        return self._in_chosen_tenant(request, super().delete_view, object_id, extra_context=extra_context)

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        return self._in_chosen_tenant(request, super().history_view, object_id, extra_context=extra_context)


def in_tenant_of_filter(
    request: HttpRequest, param: str, view: Any, *args: Any, **kwargs: Any
) -> HttpResponse:
    """Run an admin view of platform rows (users) inside the workspace chosen by filter `param`,
    so a filter through a tenant's rows (its memberships) sees them; unfiltered, as it is."""
    tenant = _chosen_tenant(request, param)
    if tenant is None:
        return view(request, *args, **kwargs)
    with tenant_scope(tenant):
        response = view(request, *args, **kwargs)
        if hasattr(response, "render"):
            response.render()
        return response
