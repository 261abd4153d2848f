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


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Tenants and accounts"

    def ready(self) -> None:
        # post_migrate fires after every app's migrations, so all tables exist by then.
        post_migrate.connect(_grant_app_role, sender=self, dispatch_uid="tenants-grant-app-role")
