from django.apps import AppConfig


class EinvoicingConfig(AppConfig):
    name = "einvoicing"
    verbose_name = "E-invoicing"
