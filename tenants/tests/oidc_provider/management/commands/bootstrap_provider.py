from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from oauth2_provider.models import Application


class Command(BaseCommand):
    help = "Migrate the provider's database and register one user and one OIDC client."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--client-id", required=True)
        parser.add_argument("--client-secret", required=True)
        parser.add_argument("--redirect-uri", required=True, help="the relying party's callback URL")
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", verbosity=0, interactive=False)
        user_model = get_user_model()
        user, _ = user_model.objects.update_or_create(
            username=options["email"].split("@")[0],
            defaults={"email": options["email"], "first_name": "Ada", "last_name": "Lovelace"},
        )
        user.set_password(options["password"])
        user.save()
        Application.objects.update_or_create(
            client_id=options["client_id"],
            defaults={
                "name": "InvoiceFlow (tests)",
                "client_type": Application.CLIENT_CONFIDENTIAL,
                "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
                # Hashed on save, like a real provider stores it.
                "client_secret": options["client_secret"],
                "redirect_uris": options["redirect_uri"],
                "algorithm": Application.RS256_ALGORITHM,
                # First-party client: no consent screen, straight back to the relying party.
                "skip_authorization": True,
            },
        )
