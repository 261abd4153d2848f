"""/api/v1/webhook-endpoints/ and /api/v1/webhook-deliveries/: owners and admins.

Endpoints: list, create (the signing secret is in that one answer), read, delete.
Deliveries: list (filter by endpoint and status), read, replay (POST …/replay/)."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import TenantScopedViewSet
from api.errors import ApiError
from api.pagination import page_schema, paginate, parse_ordering
from api.views._common import created
from api.webhooks import selectors, services
from api.webhooks import serializers as s
from api.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tenants.models import Role

PAGE_PARAMETERS = [
    OpenApiParameter("page_size", OpenApiTypes.INT, description="1 to 100 (default 50)."),
    OpenApiParameter("cursor", OpenApiTypes.STR, description="The `next` link's cursor."),
]


@extend_schema(tags=["webhooks"])
class WebhookEndpointViewSet(TenantScopedViewSet):
    model = WebhookEndpoint
    serializer_class = s.WebhookEndpointSerializer
    read_role = Role.ADMIN
    write_role = Role.ADMIN
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scoped_queryset(self) -> QuerySet:
        return selectors.webhook_endpoint_list()

    @extend_schema(parameters=PAGE_PARAMETERS, responses=page_schema(s.WebhookEndpointSerializer))
    def list(self, request: Request) -> Response:
        ordering = parse_ordering(None, allowed=("created_at",), default="-created_at")
        rows, next_url = paginate(request, self.get_queryset(), ordering)
        return Response({"next": next_url, "results": self.get_serializer(rows, many=True).data})

    def retrieve(self, request: Request, id: str) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        request=s.WebhookEndpointWriteSerializer, responses={201: s.WebhookEndpointCreatedSerializer}
    )
    def create(self, request: Request) -> Response:
        body = s.WebhookEndpointWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        made = services.webhook_endpoint_create(actor=self.actor, **body.validated_data)
        data = s.WebhookEndpointCreatedSerializer(made.endpoint, context={"secret": made.secret}).data
        return created(data, url_name="api:webhook-endpoint-detail", public_id=made.endpoint.public_id)

    @extend_schema(request=s.WebhookEndpointUpdateSerializer, responses=s.WebhookEndpointSerializer)
    def partial_update(self, request: Request, id: str) -> Response:
        body = s.WebhookEndpointUpdateSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        changes = dict(body.validated_data)
        if "active" in changes:
            changes["is_active"] = changes.pop("active")
        endpoint = services.webhook_endpoint_update(actor=self.actor, endpoint=self.get_object(), **changes)
        return Response(self.get_serializer(endpoint).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, id: str) -> Response:
        services.webhook_endpoint_delete(actor=self.actor, endpoint=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["webhooks"])
class WebhookDeliveryViewSet(TenantScopedViewSet):
    model = WebhookDelivery
    serializer_class = s.WebhookDeliverySerializer
    read_role = Role.ADMIN
    write_role = Role.ADMIN
    http_method_names = ["get", "post", "head", "options"]

    def scoped_queryset(self) -> QuerySet:
        if self.action == "list":
            wanted = self.request.query_params.get("status")
            if wanted and wanted not in DeliveryStatus.values:
                message = f"status is one of: {', '.join(DeliveryStatus.values)}."
                raise ApiError(
                    message, status_code=400, code="validation_error", fields={"status": [message]}
                )
            return selectors.webhook_delivery_list(
                endpoint=self.request.query_params.get("endpoint"), status=wanted
            )
        return selectors.webhook_delivery_list()

    @extend_schema(
        parameters=[
            OpenApiParameter("endpoint", OpenApiTypes.STR, description="An endpoint's id."),
            OpenApiParameter("status", OpenApiTypes.STR, enum=DeliveryStatus.values),
            *PAGE_PARAMETERS,
        ],
        responses=page_schema(s.WebhookDeliverySerializer),
    )
    def list(self, request: Request) -> Response:
        ordering = parse_ordering(None, allowed=("created_at",), default="-created_at")
        rows, next_url = paginate(request, self.get_queryset(), ordering)
        return Response({"next": next_url, "results": self.get_serializer(rows, many=True).data})

    def retrieve(self, request: Request, id: str) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(request=None, responses={202: s.WebhookDeliverySerializer})
    @action(detail=True, methods=["post"])
    def replay(self, request: Request, id: str) -> Response:
        """Send the same event (same id) again now; failures are retried for another day."""
        delivery = services.webhook_delivery_replay(actor=self.actor, delivery=self.get_object())
        return Response(self.get_serializer(delivery).data, status=status.HTTP_202_ACCEPTED)
