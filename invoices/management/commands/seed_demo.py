"""Create (or refresh) a demo workspace and login, fill it with sample data the first time,
and print the login."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand
from django.db import transaction

from core.errors import ApplicationError
from invoices.demo import DemoSampleData, demo_sample_data_create
from tenants.models import Membership, Role, Tenant, User
from tenants.scoping import tenant_scope
from tenants.services import tenant_create

DEMO_EMAIL = "demo@invoiceflow.localhost"
DEMO_PASSWORD = "demo-invoices-2026"
DEMO_SLUG = "demo-studio"


class Command(BaseCommand):
    help = "Create a demo workspace with sample data and a demo owner login (safe to run again)."

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
        with tenant_scope(tenant):
            membership, _ = Membership.objects.get_or_create(
                user=user, tenant=tenant, defaults={"role": Role.OWNER}
            )
        self.stdout.write(self._fill_with_sample_data(tenant, membership))
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo workspace '{tenant.name}' ready.\n"
                f"  Sign in at /accounts/login/ with\n"
                f"    email:    {DEMO_EMAIL}\n"
                f"    password: {DEMO_PASSWORD}"
            )
        )

    def _fill_with_sample_data(self, tenant: Tenant, membership: Membership) -> str:
        try:
            with tenant_scope(tenant):
                sample = demo_sample_data_create(actor=membership)
        except ApplicationError as error:
            # A refusal (e.g. a plan's monthly limit when plans are on) must not cost the login:
            # the sample data rolls back alone, and the next run tries again.
            return self.style.WARNING(f"No sample data added: {error.message}")
        if sample is None:
            return "Sample data: the workspace already has clients, invoices or a catalog; nothing added."
        return sample_data_summary(sample)


def sample_data_summary(sample: DemoSampleData) -> str:
    return (
        f"Sample data added: {_count(sample.clients, 'client')}, {_count(sample.tax_rates, 'tax rate')}, "
        f"{_count(sample.catalog_items, 'catalog item')}, "
        f"{_count(sample.finalized + sample.drafts, 'invoice')} ({sample.drafts} drafts), "
        f"{_count(sample.credit_notes, 'credit note')} and {_count(sample.payments, 'payment')}."
        + "".join(f" Also {extra}." for extra in sample.extras)
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
