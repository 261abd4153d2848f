"""Document routes, mounted under /t/<tenant_slug>/ by invoiceflow/urls.py."""

from django.urls import path, register_converter

from documents import einvoice_views, views


class ExportFormatConverter:
    regex = "csv|xlsx"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ExportFormatConverter, "export_format")

urlpatterns = [
    path(
        "documents/invoices/<str:public_id>/pdf/",
        views.document_generate,
        name="document_generate",
    ),
    path(
        "documents/invoices/<str:public_id>/preview/",
        views.document_preview,
        name="document_preview",
    ),
    path(
        "documents/invoices/<str:public_id>/einvoices/",
        einvoice_views.einvoice_panel,
        name="einvoice_panel",
    ),
    path(
        "documents/invoices/<str:public_id>/einvoices/<str:format>/",
        einvoice_views.einvoice_download,
        name="einvoice_download",
    ),
    path("documents/status/", views.document_status, name="document_status"),
    path("documents/<str:public_id>/download/", views.document_download, name="document_download"),
    path("documents/bulk/", views.bulk_documents, name="bulk_documents"),
    path("documents/jobs/<str:public_id>/download/", views.bulk_job_download, name="bulk_job_download"),
    path(
        "documents/export/invoices.<export_format:format>",
        views.invoice_list_export,
        name="invoice_list_export",
    ),
    path(
        "documents/export/invoices/<str:public_id>.<export_format:format>",
        views.invoice_export,
        name="invoice_export",
    ),
]
