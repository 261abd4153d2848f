from __future__ import annotations

import factory
from allauth.account.models import EmailAddress

from tenants.models import Membership, Role, Tenant, User
from tenants.scoping import tenant_scope

PASSWORD = "correct horse battery staple 42"
# Valid VAT numbers (check digits included) of test workspaces, by country.
TEST_VAT_IDS = {"FR": "FR40303265045", "DE": "DE136695976", "GB": "GB980780684", "CH": "CHE109322551"}


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified(self, create: bool, extracted: bool | None, **kwargs: object) -> None:
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Studio {n}")
    slug = factory.Sequence(lambda n: f"studio-{n}")
    country = "FR"
    default_currency = "EUR"
    locale = "en"
    time_zone = "Europe/Paris"

    @factory.post_generation
    def company_profile(self, create: bool, extracted: bool | None, **kwargs: object) -> None:
        """A workspace whose invoices are legally complete (address, VAT number), so tests that
        finalize need no setup; `TenantFactory(company_profile=False)` leaves the profile unset.
        Imported here, not at the top: the floor's factories reach up only in tests."""
        if not create or extracted is False:
            return
        from invoices.models import CompanyProfile

        with tenant_scope(self):
            CompanyProfile.objects.create(
                tenant=self,
                legal_name=self.name,
                address_line1="12 Rue des Arts",
                postal_code="75003",
                city="Paris",
                country=self.country,
                vat_id=TEST_VAT_IDS.get(self.country, f"{self.country}123456789"),
            )


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    tenant = factory.SubFactory(TenantFactory)
    role = Role.MEMBER

    @classmethod
    def _create(cls, model_class: type[Membership], *args: object, **kwargs: object) -> Membership:
        # Memberships are behind row-level security: written inside their workspace's scope.
        with tenant_scope(kwargs["tenant"]):
            return super()._create(model_class, *args, **kwargs)
