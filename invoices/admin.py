"""Platform admin for invoicing: read-only, one workspace at a time (see tenants.admin_scoping).

Staff look, they never edit: a finalized invoice is corrected in the product (void, credit note).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from django.contrib import admin
from django.http import HttpRequest

from invoices.models import (
    AllowanceCharge,
    BankAccount,
    CatalogItem,
    Client,
    CompanyProfile,
    Invoice,
    InvoiceEvent,
    InvoiceLine,
    InvoiceTaxTotal,
    Payment,
    TaxRate,
)
from invoices.money import format_money
from tenants.admin_scoping import TenantOwnedAdmin


def money(name: str, currency_of: Callable[[Any], str] = lambda obj: obj.currency) -> Callable[[Any], str]:
    """An admin column or read-only field showing the amount `name` in its currency's minor unit
    ("€128.30", not the column's four stored decimals "128.3000")."""

    @admin.display(description=name.replace("_", " "), ordering=name)
    def show(obj: Any) -> str:
        value = getattr(obj, name)
        return "" if value is None else format_money(value, currency_of(obj))

    show.__name__ = name
    return show


def number(name: str) -> Callable[[Any], str]:
    """A quantity or rate without the column's trailing zeros: "1.0000" → "1", "5.5000" → "5.5"."""

    @admin.display(description=name.replace("_", " "), ordering=name)
    def show(obj: Any) -> str:
        value = getattr(obj, name)
        return "" if value is None else f"{value.normalize():f}"

    show.__name__ = name
    return show


def _invoice_currency(obj: Any) -> str:
    return obj.invoice.currency


# A field of these pages: a name, or a callable showing a value (`money`, `number`). Django takes
# both in `fields` and `readonly_fields`; django-stubs types those as names only, hence the
# ignores where the two attributes are widened.
ShownField = str | Callable[[Any], str]


class ReadOnlyInline(admin.TabularInline):
    """Inlines run inside the change view's tenant scope, so the scoped managers apply."""

    # Wider than django-stubs' names-only types (see ShownField).
    fields: ClassVar[Sequence[ShownField]]  # type: ignore[assignment]
    readonly_fields: ClassVar[Sequence[ShownField]]  # type: ignore[assignment]
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LineInline(ReadOnlyInline):
    model = InvoiceLine
    fields = (
        "position",
        "description",
        number("quantity"),
        "unit",
        money("unit_price", _invoice_currency),
        money("discount", _invoice_currency),
        money("net_amount", _invoice_currency),
    )
    readonly_fields = fields


class TaxTotalInline(ReadOnlyInline):
    model = InvoiceTaxTotal
    fields = (
        "name",
        number("percentage"),
        "category",
        "inclusive",
        "compound",
        "exemption_code",
        money("taxable_base", _invoice_currency),
        money("tax_amount", _invoice_currency),
    )
    readonly_fields = fields


class AllowanceChargeInline(ReadOnlyInline):
    """The invoice's own allowances and charges and its lines' (read-only, as everything here)."""

    model = AllowanceCharge
    fields = (
        "line",
        "charge",
        "reason",
        "reason_code",
        number("percentage"),
        money("amount", _invoice_currency),
        "tax_rate_names",
    )
    readonly_fields = fields

    @admin.display(description="tax rates")
    def tax_rate_names(self, row: AllowanceCharge) -> str:
        return ", ".join(tax.tax_rate.name for tax in row.taxes.all()) or "—"


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = (
        "public_id",
        "paid_on",
        money("amount"),
        "currency",
        "method",
        "source",
        "reference",
        "recorded_by",
    )
    readonly_fields = fields


class EventInline(ReadOnlyInline):
    model = InvoiceEvent
    fields = ("created_at", "actor", "verb", "data")
    readonly_fields = fields
    verbose_name = "timeline entry"
    verbose_name_plural = "timeline"


class AmountsAdmin(TenantOwnedAdmin):
    """A tenant-owned admin whose read-only fields include amounts shown in their currency."""

    # Wider than django-stubs' names-only types (see ShownField).
    fields: ClassVar[Sequence[ShownField]]  # type: ignore[assignment]
    readonly_fields: ClassVar[Sequence[ShownField]]  # type: ignore[assignment]


@admin.register(Invoice)
class InvoiceAdmin(AmountsAdmin):
    list_display = [
        "__str__",
        "kind",
        "client",
        "status",
        "issue_date",
        "due_date",
        money("total"),
        "currency",
    ]
    list_filter = ("tenant", "status", "kind", "currency")
    list_select_related = ["client"]
    search_fields = ["number", "public_id", "client__name"]
    date_hierarchy = "issue_date"
    inlines = [LineInline, AllowanceChargeInline, TaxTotalInline, PaymentInline, EventInline]
    readonly_fields = (
        "public_id",
        "kind",
        "number",
        "status",
        "client",
        "credit_note_for",
        "currency",
        "issue_date",
        "due_date",
        money("subtotal"),
        money("discount_amount"),
        money("tax_total"),
        money("total"),
        money("amount_paid"),
        money("amount_credited"),
        money("balance_due"),
        "buyer_reference",
        "created_by",
        "created_at",
        "finalized_at",
        "paid_at",
        "voided_at",
    )
    fields = readonly_fields


@admin.register(Client)
class ClientAdmin(TenantOwnedAdmin):
    list_display = ["name", "country", "currency", "payment_terms_days", "archived_at"]
    search_fields = ["name", "public_id", "tax_id"]
    readonly_fields = (
        "public_id",
        "name",
        "emails",
        "country",
        "tax_id",
        "currency",
        "language",
        "payment_terms_days",
        "archived_at",
        "created_at",
    )
    fields = readonly_fields


@admin.register(TaxRate)
class TaxRateAdmin(TenantOwnedAdmin):
    list_display = ["name", "percentage", "category", "inclusive", "compound", "archived_at"]
    readonly_fields = (
        "public_id",
        "name",
        "percentage",
        "category",
        "inclusive",
        "compound",
        "exemption_reason",
        "exemption_code",
        "archived_at",
    )
    fields = readonly_fields


@admin.register(CatalogItem)
class CatalogItemAdmin(AmountsAdmin):
    list_display = ["name", "unit", money("unit_price"), "currency", "archived_at"]
    search_fields = ["name", "public_id"]
    readonly_fields = (
        "public_id",
        "name",
        "description",
        "unit",
        money("unit_price"),
        "currency",
        "archived_at",
    )
    fields = readonly_fields


@admin.register(CompanyProfile)
class CompanyProfileAdmin(TenantOwnedAdmin):
    list_display = ["legal_name", "tenant", "country", "vat_id", "registration_number"]
    search_fields = ["legal_name", "trading_name", "vat_id", "registration_number"]
    readonly_fields = (
        "legal_name",
        "trading_name",
        "address_line1",
        "address_line2",
        "postal_code",
        "city",
        "region",
        "country",
        "vat_id",
        "registration_scheme",
        "registration_number",
        "email",
        "phone",
        "website",
        "legal_mentions",
        "default_notes",
        "default_terms",
        "footer",
        "payment_terms_days",
        "updated_at",
    )
    fields = readonly_fields


@admin.register(BankAccount)
class BankAccountAdmin(TenantOwnedAdmin):
    list_display = ["__str__", "tenant", "currency", "payment_means", "is_default"]
    list_filter = ("currency", "is_default")
    readonly_fields = (
        "public_id",
        "label",
        "holder_name",
        "bank_name",
        "country",
        "currency",
        "iban",
        "bic",
        "account_number",
        "routing_code",
        "payment_means",
        "is_default",
        "created_at",
    )
    fields = readonly_fields
