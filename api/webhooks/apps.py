from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "api.webhooks"
    label = "webhooks"
    verbose_name = "Outgoing webhooks"

    def ready(self) -> None:
        # Subscribes to the invoice and document events of the outbox (events/).
        from api.webhooks import subscribers  # noqa: F401
