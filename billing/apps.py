from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing and Stripe"

    def ready(self) -> None:
        # Each app registers its Stripe event handlers in <app>/stripe_handlers.py.
        autodiscover_modules("stripe_handlers")
        # Receipts of online payments, from the outbox's payment.received (billing/subscribers.py).
        from billing import subscribers  # noqa: F401
