from django.apps import AppConfig


class PlansConfig(AppConfig):
    """InvoiceFlow's own plans: what each workspace subscribes to (through Stripe), its monthly
    allowance, and the usage metered. Its Stripe webhook handlers are plans/stripe_handlers.py
    (billing discovers them)."""

    name = "plans"
    verbose_name = "Plans"

    def ready(self) -> None:
        # The usage task (registered for the worker) and the outbox subscriber counting sent invoices.
        from plans import subscribers, tasks  # noqa: F401

        # The plan's monthly allowance, checked by the invoicing domain when finalizing.
        subscribers.register_finalize_check()
