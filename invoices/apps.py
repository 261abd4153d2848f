from django.apps import AppConfig


class InvoicesConfig(AppConfig):
    name = "invoices"

    def ready(self) -> None:
        # Email: the delivery-tracking signal receiver and the sending/scheduling tasks.
        from invoices import tasks_sending, tracking  # noqa: F401
