from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The client's side: the public invoice page at /i/<token> (no login, the token is the key),
    composed of the invoice, its PDF and the Pay button."""

    name = "portal"
    verbose_name = "Client portal"
