from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    """Everything that reaches the client by email: sending, delivery state and bounces,
    reminders and late fees, recurring invoices."""

    name = "delivery"
    verbose_name = "Email delivery"

    def ready(self) -> None:
        # The delivery-tracking signal receiver, the sending/scheduling tasks, and the outbox
        # events it handles (a finished bulk job).
        from delivery import subscribers, tasks, tracking  # noqa: F401
