from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    """Everything that renders an invoice into a file: PDF, XLSX/CSV, bulk ZIP, live status."""

    name = "documents"
    verbose_name = "Documents"
