"""The tenant's API keys: create (the secret is in that one answer), list, read, revoke.

Owners and admins, signed in as themselves (JWT or session): a key cannot manage keys."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api import credential_serializers as s
from api.base import TenantScopedViewSet
from api.errors import ApiError
from api.models import ApiKey
from api.selectors import api_key_list
from api.services import api_key_create, api_key_revoke
from api.views._common import created
from tenants.models import Role
from tenants.scoping import current_tenant


@extend_schema(tags=["api keys"])
class ApiKeyViewSet(TenantScopedViewSet):
    model = ApiKey
    serializer_class = s.ApiKeySerializer
    read_role = Role.ADMIN
    write_role = Role.ADMIN
    http_method_names = ["get", "post", "head", "options"]

    def scoped_queryset(self) -> QuerySet:
        return api_key_list(tenant=current_tenant())

    def initial(self, request: Request, *args: object, **kwargs: object) -> None:
        super().initial(request, *args, **kwargs)
        if not getattr(request.auth, "is_user", False):
            raise ApiError(
                "API keys are managed by people (a JWT or the web session), not by another key.",
                status_code=403,
                code="permission_denied",
            )

    @extend_schema(responses=s.ApiKeySerializer(many=True))
    def list(self, request: Request) -> Response:
        return Response(self.get_serializer(self.get_queryset(), many=True).data)

    def retrieve(self, request: Request, id: str) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(request=s.ApiKeyWriteSerializer, responses={201: s.ApiKeyCreatedSerializer})
    def create(self, request: Request) -> Response:
        body = s.ApiKeyWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        made = api_key_create(actor=self.actor, **body.validated_data)
        data = s.ApiKeyCreatedSerializer(made.api_key, context={"secret": made.secret}).data
        return created(data, url_name="api:api-key-detail", public_id=made.api_key.public_id)

    @extend_schema(request=None, responses=s.ApiKeySerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, id: str) -> Response:
        api_key = api_key_revoke(actor=self.actor, api_key=self.get_object())
        return Response(self.get_serializer(api_key).data)
