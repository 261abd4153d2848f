""" "Upload and generate": POST an invoice as JSON with the formats wanted, poll its status,
download each file.

- `POST /api/v1/invoices/generate/` — the invoice (client by id or inline, lines, taxes) and
  `formats` (pdf, xlsx, csv). The draft is created (`invoices.services.invoice_create_draft`,
  an inline client by `client_create`), the PDF is requested from the documents pipeline
  (`documents.services.document_request`: queued, rendered by Celery, the 5-per-minute
  limit → 429 + Retry-After), and the answer is 202 with the status URL in `Location`.
- `GET /api/v1/invoices/{id}/generation/?formats=pdf,csv` — per format: queued, processing,
  ready or failed (with a reason), and its download URL once ready.
- `GET …/generation/pdf/` — 302 to a short-lived presigned (or signed) link once ready, 409
  while queued or processing (or failed). XLSX and CSV are built from the invoice when asked
  (well under a second, no queue): `…/generation/xlsx/` and `…/generation/csv/` answer the file.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import renderers, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from api import serializers as s
from api.base import TenantScopedViewSet
from api.errors import ApiError, RateLimited
from api.views.invoices import CSVRenderer, XLSXRenderer, _service_kwargs
from core.downloads import content_disposition, download_url
from documents import services as documents
from documents.exports import invoice_csv, invoice_xlsx
from documents.invoice_pdf import current_pdfs
from documents.models import DocumentFormat, DocumentStatus, InvoiceDocument
from documents.storage import CONTENT_TYPES
from invoices import services
from invoices.models import Invoice

FORMATS = list(DocumentFormat.values)
NOT_REQUESTED = "not_requested"
# Named in SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] so the schema calls it GenerationStatus.
GENERATION_STATUSES = [*DocumentStatus.values, NOT_REQUESTED]


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "description": "An existing client's id."},
            {"type": "object", "description": "A new client (as POST /api/v1/clients/)."},
        ]
    }
)
class ClientRefField(serializers.Field):
    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            return s.public_id_field().run_validation(data)
        if isinstance(data, dict):
            inline = s.ClientWriteSerializer(data=data)
            inline.is_valid(raise_exception=True)
            return dict(inline.validated_data)
        raise serializers.ValidationError("A client id, or the new client as an object.")

    def to_representation(self, value: Any) -> Any:  # pragma: no cover - write only
        return value


class GenerateSerializer(s.InvoiceWriteSerializer):
    client = ClientRefField()
    formats = serializers.ListField(
        child=serializers.ChoiceField(choices=DocumentFormat.choices), min_length=1, max_length=3
    )


class FormatStatusSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=DocumentFormat.choices)
    status = serializers.ChoiceField(choices=GENERATION_STATUSES)
    reason = serializers.CharField(allow_blank=True)
    download_url = serializers.CharField(allow_null=True)


class GenerationStatusSerializer(serializers.Serializer):
    invoice = serializers.CharField()
    status_url = serializers.CharField()
    formats = FormatStatusSerializer(many=True)


def _download_path(invoice: Invoice, format: str) -> str:
    return reverse(f"api:invoice-generation-{format}", kwargs={"id": invoice.public_id})


def _status_url(invoice: Invoice, formats: list[str]) -> str:
    path = reverse("api:invoice-generation", kwargs={"id": invoice.public_id})
    return f"{path}?formats={','.join(formats)}"


def _parse_formats(raw: str | None) -> list[str]:
    formats = [item.strip() for item in (raw or ",".join(FORMATS)).split(",") if item.strip()]
    unknown = [item for item in formats if item not in FORMATS]
    if unknown or not formats:
        message = f"formats is a comma-separated list of: {', '.join(FORMATS)}."
        raise ApiError(message, status_code=400, code="validation_error", fields={"formats": [message]})
    return list(dict.fromkeys(formats))


def _pdf_document(invoice: Invoice) -> InvoiceDocument | None:
    return current_pdfs([invoice]).get(invoice.pk)


def generation_status(invoice: Invoice, formats: list[str]) -> dict[str, Any]:
    rows = []
    for format in formats:
        if format == DocumentFormat.PDF:
            document = _pdf_document(invoice)
            state = document.status if document else NOT_REQUESTED
            reason = document.failure_reason if document else ""
        else:  # built when downloaded: always available
            state, reason = DocumentStatus.READY, ""
        rows.append(
            {
                "format": format,
                "status": state,
                "reason": reason,
                "download_url": _download_path(invoice, format) if state == DocumentStatus.READY else None,
            }
        )
    return {"invoice": invoice.public_id, "status_url": _status_url(invoice, formats), "formats": rows}


@extend_schema(tags=["invoices"])
class InvoiceGenerationViewSet(TenantScopedViewSet):
    model = Invoice
    serializer_class = GenerationStatusSerializer

    def scoped_queryset(self) -> QuerySet:
        return Invoice.objects.select_related("client")

    @extend_schema(request=GenerateSerializer, responses={202: GenerationStatusSerializer})
    def generate(self, request: Request) -> Response:
        body = GenerateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = _service_kwargs(body.validated_data)
        formats = list(dict.fromkeys(data.pop("formats")))
        if isinstance(data["client"], dict):
            data["client"] = services.client_create(actor=self.actor, **data["client"])
        invoice = services.invoice_create_draft(actor=self.actor, **data)
        if DocumentFormat.PDF in formats:
            try:
                documents.document_request(actor=self.actor, invoice=invoice, format=DocumentFormat.PDF)
            except documents.RateLimited as error:
                # The whole request is undone (the handler's savepoint): no invoice without its PDF.
                raise RateLimited(error.retry_after) from error
        answer = generation_status(invoice, formats)
        return Response(answer, status=status.HTTP_202_ACCEPTED, headers={"Location": answer["status_url"]})

    @extend_schema(
        parameters=[
            OpenApiParameter("formats", OpenApiTypes.STR, description="e.g. pdf,csv (default: all).")
        ],
        responses=GenerationStatusSerializer,
    )
    def status(self, request: Request, id: str) -> Response:
        formats = _parse_formats(request.query_params.get("formats"))
        return Response(generation_status(self.get_object(), formats))

    @extend_schema(
        responses={
            302: OpenApiResponse(description="To a short-lived download link."),
            409: OpenApiResponse(description="Not ready yet (queued or processing), or failed."),
        }
    )
    def pdf(self, request: Request, id: str) -> Response:
        invoice = self.get_object()
        document = _pdf_document(invoice)
        if document is None or document.status != DocumentStatus.READY:
            state = document.status if document else NOT_REQUESTED
            reason = f" {document.failure_reason}" if document and document.failure_reason else ""
            raise ApiError(f"The PDF is {state}.{reason}", status_code=409, code="not_ready")
        url = download_url(
            storage_key=document.storage_key,
            filename=documents.document_filename(invoice, DocumentFormat.PDF),
            content_type=CONTENT_TYPES["pdf"],
        )
        return Response(
            status=status.HTTP_302_FOUND,
            headers={"Location": url, "Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"},
        )

    def _file(self, format: str, content: str | bytes) -> HttpResponse:
        invoice = self.get_object()
        response = HttpResponse(content, content_type=CONTENT_TYPES[format])
        response["Content-Disposition"] = content_disposition(documents.document_filename(invoice, format))
        return response

    @extend_schema(responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR)})
    def csv(self, request: Request, id: str) -> HttpResponse:
        return self._file("csv", invoice_csv(self.get_object()))

    @extend_schema(responses={(200, CONTENT_TYPES["xlsx"]): OpenApiResponse(OpenApiTypes.BINARY)})
    def xlsx(self, request: Request, id: str) -> HttpResponse:
        return self._file("xlsx", invoice_xlsx(self.get_object()))


generate_view = InvoiceGenerationViewSet.as_view({"post": "generate"})
status_view = InvoiceGenerationViewSet.as_view({"get": "status"})
pdf_view = InvoiceGenerationViewSet.as_view({"get": "pdf"})
csv_view = InvoiceGenerationViewSet.as_view(
    {"get": "csv"}, renderer_classes=[renderers.JSONRenderer, CSVRenderer]
)
xlsx_view = InvoiceGenerationViewSet.as_view(
    {"get": "xlsx"}, renderer_classes=[renderers.JSONRenderer, XLSXRenderer]
)
