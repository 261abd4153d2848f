"""Clients, tax rates and catalog items: what invoices are made of."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.fields import UpdatedAtField
from invoices import limits, vat
from invoices.models.base import MoneyField, _catalog_item_id, _client_id, _tax_rate_id, validate_email_list
from invoices.money import (
    PERCENT_DECIMAL_PLACES,
    PERCENT_MAX_DIGITS,
)
from tenants.models import validate_country, validate_currency, validate_locale
from tenants.scoping import TenantOwnedModel

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# --- clients -------------------------------------------------------------------------------

# The formats of `einvoicing.syntax.Format` (a sibling app: named here, not imported).
EINVOICE_FORMATS = [
    ("ubl", _("UBL (Peppol BIS Billing 3.0)")),
    ("cii", _("CII (EN 16931)")),
    ("xrechnung-ubl", _("XRechnung (UBL)")),
    ("xrechnung-cii", _("XRechnung (CII)")),
    ("facturx", _("Factur-X PDF")),
]


def validate_peppol_scheme(value: str) -> None:
    """An EAS code: four digits (ISO 6523 ICD) or two capitals (EM, …)."""
    if value and not re.fullmatch(r"[0-9]{4}|[A-Z]{2}", value):
        raise ValidationError(_("A Peppol scheme is a four-digit code such as 0088 or 9930."))


class Client(TenantOwnedModel):
    """Someone the tenant bills."""

    public_id = models.CharField(max_length=32, unique=True, default=_client_id, editable=False)
    name = models.CharField(_("name"), max_length=200)
    # One or more addresses; the first is the main contact. Stored as a JSON list.
    emails = models.JSONField(_("contact emails"), default=list, validators=[validate_email_list])
    address_line1 = models.CharField(_("address"), max_length=200, blank=True)
    address_line2 = models.CharField(_("address (line 2)"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("region / state"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True, validators=[validate_country])
    tax_id = models.CharField(_("tax / VAT id"), max_length=50, blank=True)
    currency = models.CharField(_("default currency"), max_length=3, validators=[validate_currency])
    language = models.CharField(_("language"), max_length=16, default="en", validators=[validate_locale])
    payment_terms_days = models.PositiveSmallIntegerField(_("payment terms (days)"), default=30)
    # Where e-invoices reach the client over Peppol (EN 16931 BT-49): the EAS scheme (0088
    # GLN, 9930 German VAT number, 0204 Leitweg-ID, 0009 SIRET…) and the id in it.
    peppol_scheme = models.CharField(
        _("Peppol scheme"), max_length=4, blank=True, validators=[validate_peppol_scheme]
    )
    peppol_id = models.CharField(_("Peppol participant id"), max_length=100, blank=True)
    # The e-invoice attached to the invoice email ("" = the PDF alone).
    einvoice_format = models.CharField(
        _("e-invoice attached to emails"), max_length=16, blank=True, choices=EINVOICE_FORMATS
    )
    # Factur-X (the PDF with its XML inside) for this client: None follows the workspace.
    facturx = models.BooleanField(_("Factur-X PDF"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=limits.CLIENT_NOTES_MAX)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = UpdatedAtField()

    class Meta:
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["tenant", "name"], name="client_tenant_name")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if bool(self.peppol_scheme) != bool(self.peppol_id.strip()):
            raise ValidationError(
                {"peppol_id": _("Give both the Peppol scheme and the participant id, or neither.")}
            )

    @property
    def primary_email(self) -> str:
        return self.emails[0] if self.emails else ""

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


# --- tax rates -----------------------------------------------------------------------------


def validate_vatex(value: str) -> None:
    """A CEF VATEX code (BR-CL-22), or nothing."""
    if value and value not in vat.vatex():
        raise ValidationError(
            _("%(code)s is not a VATEX exemption code (such as VATEX-EU-AE)."), params={"code": value}
        )


class TaxCategory(models.TextChoices):
    """EN 16931 VAT category codes (UNCL5305 subset, BT-118)."""

    STANDARD = "S", _("Standard rate")
    ZERO_RATED = "Z", _("Zero rated")
    EXEMPT = "E", _("Exempt from tax")
    REVERSE_CHARGE = "AE", _("Reverse charge")
    INTRA_COMMUNITY = "K", _("Intra-community supply (VAT exempt)")
    EXPORT = "G", _("Export outside the EU (free export item)")
    OUTSIDE_SCOPE = "O", _("Outside the scope of tax")
    CANARY_ISLANDS = "L", _("Canary Islands general indirect tax")
    CEUTA_MELILLA = "M", _("Tax for Ceuta and Melilla")


# Categories whose invoices must state why no tax is charged (EN 16931 BR-E-10, BR-AE-10,
# BR-IC-10, BR-G-10, BR-O-10), and which therefore carry a 0 % rate.
CATEGORIES_NEEDING_REASON = frozenset(
    {
        TaxCategory.EXEMPT,
        TaxCategory.REVERSE_CHARGE,
        TaxCategory.INTRA_COMMUNITY,
        TaxCategory.EXPORT,
        TaxCategory.OUTSIDE_SCOPE,
    }
)
ZERO_PERCENT_CATEGORIES = CATEGORIES_NEEDING_REASON | {TaxCategory.ZERO_RATED}


class TaxRate(TenantOwnedModel):
    public_id = models.CharField(max_length=32, unique=True, default=_tax_rate_id, editable=False)
    name = models.CharField(_("name"), max_length=100)
    percentage = models.DecimalField(
        _("percentage"),
        max_digits=PERCENT_MAX_DIGITS,
        decimal_places=PERCENT_DECIMAL_PLACES,
        validators=[MinValueValidator(Decimal(0))],
    )
    inclusive = models.BooleanField(
        _("included in prices"), default=False, help_text=_("Prices already contain this tax.")
    )
    compound = models.BooleanField(
        _("compound"), default=False, help_text=_("Applied on top of the other taxes of the line.")
    )
    category = models.CharField(
        _("tax category"), max_length=2, choices=TaxCategory.choices, default=TaxCategory.STANDARD
    )
    exemption_reason = models.CharField(_("exemption reason"), max_length=300, blank=True)
    # BT-121: the coded reason (CEF VATEX, e.g. VATEX-EU-AE), beside the text (BT-120).
    exemption_code = models.CharField(
        _("exemption code (VATEX)"), max_length=30, blank=True, validators=[validate_vatex]
    )
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(percentage__gte=0, percentage__lte=100),
                name="tax_rate_percentage_0_to_100",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.percentage.normalize():f} %)"

    def clean(self) -> None:
        errors: dict[str, StrOrPromise] = {}
        if self.percentage is not None and self.percentage > 100:
            errors["percentage"] = _("The percentage cannot exceed 100.")
        if self.category in ZERO_PERCENT_CATEGORIES and self.percentage and self.percentage != 0:
            errors["percentage"] = _("This tax category always has a 0 % rate.")
        if (
            self.category in CATEGORIES_NEEDING_REASON
            and not self.exemption_reason.strip()
            and not self.exemption_code
        ):
            errors["exemption_reason"] = _("This tax category needs an exemption reason on the invoice.")
        if self.inclusive and self.compound:
            errors["compound"] = _("A compound tax cannot be included in prices.")
        if errors:
            raise ValidationError(errors)


# --- catalog -------------------------------------------------------------------------------


class CatalogItem(TenantOwnedModel):
    """A product or service the tenant sells often; the builder copies it into a line."""

    public_id = models.CharField(max_length=32, unique=True, default=_catalog_item_id, editable=False)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=limits.CATALOG_DESCRIPTION_MAX)
    unit = models.CharField(_("unit"), max_length=30, blank=True, help_text=_("hour, day, piece…"))
    unit_price = MoneyField(_("unit price"))
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    tax_rates = models.ManyToManyField(
        TaxRate, through="CatalogItemTaxRate", blank=True, related_name="+", verbose_name=_("default taxes")
    )
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class CatalogItemTaxRate(TenantOwnedModel):
    catalog_item = models.ForeignKey(CatalogItem, on_delete=models.CASCADE, related_name="item_taxes")
    tax_rate = models.ForeignKey(TaxRate, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["catalog_item", "tax_rate"], name="catalog_item_tax_unique")
        ]
