"""Reads for the API app."""

from __future__ import annotations

from django.db.models import QuerySet

from api.models import ApiKey
from tenants.models import Tenant


def api_key_list(*, tenant: Tenant, include_revoked: bool = True) -> QuerySet[ApiKey]:
    # ApiKey has no scoped manager (row-level security guards it): the tenant filter is explicit.
    queryset = ApiKey.objects.filter(tenant=tenant).select_related("created_by")
    if not include_revoked:
        queryset = queryset.filter(revoked_at__isnull=True)
    return queryset.order_by("-created_at", "-pk")


def api_key_get(*, tenant: Tenant, public_id: str) -> ApiKey | None:
    return ApiKey.objects.filter(tenant=tenant, public_id=public_id).first()
