"""Platform admin for invoicing: read-only, one workspace at a time (see tenants.admin_scoping).

Staff look, they never edit: a finalized invoice is corrected in the product (void, credit note).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from invoices.models import (
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
from tenants.admin_scoping import TenantOwnedAdmin


class ReadOnlyInline(admin.TabularInline):
    """Inlines run inside the change view's tenant scope, so the scoped managers apply."""

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
    fields = ["position", "description", "quantity", "unit", "unit_price", "discount", "net_amount"]
    readonly_fields = fields


class TaxTotalInline(ReadOnlyInline):
    model = InvoiceTaxTotal
    fields = ["name", "percentage", "category", "inclusive", "compound", "taxable_base", "tax_amount"]
    readonly_fields = fields


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = ["public_id", "paid_on", "amount", "currency", "method", "source", "reference", "recorded_by"]
    readonly_fields = fields


class EventInline(ReadOnlyInline):
    model = InvoiceEvent
    fields = ["created_at", "actor", "verb", "data"]
    readonly_fields = fields
    verbose_name = "timeline entry"
    verbose_name_plural = "timeline"


@admin.register(Invoice)
class InvoiceAdmin(TenantOwnedAdmin):
    list_display = ["__str__", "kind", "client", "status", "issue_date", "due_date", "total", "currency"]
    list_filter = ("tenant", "status", "kind", "currency")
    list_select_related = ["client"]
    search_fields = ["number", "public_id", "client__name"]
    date_hierarchy = "issue_date"
    inlines = [LineInline, TaxTotalInline, PaymentInline, EventInline]
    readonly_fields = [
        "public_id",
        "kind",
        "number",
        "status",
        "client",
        "credit_note_for",
        "currency",
        "issue_date",
        "due_date",
        "subtotal",
        "discount_amount",
        "tax_total",
        "total",
        "amount_paid",
        "amount_credited",
        "balance_due",
        "buyer_reference",
        "created_by",
        "created_at",
        "finalized_at",
        "paid_at",
        "voided_at",
    ]
    fields = readonly_fields


@admin.register(Client)
class ClientAdmin(TenantOwnedAdmin):
    list_display = ["name", "country", "currency", "payment_terms_days", "archived_at"]
    search_fields = ["name", "public_id", "tax_id"]
    readonly_fields = [
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
    ]
    fields = readonly_fields


@admin.register(TaxRate)
class TaxRateAdmin(TenantOwnedAdmin):
    list_display = ["name", "percentage", "category", "inclusive", "compound", "archived_at"]
    readonly_fields = [
        "public_id",
        "name",
        "percentage",
        "category",
        "inclusive",
        "compound",
        "exemption_reason",
        "archived_at",
    ]
    fields = readonly_fields


@admin.register(CatalogItem)
class CatalogItemAdmin(TenantOwnedAdmin):
    list_display = ["name", "unit", "unit_price", "currency", "archived_at"]
    search_fields = ["name", "public_id"]
    readonly_fields = ["public_id", "name", "description", "unit", "unit_price", "currency", "archived_at"]
    fields = readonly_fields


@admin.register(CompanyProfile)
class CompanyProfileAdmin(TenantOwnedAdmin):
    list_display = ["legal_name", "tenant", "country", "vat_id", "registration_number"]
    search_fields = ["legal_name", "trading_name", "vat_id", "registration_number"]
    readonly_fields = [
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
    ]
    fields = readonly_fields


@admin.register(BankAccount)
class BankAccountAdmin(TenantOwnedAdmin):
    list_display = ["__str__", "tenant", "currency", "payment_means", "is_default"]
    list_filter = ("currency", "is_default")
    readonly_fields = [
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
    ]
    fields = readonly_fields
