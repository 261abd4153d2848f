from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    """Everything that renders an invoice into a file: PDF, XLSX/CSV, bulk ZIP, live status."""

    name = "documents"
    verbose_name = "Documents"

    def ready(self) -> None:
        # A PDF rendered again when a payment, a credit or a void changes the invoice
        # (documents/subscribers.py).
        from documents import subscribers  # noqa: F401
