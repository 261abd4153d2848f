"""Test-only URLconf: the real one plus a view that looks objects up across tenants (the bug the
IDOR sweep exists to catch). Used by the sweep's canary, never mounted in the app."""

from __future__ import annotations

from django.urls import include, path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.base import AUTHENTICATION_CLASSES, TenantRolePermission
from invoices.models import Client
from tenants.models import Tenant
from tenants.scoping import tenant_scope


class LeakyClientView(APIView):
    """Authenticates properly, then forgets whose data it serves."""

    authentication_classes = AUTHENTICATION_CLASSES
    permission_classes = [TenantRolePermission]

    def required_role(self, request: Request) -> str:
        return "viewer"

    def get(self, request: Request, id: str) -> Response:
        for tenant in Tenant.objects.all():
            with tenant_scope(tenant):
                found = Client.objects.filter(public_id=id).first()
                if found:
                    return Response({"id": found.public_id, "name": found.name})
        return Response({"error": {"code": "not_found", "message": "", "fields": {}}}, status=404)


urlpatterns = [
    path("api/v1/leaky/clients/<str:id>/", LeakyClientView.as_view()),
    path("", include("invoiceflow.urls")),
]
