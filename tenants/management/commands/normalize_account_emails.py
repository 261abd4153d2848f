"""Rewrite stored addresses to their one spelling and list what cannot be rewritten.

The migration `normalize_account_emails` did this once; run it again after merging or removing
one of two accounts it reported as colliding. Exits with status 1 while collisions or invalid
addresses remain, so a script notices.
"""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from tenants.emails import normalize_stored_emails
from tenants.models import Invitation, Tenant, User


class Command(BaseCommand):
    help = "Normalise stored email addresses (NFKC, lower case, IDNA domain); report collisions."

    @transaction.atomic
    def handle(self, *args: object, **options: object) -> None:
        report = normalize_stored_emails(
            users=User.objects,
            email_addresses=EmailAddress.objects,
            # Across tenants on purpose: every workspace's invitations, each read with
            # row-level security set to its own workspace by normalize_stored_emails.
            invitations=Invitation.unscoped_across_tenants,
            tenant_ids=Tenant.objects.values_list("pk", flat=True),
            connection=connection,
        )
        self.stdout.write(f"{report.changed} addresses rewritten.")
        for line in report.collisions:
            self.stdout.write(f"collision, left as it is: {line}")
        for line in report.invalid:
            self.stdout.write(f"invalid, left as it is: {line}")
        if report.collisions or report.invalid:
            raise CommandError(
                f"{len(report.collisions)} collisions and {len(report.invalid)} invalid addresses are left: "
                "merge or remove one account of each collision (or correct the address), then run this again."
            )
