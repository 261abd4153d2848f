"""Invoices and credit notes: list, create a draft with its lines, update a draft, delete a
draft, finalize, void, duplicate, payments, credit notes, and CSV/XLSX exports of a list."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers, status
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response

from api import serializers as s
from api.base import TenantScopedViewSet
from api.credit_note_serializers import StandaloneCreditNoteWriteSerializer
from api.errors import ApiError
from api.pagination import page_schema, paginate, parse_ordering
from api.views._common import created
from core.downloads import content_disposition
from documents import einvoices
from documents import list_exports as exports
from invoices import selectors, services
from invoices.models import Invoice, Payment
from invoices.prefetch import adopt_lines, prefetch_lines
from invoices.services import LineData
from invoices.services.common import tenant_today

ORDERINGS = ("issue_date", "due_date", "created_at", "total")
LIST_PARAMETERS = [
    OpenApiParameter("status", OpenApiTypes.STR, enum=[*s.InvoiceStatus.values, "overdue"]),
    OpenApiParameter("overdue", OpenApiTypes.BOOL, description="Only (or, false, never) overdue invoices."),
    OpenApiParameter("client", OpenApiTypes.STR, description="A client's id."),
    OpenApiParameter("kind", OpenApiTypes.STR, enum=["invoice", "credit_note", "all"]),
    OpenApiParameter("issue_date_from", OpenApiTypes.DATE),
    OpenApiParameter("issue_date_to", OpenApiTypes.DATE),
    OpenApiParameter("search", OpenApiTypes.STR, description="Matches the number or the client's name."),
]
PAGE_PARAMETERS = [
    OpenApiParameter(
        "ordering", OpenApiTypes.STR, enum=[f"{sign}{name}" for name in ORDERINGS for sign in ("", "-")]
    ),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="1 to 100 (default 50)."),
    OpenApiParameter("cursor", OpenApiTypes.STR, description="The `next` link's cursor."),
]
DETAIL_PREFETCH = ("tax_totals__tax_rate",)  # and the lines, by `prefetch_lines` in get_object


class _FileRenderer(renderers.BaseRenderer):
    """Lets `Accept: text/csv` (or the XLSX type) through content negotiation; the view answers
    with the file itself, and errors are always JSON (see the base's finalize_response)."""

    charset = None

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        return renderers.JSONRenderer().render(data)


class CSVRenderer(_FileRenderer):
    media_type = "text/csv"
    format = "csv"


class XLSXRenderer(_FileRenderer):
    media_type = exports.XLSX_CONTENT_TYPE
    format = "xlsx"


class _FormatIsOurs(DefaultContentNegotiation):
    """`?format=` names the e-invoice format here, not a DRF renderer: the answer is the file
    itself, errors are JSON."""

    def select_renderer(self, request: Request, renderers: Any, format_suffix: str | None = None) -> Any:
        return renderers[0], renderers[0].media_type


EINVOICE_FORMATS = [fmt.value for fmt in einvoices.Format]


def _lines(validated: list[dict[str, Any]] | None) -> list[LineData] | None:
    if validated is None:
        return None
    return [LineData(**line) for line in validated]


def _service_kwargs(validated: dict[str, Any]) -> dict[str, Any]:
    data = dict(validated)
    if "lines" in data:
        data["lines"] = _lines(data["lines"])
    return data


@extend_schema(tags=["invoices"])
class InvoiceViewSet(TenantScopedViewSet):
    model = Invoice
    serializer_class = s.InvoiceSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scoped_queryset(self) -> QuerySet:
        if self.action in ("list", "export_csv", "export_xlsx"):
            return self._filtered()
        return (
            Invoice.objects.select_related("client", "credit_note_for")
            .prefetch_related(*DETAIL_PREFETCH)
            .all()
        )

    def _filtered(self) -> QuerySet:
        # A plain dict, not the QueryDict: DRF reads an empty form value as "absent", but in a
        # query string `issue_date_to=` is a mistake to report.
        query = s.InvoiceListQuerySerializer(data=dict(self.request.query_params.items()))
        query.is_valid(raise_exception=True)
        params = query.validated_data
        today = tenant_today()
        status_filter = params.get("status")
        queryset = selectors.invoice_list(
            status=status_filter,
            client=params.get("client"),
            date_from=params.get("issue_date_from"),
            date_to=params.get("issue_date_to"),
            search=params.get("search", ""),
            kind=None if params["kind"] == "all" else params["kind"],
            today=today,
        ).select_related("credit_note_for")
        overdue = params.get("overdue")  # absent: no filter
        if overdue is not None:
            overdue_ids = selectors.invoice_list(status=selectors.OVERDUE, kind=None, today=today).values(
                "pk"
            )
            queryset = (
                queryset.filter(pk__in=overdue_ids) if overdue else queryset.exclude(pk__in=overdue_ids)
            )
        return queryset

    def _detail(self, invoice: Invoice, *, status_code: int = status.HTTP_200_OK) -> Response:
        self.kwargs[self.lookup_url_kwarg] = invoice.public_id
        detailed = self.get_object()
        if not adopt_lines(detailed, invoice):  # finalizing has just read them
            prefetch_lines(detailed)
        # A plain dict: DRF's ReturnDict keeps the serializer, and through it every line read,
        # alive as long as the response (thousands of objects for the garbage collector).
        data = dict(self.get_serializer(detailed).data)
        if status_code == status.HTTP_201_CREATED:
            return created(data, url_name="api:invoice-detail", public_id=invoice.public_id)
        return Response(data, status=status_code)

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        context["today"] = tenant_today() if getattr(self.request, "auth", None) else None
        return context

    @extend_schema(
        parameters=LIST_PARAMETERS + PAGE_PARAMETERS, responses=page_schema(s.InvoiceSummarySerializer)
    )
    def list(self, request: Request) -> Response:
        ordering = parse_ordering(
            request.query_params.get("ordering"), allowed=ORDERINGS, default="-issue_date"
        )
        rows, next_url = paginate(request, self.get_queryset(), ordering)
        serializer = s.InvoiceSummarySerializer(rows, many=True, context=self.get_serializer_context())
        return Response({"next": next_url, "results": serializer.data})

    def retrieve(self, request: Request, id: str) -> Response:
        return self._detail(self.get_object())

    @extend_schema(request=s.InvoiceWriteSerializer, responses={201: s.InvoiceSerializer})
    def create(self, request: Request) -> Response:
        write = s.InvoiceWriteSerializer(data=request.data)
        write.is_valid(raise_exception=True)
        invoice = services.invoice_create_draft(actor=self.actor, **_service_kwargs(write.validated_data))
        return self._detail(invoice, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=s.InvoiceUpdateSerializer, responses=s.InvoiceSerializer)
    def partial_update(self, request: Request, id: str) -> Response:
        invoice = self.get_object()
        write = s.InvoiceUpdateSerializer(data=request.data, partial=True)
        write.is_valid(raise_exception=True)
        invoice = services.invoice_update_draft(
            actor=self.actor, invoice=invoice, **_service_kwargs(write.validated_data)
        )
        return self._detail(invoice)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, id: str) -> Response:
        services.invoice_delete_draft(actor=self.actor, invoice=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=s.InvoiceSerializer)
    @action(detail=True, methods=["post"])
    def finalize(self, request: Request, id: str) -> Response:
        invoice = services.invoice_finalize(actor=self.actor, invoice=self.get_object())
        return self._detail(invoice)

    @extend_schema(request=s.VoidSerializer, responses=s.InvoiceSerializer)
    @action(detail=True, methods=["post"])
    def void(self, request: Request, id: str) -> Response:
        invoice = self.get_object()
        body = s.VoidSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        invoice = services.invoice_void(actor=self.actor, invoice=invoice, **body.validated_data)
        return self._detail(invoice)

    @extend_schema(request=None, responses={201: s.InvoiceSerializer})
    @action(detail=True, methods=["post"])
    def duplicate(self, request: Request, id: str) -> Response:
        copy = services.invoice_duplicate(actor=self.actor, invoice=self.get_object())
        return self._detail(copy, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=s.CreditNoteWriteSerializer, responses={201: s.InvoiceSerializer})
    @action(detail=True, methods=["post"], url_path="credit-notes")
    def credit_notes(self, request: Request, id: str) -> Response:
        invoice = self.get_object()
        body = s.CreditNoteWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        note = services.credit_note_create(
            actor=self.actor, invoice=invoice, **_service_kwargs(body.validated_data)
        )
        return self._detail(note, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="credit_notes_create",
        summary="Issue a stand-alone credit note",
        description="A credit note for a client with its own lines, referring to no invoice: numbered "
        "in the credit-note series and issued at once. It changes no invoice's balance; it is a credit "
        "to the client. Routed at /api/v1/credit-notes/.",
        request=StandaloneCreditNoteWriteSerializer,
        responses={201: s.InvoiceSerializer},
    )
    def create_standalone_credit_note(self, request: Request) -> Response:
        body = StandaloneCreditNoteWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        note = services.credit_note_create_standalone(
            actor=self.actor, **_service_kwargs(body.validated_data)
        )
        return self._detail(note, status_code=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], request=None, responses=s.PaymentSerializer(many=True))
    @extend_schema(methods=["POST"], request=s.PaymentWriteSerializer, responses={201: s.PaymentSerializer})
    @action(detail=True, methods=["get", "post"])
    def payments(self, request: Request, id: str) -> Response:
        invoice = self.get_object()
        if request.method == "GET":
            payments = Payment.objects.filter(invoice=invoice).select_related("invoice")
            return Response(s.PaymentSerializer(payments, many=True).data)
        body = s.PaymentWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        payment = services.payment_record(actor=self.actor, invoice=invoice, **body.validated_data)
        return Response(s.PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)

    # --- exports ---------------------------------------------------------------------------

    def _export_queryset(self) -> QuerySet:
        ordering = parse_ordering(
            self.request.query_params.get("ordering"), allowed=ORDERINGS, default="-issue_date"
        )
        return self.get_queryset().order_by(*ordering.order_by())

    @extend_schema(
        parameters=LIST_PARAMETERS + PAGE_PARAMETERS[:1],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The filtered list as CSV.")
        },
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="export/csv",
        renderer_classes=[renderers.JSONRenderer, CSVRenderer],
    )
    def export_csv(self, request: Request) -> HttpResponse:
        content = exports.invoices_csv(self._export_queryset())
        response = HttpResponse(content, content_type=exports.CSV_CONTENT_TYPE)
        response["Content-Disposition"] = content_disposition(f"invoices-{tenant_today().isoformat()}.csv")
        return response

    @extend_schema(
        parameters=LIST_PARAMETERS + PAGE_PARAMETERS[:1],
        responses={(200, exports.XLSX_CONTENT_TYPE): OpenApiResponse(OpenApiTypes.BINARY)},
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="export/xlsx",
        renderer_classes=[renderers.JSONRenderer, XLSXRenderer],
    )
    def export_xlsx(self, request: Request) -> HttpResponse:
        content = exports.invoices_xlsx(self._export_queryset())
        response = HttpResponse(content, content_type=exports.XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = content_disposition(f"invoices-{tenant_today().isoformat()}.xlsx")
        return response

    # --- e-invoices --------------------------------------------------------------------------

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "format",
                OpenApiTypes.STR,
                enum=EINVOICE_FORMATS,
                required=True,
                description=(
                    "ubl: UBL 2.1, Peppol BIS Billing 3.0; cii: UN/CEFACT CII (EN 16931); "
                    "xrechnung-ubl / xrechnung-cii: XRechnung 3.0, when the buyer reference is a "
                    "Leitweg-ID; facturx: the invoice PDF (PDF/A-3b) with its CII inside, when "
                    "Factur-X is on for the workspace or client."
                ),
            )
        ],
        responses={
            (200, "application/xml"): OpenApiResponse(OpenApiTypes.BINARY, description="The e-invoice."),
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="Factur-X PDF."),
        },
    )
    @action(detail=True, methods=["get"], content_negotiation_class=_FormatIsOurs)
    def einvoice(self, request: Request, id: str) -> HttpResponse:
        """The finalized invoice as an e-invoice, proven valid by the official rules. Never
        given when a fatal rule fails: a 422 whose `fields.rules` says which, in plain words."""
        invoice = self.get_object()
        fmt = request.query_params.get("format", "")
        if fmt not in EINVOICE_FORMATS:
            raise ApiError(
                f"format must be one of {', '.join(EINVOICE_FORMATS)}.",
                status_code=status.HTTP_400_BAD_REQUEST,
                code="validation_error",
                fields={"format": [f"Choose one of {', '.join(EINVOICE_FORMATS)}."]},
            )
        try:
            content = einvoices.einvoice_get(invoice=invoice, fmt=fmt)
        except einvoices.EInvoiceUnavailable as error:
            raise ApiError(
                error.message,
                status_code=status.HTTP_422_UNPROCESSABLE_ENTITY,
                code="einvoice_invalid",
                fields={
                    "rules": [
                        f"{p.rule_id}: {p.explanation}" + (f" (fill in: {p.field})" if p.field else "")
                        for p in error.problems
                    ]
                },
            ) from error
        response = HttpResponse(content, content_type=einvoices.CONTENT_TYPES[einvoices.Format(fmt)])
        filename = einvoices.einvoice_filename(invoice, einvoices.Format(fmt))
        response["Content-Disposition"] = content_disposition(filename)
        response["Cache-Control"] = "private, no-store"
        return response
