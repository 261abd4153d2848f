from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing and Stripe"

    def ready(self) -> None:
        # Each app registers its Stripe event handlers in <app>/stripe_handlers.py.
        autodiscover_modules("stripe_handlers")
        # Plans: subscription handlers, and the usage task (registered for the worker).
        from billing import plan_handlers, plan_subscribers, plan_tasks, subscribers  # noqa: F401

        # The plan's monthly allowance, checked by the invoicing domain when finalizing.
        plan_subscribers.register_finalize_check()
