from django.apps import AppConfig


class QuotesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "quotes"
    verbose_name = "Quotes"

    def ready(self) -> None:
        from quotes import tasks  # noqa: F401  (registers the Celery tasks)
