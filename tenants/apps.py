from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _grant_app_role(sender: AppConfig, using: str, **kwargs: object) -> None:
    from django.conf import settings
    from django.db import connections

    from tenants.rls import grant_app_role

    connection = connections[using]
    role = settings.DATABASE_APP_ROLE
    if connection.vendor != "postgresql" or not role:
        return
    # Migrations run as the owning role; the app's role only ever gets data privileges.
    if connection.settings_dict.get("USER") != role:
        grant_app_role(connection, role)


def _name_the_site(sender: AppConfig, using: str, **kwargs: object) -> None:
    """allauth's emails say "[{site name}] …" and "Hello from {site name}!": give the Sites row the
    product's name and the domain SITE_URL publishes, not Django's "example.com" placeholder. Run
    on every migrate (`./dev start` migrates on each start), so a new SITE_URL or port is picked up."""
    from urllib.parse import urlsplit

    from django.conf import settings
    from django.contrib.sites.models import Site

    domain = urlsplit(settings.SITE_URL).netloc
    Site.objects.using(using).update_or_create(
        pk=settings.SITE_ID, defaults={"domain": domain, "name": settings.PRODUCT_NAME}
    )
    Site.objects.clear_cache()


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Tenants and accounts"

    def ready(self) -> None:
        # post_migrate fires after every app's migrations, so all tables exist by then.
        post_migrate.connect(_name_the_site, sender=self, dispatch_uid="tenants-name-the-site")
        post_migrate.connect(_grant_app_role, sender=self, dispatch_uid="tenants-grant-app-role")
        from tenants import auth_receivers

        # Password and two-factor changes end the user's API tokens (tenants/token_revocation.py).
        auth_receivers.connect()
