"""Quotes: list, create a draft, update a draft, delete a draft, send, and invoice an accepted
quote (the whole quote, a deposit, a progress invoice, the final invoice)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from api import quote_serializers as qs
from api import serializers as s
from api.base import TenantScopedViewSet
from api.pagination import page_schema, paginate, parse_ordering
from api.views._common import created
from invoices.services import LineData
from quotes import invoicing, services
from quotes.models import BillingKind, Quote, QuoteStatus

ORDERINGS = ("issue_date", "valid_until", "created_at", "total")


def _kwargs(validated: dict[str, Any]) -> dict[str, Any]:
    data = dict(validated)
    if "lines" in data:
        data["lines"] = [LineData(**line) for line in data["lines"]]
    return data


@extend_schema(tags=["quotes"])
class QuoteViewSet(TenantScopedViewSet):
    model = Quote
    serializer_class = qs.QuoteSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scoped_queryset(self) -> QuerySet:
        quotes = Quote.objects.select_related("client", "contact")
        status_filter = self.request.query_params.get("status")
        if self.action == "list" and status_filter is not None:
            if status_filter not in QuoteStatus.values:
                # An unknown filter is a mistake to report, not a filter to drop (as for invoices).
                raise ValidationError({"status": [f'"{status_filter}" is not a quote status.']})
            quotes = quotes.filter(status=status_filter)
        return quotes

    def _detail(self, quote: Quote, *, status_code: int = status.HTTP_200_OK) -> Response:
        self.kwargs[self.lookup_url_kwarg] = quote.public_id
        data = self.get_serializer(self.get_object()).data
        if status_code == status.HTTP_201_CREATED:
            return created(data, url_name="api:quote-detail", public_id=quote.public_id)
        return Response(data, status=status_code)

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=QuoteStatus.values),
            OpenApiParameter(
                "ordering",
                OpenApiTypes.STR,
                enum=[f"{sign}{name}" for name in ORDERINGS for sign in ("", "-")],
            ),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="1 to 100 (default 50)."),
            OpenApiParameter("cursor", OpenApiTypes.STR, description="The `next` link's cursor."),
        ],
        responses=page_schema(qs.QuoteSerializer),
    )
    def list(self, request: Request) -> Response:
        ordering = parse_ordering(
            request.query_params.get("ordering"), allowed=ORDERINGS, default="-issue_date"
        )
        rows, next_url = paginate(request, self.get_queryset(), ordering)
        return Response({"next": next_url, "results": self.get_serializer(rows, many=True).data})

    def retrieve(self, request: Request, id: str) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(request=qs.QuoteWriteSerializer, responses={201: qs.QuoteSerializer})
    def create(self, request: Request) -> Response:
        write = qs.QuoteWriteSerializer(data=request.data)
        write.is_valid(raise_exception=True)
        quote = services.quote_create_draft(actor=self.actor, **_kwargs(write.validated_data))
        return self._detail(quote, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=qs.QuoteUpdateSerializer, responses=qs.QuoteSerializer)
    def partial_update(self, request: Request, id: str) -> Response:
        quote = self.get_object()
        write = qs.QuoteUpdateSerializer(data=request.data, partial=True)
        write.is_valid(raise_exception=True)
        quote = services.quote_update_draft(actor=self.actor, quote=quote, **_kwargs(write.validated_data))
        return self._detail(quote)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, id: str) -> Response:
        services.quote_delete_draft(actor=self.actor, quote=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=qs.QuoteSendSerializer, responses=qs.QuoteSerializer)
    @action(detail=True, methods=["post"])
    def send(self, request: Request, id: str) -> Response:
        quote = self.get_object()
        body = qs.QuoteSendSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        quote = services.quote_send(
            actor=self.actor, quote=quote, contacts=body.validated_data.get("contacts", [])
        )
        return self._detail(quote)

    @extend_schema(request=qs.QuoteInvoiceSerializer, responses={201: s.InvoiceSerializer})
    @action(detail=True, methods=["post"])
    def invoices(self, request: Request, id: str) -> Response:
        """Invoice an accepted quote: `full`, `deposit` (percent or amount), `progress`
        (percent) or `final` (the quote less every earlier invoice of it). A draft invoice."""
        quote = self.get_object()
        body = qs.QuoteInvoiceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        kind = data["kind"]
        if kind == BillingKind.DEPOSIT:
            invoice = invoicing.quote_invoice_deposit(
                actor=self.actor, quote=quote, percent=data.get("percent"), amount=data.get("amount")
            )
        elif kind == BillingKind.PROGRESS:
            invoice = invoicing.quote_invoice_progress(
                actor=self.actor, quote=quote, percent=data.get("percent")
            )
        elif kind == BillingKind.FINAL:
            invoice = invoicing.quote_invoice_final(actor=self.actor, quote=quote)
        else:
            invoice = invoicing.quote_invoice_full(actor=self.actor, quote=quote)
        serializer = s.InvoiceSerializer(invoice, context=self.get_serializer_context())
        return created(serializer.data, url_name="api:invoice-detail", public_id=invoice.public_id)
