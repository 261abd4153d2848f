"""Clients, tax rates and catalog items: list, create, read, update (PATCH), archive."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api import serializers as s
from api.base import TenantScopedViewSet
from api.errors import ApiError
from api.pagination import page_schema, paginate, parse_ordering
from api.views._common import created
from invoices import selectors, services
from invoices.models import CatalogItem, Client, TaxRate

LIST_PARAMETERS = [
    OpenApiParameter("search", OpenApiTypes.STR, description="Matches names (and emails, tax ids)."),
    OpenApiParameter("include_archived", OpenApiTypes.BOOL),
    OpenApiParameter("ordering", OpenApiTypes.STR, enum=["name", "-name", "created_at", "-created_at"]),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="1 to 100 (default 50)."),
    OpenApiParameter("cursor", OpenApiTypes.STR, description="The `next` link's cursor."),
]
ORDERINGS = ("name", "created_at")


def _include_archived(request: Request) -> bool:
    raw = request.query_params.get("include_archived")
    if raw is None:
        return False
    if raw.lower() not in ("true", "false"):
        message = "include_archived is true or false."
        raise ApiError(
            message, status_code=400, code="validation_error", fields={"include_archived": [message]}
        )
    return raw.lower() == "true"


class _ResourceViewSet(TenantScopedViewSet):
    """list / create / retrieve / partial_update / archive over one catalog-like model."""

    http_method_names = ["get", "post", "patch", "head", "options"]
    write_serializer_class: type[s.serializers.Serializer]
    url_name: str

    def list_queryset(self) -> QuerySet:
        raise NotImplementedError

    def scoped_queryset(self) -> QuerySet:
        if self.action == "list":
            return self.list_queryset()
        return super().scoped_queryset()

    def list(self, request: Request) -> Response:
        ordering = parse_ordering(request.query_params.get("ordering"), allowed=ORDERINGS, default="name")
        rows, next_url = paginate(request, self.get_queryset(), ordering)
        return Response({"next": next_url, "results": self.get_serializer(rows, many=True).data})

    def retrieve(self, request: Request, id: str) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    def _validated(self, request: Request, *, partial: bool = False) -> dict[str, Any]:
        serializer = self.write_serializer_class(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _detail(self, public_id: str) -> Response:
        # Read back through the scoped queryset, as a GET would.
        self.kwargs[self.lookup_url_kwarg] = public_id
        return Response(self.get_serializer(self.get_object()).data)


@extend_schema(tags=["clients"])
class ClientViewSet(_ResourceViewSet):
    model = Client
    serializer_class = s.ClientSerializer
    write_serializer_class = s.ClientWriteSerializer
    url_name = "api:client-detail"

    def list_queryset(self) -> QuerySet:
        return selectors.client_list(
            search=self.request.query_params.get("search", ""),
            include_archived=_include_archived(self.request),
        )

    @extend_schema(parameters=LIST_PARAMETERS, responses=page_schema(s.ClientSerializer))
    def list(self, request: Request) -> Response:
        return super().list(request)

    @extend_schema(request=s.ClientWriteSerializer, responses={201: s.ClientSerializer})
    def create(self, request: Request) -> Response:
        client = services.client_create(actor=self.actor, **self._validated(request))
        return created(self.get_serializer(client).data, url_name=self.url_name, public_id=client.public_id)

    @extend_schema(request=s.ClientWriteSerializer, responses=s.ClientSerializer)
    def partial_update(self, request: Request, id: str) -> Response:
        client = self.get_object()
        services.client_update(actor=self.actor, client=client, **self._validated(request, partial=True))
        return self._detail(client.public_id)

    @extend_schema(request=None, responses=s.ClientSerializer)
    @action(detail=True, methods=["post"])
    def archive(self, request: Request, id: str) -> Response:
        client = services.client_archive(actor=self.actor, client=self.get_object())
        return Response(self.get_serializer(client).data)


@extend_schema(tags=["tax rates"])
class TaxRateViewSet(_ResourceViewSet):
    model = TaxRate
    serializer_class = s.TaxRateSerializer
    write_serializer_class = s.TaxRateWriteSerializer
    url_name = "api:tax-rate-detail"

    def list_queryset(self) -> QuerySet:
        return selectors.tax_rate_list(include_archived=_include_archived(self.request))

    @extend_schema(parameters=LIST_PARAMETERS, responses=page_schema(s.TaxRateSerializer))
    def list(self, request: Request) -> Response:
        return super().list(request)

    @extend_schema(request=s.TaxRateWriteSerializer, responses={201: s.TaxRateSerializer})
    def create(self, request: Request) -> Response:
        rate = services.tax_rate_create(actor=self.actor, **self._validated(request))
        return created(self.get_serializer(rate).data, url_name=self.url_name, public_id=rate.public_id)

    @extend_schema(request=s.TaxRateWriteSerializer, responses=s.TaxRateSerializer)
    def partial_update(self, request: Request, id: str) -> Response:
        rate = self.get_object()
        services.tax_rate_update(actor=self.actor, tax_rate=rate, **self._validated(request, partial=True))
        return self._detail(rate.public_id)

    @extend_schema(request=None, responses=s.TaxRateSerializer)
    @action(detail=True, methods=["post"])
    def archive(self, request: Request, id: str) -> Response:
        rate = services.tax_rate_archive(actor=self.actor, tax_rate=self.get_object())
        return Response(self.get_serializer(rate).data)


@extend_schema(tags=["catalog"])
class CatalogItemViewSet(_ResourceViewSet):
    model = CatalogItem
    serializer_class = s.CatalogItemSerializer
    write_serializer_class = s.CatalogItemWriteSerializer
    url_name = "api:catalog-item-detail"

    def list_queryset(self) -> QuerySet:
        return selectors.catalog_item_list(
            search=self.request.query_params.get("search", ""),
            include_archived=_include_archived(self.request),
        )

    def scoped_queryset(self) -> QuerySet:
        return super().scoped_queryset().prefetch_related("item_taxes__tax_rate")

    @extend_schema(parameters=LIST_PARAMETERS, responses=page_schema(s.CatalogItemSerializer))
    def list(self, request: Request) -> Response:
        return super().list(request)

    @extend_schema(request=s.CatalogItemWriteSerializer, responses={201: s.CatalogItemSerializer})
    def create(self, request: Request) -> Response:
        item = services.catalog_item_create(actor=self.actor, **self._validated(request))
        return self._created_detail(item.public_id)

    def _created_detail(self, public_id: str) -> Response:
        response = self._detail(public_id)
        return created(response.data, url_name=self.url_name, public_id=public_id)

    @extend_schema(request=s.CatalogItemWriteSerializer, responses=s.CatalogItemSerializer)
    def partial_update(self, request: Request, id: str) -> Response:
        item = self.get_object()
        services.catalog_item_update(actor=self.actor, item=item, **self._validated(request, partial=True))
        return self._detail(item.public_id)

    @extend_schema(request=None, responses=s.CatalogItemSerializer)
    @action(detail=True, methods=["post"])
    def archive(self, request: Request, id: str) -> Response:
        item = services.catalog_item_archive(actor=self.actor, item=self.get_object())
        return self._detail(item.public_id)
