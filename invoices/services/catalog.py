"""Writes for clients, tax rates and catalog items."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, FieldRef
from invoices.models import (
    AllowanceChargeTax,
    CatalogItem,
    CatalogItemTaxRate,
    Client,
    Invoice,
    InvoiceLineTax,
    InvoiceStatus,
    TaxCategory,
    TaxRate,
)
from invoices.money import check_currency, parse_amount, parse_percentage
from invoices.services.common import check_writer, full_clean, resolve
from tenants.models import Membership

# --- clients -------------------------------------------------------------------------------

CLIENT_FIELDS = (
    "name",
    "emails",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "region",
    "country",
    "tax_id",
    "currency",
    "language",
    "payment_terms_days",
    "notes",
    "peppol_scheme",
    "peppol_id",
    "einvoice_format",
    "facturx",
)


def _normalize_emails(emails: Sequence[str] | str) -> list[str]:
    """Accepts a list, or one string with addresses separated by commas, semicolons or lines."""
    if isinstance(emails, str):
        emails = emails.replace(";", ",").replace("\n", ",").split(",")
    seen: list[str] = []
    for email in emails:
        cleaned = str(email).strip().lower()
        if cleaned and cleaned not in seen:
            seen.append(cleaned)
    return seen


def _payment_terms(value: int | str) -> int:
    try:
        days = int(str(value).strip())
    except ValueError:
        raise ApplicationError(_("Payment terms are a number of days."), field="payment_terms_days") from None
    if not 0 <= days <= 365:
        raise ApplicationError(_("Payment terms are 0 to 365 days."), field="payment_terms_days")
    return days


def _apply_client_fields(client: Client, fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(CLIENT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown client fields: {sorted(unknown)}")
    for name, value in fields.items():
        if name == "emails":
            value = _normalize_emails(value)
        elif name == "payment_terms_days":
            value = _payment_terms(value)
        elif name in ("country", "currency", "peppol_scheme"):
            value = (value or "").strip().upper()
        elif isinstance(value, str):
            value = value.strip()
        setattr(client, name, value)
    if not client.name:
        raise ApplicationError(_("Enter the client's name."), field="name")
    if not client.emails:
        raise ApplicationError(_("Enter at least one email address."), field="emails")
    full_clean(client)


@transaction.atomic
def client_create(
    *,
    actor: Membership,
    name: str,
    emails: Sequence[str] | str,
    currency: str | None = None,
    language: str | None = None,
    payment_terms_days: int | str = 30,
    address_line1: str = "",
    address_line2: str = "",
    postal_code: str = "",
    city: str = "",
    region: str = "",
    country: str = "",
    tax_id: str = "",
    notes: str = "",
    peppol_scheme: str = "",
    peppol_id: str = "",
    einvoice_format: str = "",
    facturx: bool | None = None,
) -> Client:
    """A new client. Currency and language default to the workspace's."""
    tenant = check_writer(actor)
    client = Client(tenant=tenant)
    _apply_client_fields(
        client,
        {
            "name": name,
            "emails": emails,
            "currency": currency or tenant.default_currency,
            "language": language or tenant.locale,
            "payment_terms_days": payment_terms_days,
            "address_line1": address_line1,
            "address_line2": address_line2,
            "postal_code": postal_code,
            "city": city,
            "region": region,
            "country": country,
            "tax_id": tax_id,
            "notes": notes,
            "peppol_scheme": peppol_scheme,
            "peppol_id": peppol_id,
            "einvoice_format": einvoice_format,
            "facturx": facturx,
        },
    )
    client.save()
    return client


@transaction.atomic
def client_update(*, actor: Membership, client: Client | str, **fields: Any) -> Client:
    """Change any of `CLIENT_FIELDS`. Finalized invoices keep their snapshot of the old details."""
    check_writer(actor)
    client = resolve(Client, client, field="client", label=_("client"), lock=True)
    _apply_client_fields(client, fields)
    client.save()
    # Imported here: invoices.services.invoices imports this module.
    from invoices.services.invoices import drafts_mark_changed

    drafts_mark_changed(client=client)
    return client


@transaction.atomic
def client_archive(*, actor: Membership, client: Client | str) -> Client:
    """Hide a client from pickers and lists; its invoices stay. Archiving is how clients go."""
    check_writer(actor)
    client = resolve(Client, client, field="client", label=_("client"), lock=True)
    if client.archived_at is None:
        client.archived_at = timezone.now()
        client.save(update_fields=["archived_at"])
    return client


@transaction.atomic
def client_unarchive(*, actor: Membership, client: Client | str) -> Client:
    check_writer(actor)
    client = resolve(Client, client, field="client", label=_("client"), lock=True)
    client.archived_at = None
    client.save(update_fields=["archived_at"])
    return client


@transaction.atomic
def client_delete(*, actor: Membership, client: Client | str) -> None:
    """Delete a client that was never invoiced; one with invoices must be archived instead."""
    check_writer(actor)
    client = resolve(Client, client, field="client", label=_("client"), lock=True)
    if Invoice.objects.filter(client=client).exists():
        raise ApplicationError(
            _("%(name)s has invoices, so it cannot be deleted: archive it instead.") % {"name": client.name},
            code="has_invoices",
        )
    client.delete()


# --- tax rates -----------------------------------------------------------------------------


def _apply_tax_rate_fields(rate: TaxRate, fields: dict[str, Any]) -> None:
    allowed = {
        "name",
        "percentage",
        "inclusive",
        "compound",
        "category",
        "exemption_reason",
        "exemption_code",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"Unknown tax rate fields: {sorted(unknown)}")
    for name, value in fields.items():
        if name == "percentage":
            value = parse_percentage(value)
        elif name in ("inclusive", "compound"):
            if not isinstance(value, bool):
                raise TypeError(f"{name} is a bool.")
        elif name == "category":
            if value not in TaxCategory.values:
                raise ApplicationError(_("Choose a tax category."), field="category")
        elif isinstance(value, str):
            value = value.strip()
        setattr(rate, name, value)
    if not rate.name:
        raise ApplicationError(_("Name the tax rate."), field="name")
    full_clean(rate)


@transaction.atomic
def tax_rate_create(
    *,
    actor: Membership,
    name: str,
    percentage: Decimal | int | str,
    inclusive: bool = False,
    compound: bool = False,
    category: str = TaxCategory.STANDARD,
    exemption_reason: str = "",
    exemption_code: str = "",
) -> TaxRate:
    """A tax rate. Categories E, AE, K, G and O need an exemption reason (text, or a VATEX
    code such as VATEX-EU-AE: BT-120/BT-121) and a 0 % rate."""
    tenant = check_writer(actor)
    rate = TaxRate(tenant=tenant)
    _apply_tax_rate_fields(
        rate,
        {
            "name": name,
            "percentage": percentage,
            "inclusive": inclusive,
            "compound": compound,
            "category": category,
            "exemption_reason": exemption_reason,
            "exemption_code": exemption_code,
        },
    )
    rate.save()
    return rate


@transaction.atomic
def tax_rate_update(*, actor: Membership, tax_rate: TaxRate | str, **fields: Any) -> TaxRate:
    """Change a rate. Drafts using it are recomputed; finalized invoices keep their snapshot."""
    from invoices.services.invoices import invoice_recalculate_draft

    check_writer(actor)
    rate = resolve(TaxRate, tax_rate, field="tax_rate", label=_("tax rate"), lock=True)
    _apply_tax_rate_fields(rate, fields)
    rate.save()
    drafts = Invoice.objects.filter(
        Q(pk__in=InvoiceLineTax.objects.filter(tax_rate=rate).values("line__invoice_id"))
        | Q(pk__in=AllowanceChargeTax.objects.filter(tax_rate=rate).values("invoice_id")),
        status=InvoiceStatus.DRAFT,
    )
    for draft in drafts:
        invoice_recalculate_draft(invoice=draft)
    return rate


@transaction.atomic
def tax_rate_archive(*, actor: Membership, tax_rate: TaxRate | str) -> TaxRate:
    """Hide a rate from pickers. Invoices that used it are unaffected."""
    check_writer(actor)
    rate = resolve(TaxRate, tax_rate, field="tax_rate", label=_("tax rate"), lock=True)
    if rate.archived_at is None:
        rate.archived_at = timezone.now()
        rate.save(update_fields=["archived_at"])
    return rate


def resolve_tax_rates(
    values: Sequence[TaxRate | str], *, field: FieldRef, known: Mapping[str, TaxRate] | None = None
) -> list[TaxRate]:
    """The current tenant's rates named by public ids or instances, in one query, in order.

    `known`: the rates already read (by public id), for a caller resolving many lines with
    one query (`tax_rates_by_public_id`); then no query is made."""
    wanted = [value.public_id if isinstance(value, TaxRate) else value for value in values]
    if len(set(wanted)) != len(wanted):
        raise ApplicationError(_("Each tax rate can apply only once."), field=field)
    found = known if known is not None else tax_rates_by_public_id(wanted)
    missing = [public_id for public_id in wanted if public_id not in found]
    if missing:
        raise ApplicationError(_("No such tax rate."), field=field, code="not_found")
    return [found[public_id] for public_id in wanted]


def tax_rates_by_public_id(values: Iterable[TaxRate | str]) -> dict[str, TaxRate]:
    """The current tenant's rates among `values` (public ids or instances), in one query."""
    wanted = {value.public_id if isinstance(value, TaxRate) else value for value in values}
    if not wanted:
        return {}
    return {rate.public_id: rate for rate in TaxRate.objects.filter(public_id__in=wanted)}


# --- catalog -------------------------------------------------------------------------------


def _set_item_taxes(item: CatalogItem, rates: list[TaxRate]) -> None:
    CatalogItemTaxRate.objects.filter(catalog_item=item).delete()
    for rate in rates:
        CatalogItemTaxRate.objects.create(catalog_item=item, tax_rate=rate)


@transaction.atomic
def catalog_item_create(
    *,
    actor: Membership,
    name: str,
    unit_price: Decimal | int | str,
    currency: str | None = None,
    description: str = "",
    unit: str = "",
    tax_rates: Sequence[TaxRate | str] = (),
) -> CatalogItem:
    """A reusable product or service; `tax_rates` are the defaults a new line gets."""
    tenant = check_writer(actor)
    currency = check_currency((currency or tenant.default_currency).upper())
    item = CatalogItem(
        tenant=tenant,
        name=name.strip(),
        description=description.strip(),
        unit=unit.strip(),
        currency=currency,
        unit_price=parse_amount(unit_price, currency=currency, field="unit_price", label=_("the unit price")),
    )
    if not item.name:
        raise ApplicationError(_("Name the item."), field="name")
    rates = resolve_tax_rates(tax_rates, field="tax_rates")
    full_clean(item)
    item.save()
    _set_item_taxes(item, rates)
    return item


@transaction.atomic
def catalog_item_update(
    *,
    actor: Membership,
    item: CatalogItem | str,
    name: str | None = None,
    unit_price: Decimal | int | str | None = None,
    currency: str | None = None,
    description: str | None = None,
    unit: str | None = None,
    tax_rates: Sequence[TaxRate | str] | None = None,
) -> CatalogItem:
    """Change the given fields (None leaves a field as it is)."""
    check_writer(actor)
    item = resolve(CatalogItem, item, field="item", label=_("catalog item"), lock=True)
    if currency is not None:
        item.currency = check_currency(currency.upper())
    if name is not None:
        item.name = name.strip()
        if not item.name:
            raise ApplicationError(_("Name the item."), field="name")
    if description is not None:
        item.description = description.strip()
    if unit is not None:
        item.unit = unit.strip()
    price = item.unit_price if unit_price is None else unit_price
    item.unit_price = parse_amount(
        price, currency=item.currency, field="unit_price", label=_("the unit price")
    )
    full_clean(item)
    item.save()
    if tax_rates is not None:
        _set_item_taxes(item, resolve_tax_rates(tax_rates, field="tax_rates"))
    return item


@transaction.atomic
def catalog_item_archive(*, actor: Membership, item: CatalogItem | str) -> CatalogItem:
    check_writer(actor)
    item = resolve(CatalogItem, item, field="item", label=_("catalog item"), lock=True)
    if item.archived_at is None:
        item.archived_at = timezone.now()
        item.save(update_fields=["archived_at"])
    return item
