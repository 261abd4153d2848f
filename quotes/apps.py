from django.apps import AppConfig


class QuotesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "quotes"
    verbose_name = "Quotes"

    def ready(self) -> None:
        from invoices.demo import demo_sample_data_register
        from invoices.related import linked_invoices_register
        from quotes import tasks  # noqa: F401  (registers the Celery tasks)
        from quotes.demo import demo_quotes_create
        from quotes.selectors import linked_invoices_of_quote

        # The deposit/progress/final invoices of one quote, on each document and as the
        # e-invoices' preceding-invoice reference (BT-25).
        linked_invoices_register("quotes.billings", linked_invoices_of_quote)
        # A sent quote and an accepted one with its deposit invoice in the demo workspace.
        demo_sample_data_register("quotes.demo", demo_quotes_create)
