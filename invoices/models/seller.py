"""The seller as its invoices state it: the company profile and the bank accounts it is paid into.

Why here and not on `tenants.Tenant`: the workspace (`tenants`, the floor) is who uses
InvoiceFlow (name, country, language, members). What an invoice must say about the seller
(legal name, address, VAT and registration ids, legal mentions, payment terms) and where the
client pays are invoicing facts: they are validated by this app's rules
(`invoices.registration_ids`, `invoices.bank_accounts`, UNCL 4461) and read by the domain
(finalize freezes them into `Invoice.seller_snapshot`). The floor may not import the domain,
so the profile lives with the domain, one row per workspace.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.fields import UpdatedAtField
from invoices.bank_accounts import BankAccount as CheckedAccount
from invoices.models.catalog import validate_peppol_scheme
from invoices.registration_ids import REGISTRATION_SCHEMES
from tenants.models import new_public_id, validate_country, validate_currency
from tenants.scoping import TenantOwnedModel

REGISTRATION_SCHEME_CHOICES = [
    (code, f"{code} — {scheme.label}") for code, scheme in REGISTRATION_SCHEMES.items()
]


def _bank_account_id() -> str:
    return new_public_id("bank")


class CompanyProfile(TenantOwnedModel):
    """Who sells: one row per workspace, created on first read with the workspace's name and country."""

    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    trading_name = models.CharField(_("trading name"), max_length=200, blank=True)
    address_line1 = models.CharField(_("address"), max_length=200, blank=True)
    address_line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    postal_code = models.CharField(_("postcode"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("region / state"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, validators=[validate_country])
    vat_id = models.CharField(_("VAT number"), max_length=40, blank=True)
    registration_scheme = models.CharField(
        _("registration scheme"), max_length=16, blank=True, choices=REGISTRATION_SCHEME_CHOICES
    )
    registration_number = models.CharField(_("registration number"), max_length=40, blank=True)
    # Where e-invoices reach the seller over Peppol (EN 16931 BT-34): an EAS scheme and the id.
    peppol_scheme = models.CharField(
        _("Peppol scheme"), max_length=4, blank=True, validators=[validate_peppol_scheme]
    )
    peppol_id = models.CharField(_("Peppol participant id"), max_length=100, blank=True)
    email = models.EmailField(_("contact email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    website = models.URLField(_("website"), blank=True)
    legal_mentions = models.TextField(
        _("legal mentions"),
        blank=True,
        max_length=2000,
        help_text=_(
            "What your country asks every invoice to say, e.g. share capital and RCS, "
            "or “TVA non applicable, art. 293 B du CGI”."
        ),
    )
    default_notes = models.TextField(_("default notes"), blank=True, max_length=5000)
    default_terms = models.TextField(_("default terms"), blank=True, max_length=5000)
    footer = models.CharField(_("footer"), max_length=300, blank=True)
    payment_terms_days = models.PositiveSmallIntegerField(_("payment terms (days)"), default=30)
    updated_at = UpdatedAtField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="company_profile_one_per_tenant")]

    def __str__(self) -> str:
        return self.legal_name or f"company profile of {self.tenant_id}"

    @property
    def has_address(self) -> bool:
        return bool(self.address_line1.strip() and self.city.strip() and self.country)

    @property
    def registration_label(self) -> str:
        scheme = REGISTRATION_SCHEMES.get(self.registration_scheme)
        return scheme.label if scheme else ""


class PaymentMeans(models.TextChoices):
    """UNCL 4461 codes (BT-81) a bank account can be paid by."""

    CREDIT_TRANSFER = "30", _("Credit transfer")
    PAYMENT_TO_BANK_ACCOUNT = "42", _("Payment to bank account")
    SEPA_CREDIT_TRANSFER = "58", _("SEPA credit transfer")


class BankAccount(TenantOwnedModel):
    """An account clients pay into: an IBAN (with BIC), or an account number with its routing code."""

    public_id = models.CharField(max_length=32, unique=True, default=_bank_account_id, editable=False)
    label = models.CharField(_("name"), max_length=80, blank=True)
    holder_name = models.CharField(_("account holder"), max_length=140, blank=True)
    bank_name = models.CharField(_("bank"), max_length=140, blank=True)
    country = models.CharField(_("country"), max_length=2, validators=[validate_country])
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    account_number = models.CharField(_("account number"), max_length=34, blank=True)
    routing_code = models.CharField(_("routing / sort code"), max_length=20, blank=True)
    payment_means = models.CharField(
        _("payment means"), max_length=3, choices=PaymentMeans.choices, default=PaymentMeans.CREDIT_TRANSFER
    )
    is_default = models.BooleanField(_("default for its currency"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["currency", "-is_default", "created_at"]
        constraints = [
            # One default account per currency: the one an invoice in that currency prints.
            models.UniqueConstraint(
                fields=["tenant", "currency"], condition=Q(is_default=True), name="bank_account_one_default"
            ),
            models.CheckConstraint(
                condition=~Q(iban="") | (~Q(account_number="") & ~Q(routing_code="")),
                name="bank_account_has_a_number",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label or self.display} ({self.currency})"

    @property
    def display(self) -> str:
        return CheckedAccount(
            country=self.country,
            iban=self.iban,
            account_number=self.account_number,
            routing_code=self.routing_code,
        ).display
