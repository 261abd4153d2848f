"""Allowances and charges (EN 16931 BG-20/BG-21 on the document, BG-27/BG-28 on a line).

One table for both levels: a row with a `line` belongs to that line and takes the line's
tax rates; a row without one is document-level and names its own rates (BT-95/BT-102, the
VAT category and rate it reduces or adds to) through `AllowanceChargeTax`. What the user
entered (an amount, or a percentage of an optional base) is kept beside what the engine
computed (`amount`, BT-92/BT-99/BT-136/BT-141), written only by `invoices.services`.
Immutable once the invoice is finalized (the child guard of migration 0002, extended by
migration 0017).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from invoices.models.base import MoneyField
from invoices.models.catalog import TaxRate
from invoices.models.invoices import Invoice, InvoiceLine
from invoices.money import PERCENT_DECIMAL_PLACES, PERCENT_MAX_DIGITS
from tenants.scoping import TenantOwnedModel

REASON_MAX = 300


class AllowanceCharge(TenantOwnedModel):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="allowances_charges")
    line = models.ForeignKey(
        InvoiceLine, null=True, blank=True, on_delete=models.CASCADE, related_name="allowances_charges"
    )
    position = models.PositiveIntegerField(default=0)
    charge = models.BooleanField(_("charge"), default=False)  # BT-... ChargeIndicator
    # As entered: `percentage` (BT-94) of `base_amount` (BT-93, None: the default base), or
    # a fixed amount (percentage None, the amount below as entered).
    percentage = models.DecimalField(
        _("percentage"),
        max_digits=PERCENT_MAX_DIGITS,
        decimal_places=PERCENT_DECIMAL_PLACES,
        null=True,
        blank=True,
    )
    base_amount = MoneyField(_("base amount"), required=True, null=True, blank=True)
    # As computed: the amount (BT-92/99/136/141), and its base when it is a percentage.
    amount = MoneyField(_("amount"))
    computed_base = MoneyField(_("computed base"), required=True, null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=REASON_MAX, blank=True)  # BT-97/104/139/144
    reason_code = models.CharField(_("reason code"), max_length=3, blank=True)  # UNTDID 5189 / 7161
    tax_rates = models.ManyToManyField(TaxRate, through="AllowanceChargeTax", related_name="+")

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="allowance_charge_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(percentage__isnull=True)
                | models.Q(percentage__gte=0, percentage__lte=100),
                name="allowance_charge_percentage_0_to_100",
            ),
            models.CheckConstraint(
                condition=models.Q(base_amount__isnull=True) | models.Q(percentage__isnull=False),
                name="allowance_charge_base_with_percentage",
            ),
        ]

    def __str__(self) -> str:
        return self.reason or self.reason_code

    @property
    def is_document_level(self) -> bool:
        return self.line_id is None


class AllowanceChargeTax(TenantOwnedModel):
    """A document-level allowance's or charge's tax rate. `invoice` is repeated so that the
    finalized-invoice guard finds the parent as it does for the other children."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="+")
    allowance_charge = models.ForeignKey(AllowanceCharge, on_delete=models.CASCADE, related_name="taxes")
    tax_rate = models.ForeignKey(TaxRate, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["allowance_charge", "tax_rate"], name="allowance_charge_tax_unique"
            )
        ]
