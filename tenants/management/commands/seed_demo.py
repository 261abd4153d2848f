"""Create (or refresh) a demo workspace and login, and print the login."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand
from django.db import transaction

from tenants.models import Membership, Role, Tenant, User
from tenants.services import tenant_create

DEMO_EMAIL = "demo@invoiceflow.localhost"
DEMO_PASSWORD = "demo-invoices-2026"
DEMO_SLUG = "demo-studio"


class Command(BaseCommand):
    help = "Create a demo workspace with a demo owner login (safe to run again)."

    @transaction.atomic
    def handle(self, *args: object, **options: object) -> None:
        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user is None:
            user = User.objects.create_user(DEMO_EMAIL, DEMO_PASSWORD, full_name="Demo Owner")
        else:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        EmailAddress.objects.update_or_create(
            user=user, email=DEMO_EMAIL, defaults={"verified": True, "primary": True}
        )
        tenant = Tenant.objects.filter(slug=DEMO_SLUG).first()
        if tenant is None:
            tenant = tenant_create(
                owner=user,
                name="Demo Studio",
                slug=DEMO_SLUG,
                country="US",
                default_currency="USD",
                time_zone="America/New_York",
            )
        Membership.objects.get_or_create(user=user, tenant=tenant, defaults={"role": Role.OWNER})
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo workspace '{tenant.name}' ready.\n"
                f"  Sign in at /accounts/login/ with\n"
                f"    email:    {DEMO_EMAIL}\n"
                f"    password: {DEMO_PASSWORD}"
            )
        )
