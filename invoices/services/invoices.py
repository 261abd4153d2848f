"""Invoice writes: drafts, finalization, void, uncollectible, credit notes, duplicates.

Status changes happen here and nowhere else, each guarded. A finalized invoice is never
edited: it is voided or credited (the database refuses edits too, see migration 0002).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from invoiceflow.errors import ApplicationError
from invoices import calculation
from invoices.calculation import CalculationError, LineInput, RateInput, Totals
from invoices.models import (
    CatalogItem,
    Client,
    DiscountType,
    EventVerb,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceLineTax,
    InvoiceStatus,
    InvoiceTaxTotal,
    SeriesKind,
    TaxRate,
)
from invoices.money import (
    ZERO,
    check_currency,
    check_fits,
    format_money,
    parse_amount,
    parse_percentage,
    parse_quantity,
    quantize_money,
)
from invoices.services._common import check_writer, record_event, resolve, tenant_today
from invoices.services.catalog import resolve_tax_rates
from invoices.services.numbering import number_take
from tenants.models import Membership, Tenant
from tenants.scoping import current_tenant

MAX_LINES = 500
MAX_METADATA_CHARS = 10_000


@dataclass
class LineData:
    """One line as entered. Amounts as strings (from a form), Decimals or ints; never floats.

    `tax_rates` and `catalog_item` are public ids (or instances) of the current tenant.
    """

    description: str
    quantity: Decimal | int | str
    unit_price: Decimal | int | str
    unit: str = ""
    discount: Decimal | int | str = "0"
    tax_rates: Sequence[TaxRate | str] = ()
    metadata: dict[str, Any] = field(default_factory=dict)
    catalog_item: CatalogItem | str | None = None

    @classmethod
    def from_line(cls, line: InvoiceLine) -> LineData:
        return cls(
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            unit=line.unit,
            discount=line.discount,
            tax_rates=[tax.tax_rate for tax in line.line_taxes.all()],
            metadata=dict(line.metadata),
            catalog_item=line.catalog_item,
        )


@dataclass
class _ParsedLine:
    data: LineData
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal
    rates: list[TaxRate]
    catalog_item: CatalogItem | None

    def calculation_input(self) -> LineInput:
        return LineInput(
            quantity=self.quantity,
            unit_price=self.unit_price,
            discount=self.discount,
            rates=tuple(rate_input(rate) for rate in self.rates),
        )


def rate_input(rate: TaxRate) -> RateInput:
    return RateInput(
        key=rate.pk, percentage=rate.percentage, inclusive=rate.inclusive, compound=rate.compound
    )


def _line_field(index: int, name: str) -> str:
    """Field names follow Django formsets with the prefix "lines": lines-0-quantity."""
    return f"lines-{index}-{name}"


def _as_line_data(line: LineData | Mapping[str, Any]) -> LineData:
    if isinstance(line, LineData):
        return line
    known = set(LineData.__dataclass_fields__)
    return LineData(**{key: value for key, value in line.items() if key in known})


def _parse_lines(lines: Sequence[LineData | Mapping[str, Any]], currency: str) -> list[_ParsedLine]:
    if len(lines) > MAX_LINES:
        raise ApplicationError(_("An invoice has at most %(n)d lines.") % {"n": MAX_LINES}, field="lines")
    items = [_as_line_data(line) for line in lines]
    wanted_items = {
        item.catalog_item.public_id if isinstance(item.catalog_item, CatalogItem) else item.catalog_item
        for item in items
        if item.catalog_item
    }
    catalog = {item.public_id: item for item in CatalogItem.objects.filter(public_id__in=wanted_items)}
    parsed = []
    for index, item in enumerate(items):
        description = (item.description or "").strip()
        if not description:
            raise ApplicationError(
                _("Describe what this line is for."), field=_line_field(index, "description")
            )
        quantity = parse_quantity(item.quantity, field=_line_field(index, "quantity"))
        unit_price = parse_amount(
            item.unit_price,
            currency=currency,
            field=_line_field(index, "unit_price"),
            label=_("the unit price"),
        )
        discount = parse_amount(
            item.discount,
            currency=currency,
            field=_line_field(index, "discount"),
            blank_is_zero=True,
            label=_("the discount"),
        )
        rates = resolve_tax_rates(list(item.tax_rates), field=_line_field(index, "tax_rates"))
        catalog_item = None
        if item.catalog_item:
            key = (
                item.catalog_item.public_id
                if isinstance(item.catalog_item, CatalogItem)
                else item.catalog_item
            )
            catalog_item = catalog.get(key)
            if catalog_item is None:
                raise ApplicationError(
                    _("No such catalog item."), field=_line_field(index, "catalog_item"), code="not_found"
                )
        if not isinstance(item.metadata, dict) or len(str(item.metadata)) > MAX_METADATA_CHARS:
            raise ApplicationError(
                _("Line metadata must be a JSON object under 10,000 characters."),
                field=_line_field(index, "metadata"),
            )
        parsed.append(_ParsedLine(item, quantity, unit_price, discount, rates, catalog_item))
    return parsed


def _parse_discount(discount_type: str, discount_value: Decimal | int | str | None, currency: str) -> Decimal:
    if discount_type not in DiscountType.values:
        raise ApplicationError(_("Choose an amount or a percentage."), field="discount_type")
    if discount_type == DiscountType.PERCENT:
        return parse_percentage(
            discount_value if discount_value not in (None, "") else "0", field="discount_value"
        )
    return parse_amount(
        discount_value, currency=currency, field="discount_value", blank_is_zero=True, label=_("the discount")
    )


def _calculate(
    parsed: list[_ParsedLine], currency: str, discount_type: str, discount_value: Decimal
) -> Totals:
    try:
        totals = calculation.calculate(
            [line.calculation_input() for line in parsed],
            currency,
            discount_amount=discount_value if discount_type == DiscountType.AMOUNT else None,
            discount_percent=discount_value if discount_type == DiscountType.PERCENT else None,
        )
    except CalculationError as error:
        name = error.field if error.index is None else _line_field(error.index, error.field)
        if error.field == "discount" and error.index is None:
            name = "discount_value"
        raise ApplicationError(_(str(error)), field=name) from None
    for index, amount in enumerate(totals.line_amounts):
        check_fits(amount, field=_line_field(index, "quantity"))
    for amount in (totals.subtotal, totals.tax_total, totals.total):
        check_fits(amount, field="lines")
    return totals


def invoice_calculate(
    *,
    currency: str,
    lines: Sequence[LineData | Mapping[str, Any]],
    discount_type: str = DiscountType.AMOUNT,
    discount_value: Decimal | int | str | None = "0",
) -> Totals:
    """Totals for lines as entered, without saving anything: the builder's live preview.

    Raises ApplicationError (with a field name like "lines-2-unit_price") on bad input, so
    the page can show the message beside the field. Same code as the stored totals.
    """
    currency = check_currency((currency or "").upper())
    parsed = _parse_lines(lines, currency)
    return _calculate(
        parsed, currency, discount_type, _parse_discount(discount_type, discount_value, currency)
    )


# --- storing ---------------------------------------------------------------------------------


def _store_lines(invoice: Invoice, parsed: list[_ParsedLine], totals: Totals) -> None:
    """Replace the invoice's lines, their taxes and the per-rate tax totals."""
    tenant = current_tenant()
    InvoiceLine.objects.filter(invoice=invoice).delete()
    InvoiceTaxTotal.objects.filter(invoice=invoice).delete()
    lines = InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                tenant=tenant,
                invoice=invoice,
                position=position,
                catalog_item=line.catalog_item,
                description=line.data.description.strip(),
                quantity=line.quantity,
                unit=(line.data.unit or "").strip()[:30],
                unit_price=line.unit_price,
                discount=line.discount,
                net_amount=amount,
                metadata=line.data.metadata,
            )
            for position, (line, amount) in enumerate(zip(parsed, totals.line_amounts, strict=True))
        ]
    )
    InvoiceLineTax.objects.bulk_create(
        [
            InvoiceLineTax(tenant=tenant, line=line, tax_rate=rate)
            for line, source in zip(lines, parsed, strict=True)
            for rate in source.rates
        ]
    )
    rates = {rate.pk: rate for line in parsed for rate in line.rates}
    InvoiceTaxTotal.objects.bulk_create(
        [
            InvoiceTaxTotal(
                tenant=tenant,
                invoice=invoice,
                tax_rate=rates[tax.rate.key],
                name=rates[tax.rate.key].name,
                percentage=tax.rate.percentage,
                inclusive=tax.rate.inclusive,
                compound=tax.rate.compound,
                category=rates[tax.rate.key].category,
                exemption_reason=rates[tax.rate.key].exemption_reason,
                taxable_base=tax.taxable_base,
                tax_amount=tax.tax_amount,
                position=position,
            )
            for position, tax in enumerate(totals.taxes)
        ]
    )
    invoice.subtotal = totals.subtotal
    invoice.discount_amount = totals.discount
    invoice.tax_total = totals.tax_total
    invoice.total = totals.total
    invoice.balance_due = totals.total if invoice.status != InvoiceStatus.DRAFT else ZERO


def _lock(invoice: Invoice | str) -> Invoice:
    """The current tenant's invoice, its row locked until the transaction ends."""
    return resolve(Invoice, invoice, field="invoice", label=_("invoice"), lock=True)


def _touch(invoice: Invoice) -> None:
    invoice.content_version += 1
    invoice.updated_at = timezone.now()


def _require_draft(invoice: Invoice) -> None:
    if invoice.status != InvoiceStatus.DRAFT:
        raise ApplicationError(
            _("%(number)s is finalized and cannot be edited: void it or issue a credit note.")
            % {"number": invoice.number},
            code="not_draft",
        )


def _client_for_invoice(client: Client | str) -> Client:
    found = resolve(Client, client, field="client", label=_("client"))
    if found.archived_at is not None:
        raise ApplicationError(_("%(name)s is archived.") % {"name": found.name}, field="client")
    return found


def _dates(
    tenant: Tenant, client: Client, issue_date: date | None, due_date: date | None
) -> tuple[date, date]:
    issue_date = issue_date or tenant_today(tenant)
    due_date = due_date or issue_date + timedelta(days=client.payment_terms_days)
    if due_date < issue_date:
        raise ApplicationError(_("The due date cannot be before the issue date."), field="due_date")
    return issue_date, due_date


@transaction.atomic
def invoice_create_draft(
    *,
    actor: Membership,
    client: Client | str,
    lines: Sequence[LineData | Mapping[str, Any]] = (),
    currency: str | None = None,
    issue_date: date | None = None,
    due_date: date | None = None,
    discount_type: str = DiscountType.AMOUNT,
    discount_value: Decimal | int | str | None = "0",
    notes: str = "",
    terms: str = "",
    buyer_reference: str = "",
) -> Invoice:
    """A draft invoice with its lines, in one call.

    Currency defaults to the client's; the issue date to today (tenant's time zone); the due
    date to issue date + the client's payment terms. Nothing is saved if anything is invalid.
    """
    tenant = check_writer(actor)
    client = _client_for_invoice(client)
    currency = check_currency((currency or client.currency).upper())
    issue_date, due_date = _dates(tenant, client, issue_date, due_date)
    parsed = _parse_lines(lines, currency)
    discount = _parse_discount(discount_type, discount_value, currency)
    totals = _calculate(parsed, currency, discount_type, discount)
    invoice = Invoice(
        tenant=tenant,
        kind=InvoiceKind.INVOICE,
        client=client,
        currency=currency,
        issue_date=issue_date,
        due_date=due_date,
        discount_type=discount_type,
        discount_value=discount,
        notes=notes.strip(),
        terms=terms.strip(),
        buyer_reference=buyer_reference.strip()[:100],
        created_by=actor.user,
    )
    invoice.save()
    _store_lines(invoice, parsed, totals)
    invoice.save()
    record_event(invoice, verb=EventVerb.CREATED, actor=actor)
    return invoice


@transaction.atomic
def invoice_update_draft(
    *,
    actor: Membership,
    invoice: Invoice | str,
    lines: Sequence[LineData | Mapping[str, Any]] | None = None,
    client: Client | str | None = None,
    currency: str | None = None,
    issue_date: date | None = None,
    due_date: date | None = None,
    discount_type: str | None = None,
    discount_value: Decimal | int | str | None = None,
    notes: str | None = None,
    terms: str | None = None,
    buyer_reference: str | None = None,
) -> Invoice:
    """Change a draft. `lines`, when given, replaces all lines (in the given order).

    Any argument left as None keeps its value. Only drafts: a finalized invoice is refused.
    A new client without an explicit due date moves the due date to its payment terms.
    """
    tenant = check_writer(actor)
    invoice = _lock(invoice)
    _require_draft(invoice)
    if client is not None:
        new_client = _client_for_invoice(client)
        if new_client.pk != invoice.client_id and due_date is None:
            due_date = (issue_date or invoice.issue_date) + timedelta(days=new_client.payment_terms_days)
        invoice.client = new_client
    if currency is not None:
        invoice.currency = check_currency(currency.upper())
    if issue_date is not None and due_date is None:
        due_date = issue_date + (invoice.due_date - invoice.issue_date)
    invoice.issue_date, invoice.due_date = _dates(
        tenant, invoice.client, issue_date or invoice.issue_date, due_date or invoice.due_date
    )
    if lines is None:
        lines = [LineData.from_line(line) for line in invoice.lines.prefetch_related("line_taxes__tax_rate")]
    if discount_type is not None:
        invoice.discount_type = discount_type
        if discount_value is None:
            discount_value = "0"
    discount = _parse_discount(
        invoice.discount_type,
        invoice.discount_value if discount_value is None else discount_value,
        invoice.currency,
    )
    parsed = _parse_lines(lines, invoice.currency)
    totals = _calculate(parsed, invoice.currency, invoice.discount_type, discount)
    invoice.discount_value = discount
    if notes is not None:
        invoice.notes = notes.strip()
    if terms is not None:
        invoice.terms = terms.strip()
    if buyer_reference is not None:
        invoice.buyer_reference = buyer_reference.strip()[:100]
    _store_lines(invoice, parsed, totals)
    _touch(invoice)
    invoice.save()
    record_event(invoice, verb=EventVerb.EDITED, actor=actor)
    return invoice


@transaction.atomic
def invoice_recalculate_draft(*, invoice: Invoice | str) -> Invoice:
    """Recompute a draft's stored totals from its lines and its rates' current percentages."""
    invoice = _lock(invoice)
    _require_draft(invoice)
    lines = [LineData.from_line(line) for line in invoice.lines.prefetch_related("line_taxes__tax_rate")]
    parsed = _parse_lines(lines, invoice.currency)
    totals = _calculate(parsed, invoice.currency, invoice.discount_type, invoice.discount_value)
    _store_lines(invoice, parsed, totals)
    _touch(invoice)
    invoice.save()
    return invoice


@transaction.atomic
def invoice_delete_draft(*, actor: Membership, invoice: Invoice | str) -> None:
    """Drafts can be thrown away; finalized invoices never are."""
    check_writer(actor)
    invoice = _lock(invoice)
    _require_draft(invoice)
    invoice.events.all().delete()
    invoice.delete()


# --- finalization ----------------------------------------------------------------------------


def snapshot_client(client: Client) -> dict[str, Any]:
    """The client as the invoice states it, frozen at finalization."""
    return {
        "public_id": client.public_id,
        "name": client.name,
        "emails": list(client.emails),
        "address_line1": client.address_line1,
        "address_line2": client.address_line2,
        "postal_code": client.postal_code,
        "city": client.city,
        "region": client.region,
        "country": client.country,
        "tax_id": client.tax_id,
        "language": client.language,
    }


SELLER_OPTIONAL_FIELDS = (
    "legal_name",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "region",
    "tax_id",
    "email",
    "phone",
    "website",
    "iban",
    "bic",
)


def snapshot_seller(tenant: Tenant) -> dict[str, Any]:
    """The seller (tenant) as the invoice states it, frozen at finalization.

    Takes the business details the tenant model has today and any of SELLER_OPTIONAL_FIELDS
    it gains later.
    """
    snapshot = {
        "public_id": tenant.public_id,
        "name": tenant.name,
        "country": tenant.country,
        "locale": tenant.locale,
    }
    for name in SELLER_OPTIONAL_FIELDS:
        value = getattr(tenant, name, None)
        if isinstance(value, str) and value:
            snapshot[name] = value
    return snapshot


def _assign_number(invoice: Invoice, kind: str) -> None:
    taken = number_take(kind=kind, on=invoice.issue_date)
    invoice.number = taken.number
    invoice.sequence = taken.sequence
    invoice.number_period = taken.period


def _save_finalized(invoice: Invoice) -> None:
    try:
        with transaction.atomic():
            invoice.save()
    except IntegrityError as error:
        if "number" in str(error).lower():
            raise ApplicationError(
                _("Number %(number)s is already used: change the numbering pattern in settings.")
                % {"number": invoice.number},
                code="number_taken",
            ) from error
        raise


def _finalize_locked(invoice: Invoice, actor: Membership | None, tenant: Tenant, series: str) -> None:
    """Number, snapshot and open a locked draft. Runs inside the caller's transaction."""
    lines = [LineData.from_line(line) for line in invoice.lines.prefetch_related("line_taxes__tax_rate")]
    if not lines:
        raise ApplicationError(_("Add at least one line before finalizing."), field="lines", code="no_lines")
    # Totals are recomputed from the rates as they are now, then frozen.
    parsed = _parse_lines(lines, invoice.currency)
    totals = _calculate(parsed, invoice.currency, invoice.discount_type, invoice.discount_value)
    _store_lines(invoice, parsed, totals)
    # From here the number is taken: any failure below rolls it back with the rest.
    _assign_number(invoice, series)
    invoice.client_snapshot = snapshot_client(invoice.client)
    invoice.seller_snapshot = snapshot_seller(tenant)
    invoice.status = InvoiceStatus.OPEN
    invoice.finalized_at = timezone.now()
    invoice.amount_paid = quantize_money(ZERO, invoice.currency)
    invoice.amount_credited = quantize_money(ZERO, invoice.currency)
    invoice.balance_due = invoice.total
    _touch(invoice)
    _save_finalized(invoice)
    record_event(invoice, verb=EventVerb.FINALIZED, actor=actor, number=invoice.number)


@transaction.atomic
def invoice_finalize(*, actor: Membership, invoice: Invoice | str) -> Invoice:
    """Give a draft its number and make it immutable: draft → open (→ paid if total is 0).

    The number comes from the series counter, locked inside this transaction, so it is
    consumed only if finalization commits. Refused for a draft with no lines.
    """
    from invoices.services.payments import invoice_recompute_status

    tenant = check_writer(actor)
    invoice = _lock(invoice)
    _require_draft(invoice)
    if invoice.kind != InvoiceKind.INVOICE:
        raise ApplicationError(_("Credit notes are finalized when they are created."))
    _finalize_locked(invoice, actor, tenant, SeriesKind.INVOICE)
    return invoice_recompute_status(invoice=invoice, actor=actor)


@transaction.atomic
def invoice_void(*, actor: Membership, invoice: Invoice | str, reason: str = "") -> Invoice:
    """Cancel a finalized invoice (or credit note) that has no payments and no credit notes.

    Its number stays used (no gap); its balance becomes 0. Voiding a credit note gives the
    credited amount back to its invoice's balance.
    """
    from invoices.services.payments import invoice_recompute_status

    check_writer(actor)
    invoice = _lock(invoice)
    if invoice.status == InvoiceStatus.DRAFT:
        raise ApplicationError(_("A draft is deleted, not voided."), code="invalid_status")
    if invoice.status == InvoiceStatus.VOID:
        raise ApplicationError(
            _("%(number)s is already void.") % {"number": invoice.number}, code="invalid_status"
        )
    if invoice.kind == InvoiceKind.INVOICE:
        if invoice.status == InvoiceStatus.PAID or invoice.payments.exists():
            raise ApplicationError(
                _("%(number)s has payments: issue a credit note instead of voiding it.")
                % {"number": invoice.number},
                code="has_payments",
            )
        if invoice.credit_notes.exclude(status=InvoiceStatus.VOID).exists():
            raise ApplicationError(
                _("%(number)s has credit notes: issue a credit note for the rest instead.")
                % {"number": invoice.number},
                code="has_credit_notes",
            )
    invoice.status = InvoiceStatus.VOID
    invoice.voided_at = timezone.now()
    invoice.balance_due = quantize_money(ZERO, invoice.currency)
    _touch(invoice)
    invoice.save()
    record_event(invoice, verb=EventVerb.VOIDED, actor=actor, reason=reason.strip()[:500])
    if invoice.credit_note_for_id:
        parent = invoice_recompute_status(invoice=invoice.credit_note_for, actor=actor)
        record_event(parent, verb=EventVerb.EDITED, actor=actor, credit_note_voided=invoice.number)
    return invoice


@transaction.atomic
def invoice_mark_uncollectible(*, actor: Membership, invoice: Invoice | str, reason: str = "") -> Invoice:
    """Write off an unpaid invoice: open or partially paid → uncollectible.

    A later payment of the full balance still moves it to paid.
    """
    check_writer(actor)
    invoice = _lock(invoice)
    if invoice.kind != InvoiceKind.INVOICE or invoice.status not in (
        InvoiceStatus.OPEN,
        InvoiceStatus.PARTIALLY_PAID,
    ):
        raise ApplicationError(
            _("Only an unpaid, finalized invoice can be marked uncollectible."), code="invalid_status"
        )
    invoice.status = InvoiceStatus.UNCOLLECTIBLE
    invoice.marked_uncollectible_at = timezone.now()
    _touch(invoice)
    invoice.save()
    record_event(invoice, verb=EventVerb.MARKED_UNCOLLECTIBLE, actor=actor, reason=reason.strip()[:500])
    return invoice


@transaction.atomic
def invoice_mark_sent(*, actor: Membership | None, invoice: Invoice | str, to: Sequence[str] = ()) -> Invoice:
    """Record on the timeline that a finalized invoice was sent (the emailing service calls this)."""
    if actor is not None:
        check_writer(actor)
    invoice = _lock(invoice)
    if invoice.status == InvoiceStatus.DRAFT:
        raise ApplicationError(_("Finalize the invoice before sending it."), code="not_finalized")
    record_event(invoice, verb=EventVerb.SENT, actor=actor, to=list(to))
    return invoice


def invoice_record_view(*, invoice: Invoice, viewer: str = "client") -> None:
    """Record that the client opened the invoice's public page (no actor: it is the client)."""
    record_event(invoice, verb=EventVerb.VIEWED, actor=None, viewer=viewer)


# --- credit notes and duplicates --------------------------------------------------------------


@transaction.atomic
def credit_note_create(
    *,
    actor: Membership,
    invoice: Invoice | str,
    lines: Sequence[LineData | Mapping[str, Any]] | None = None,
    currency: str | None = None,
    reason: str = "",
    issue_date: date | None = None,
) -> Invoice:
    """Issue a credit note against a finalized invoice, numbered in its own series.

    Without `lines` it credits the whole invoice (its lines copied), which needs the whole
    total still due. Its total is taken off the invoice's balance and may never exceed it:
    a balance never goes below zero. `currency`, if given, must be the invoice's.
    """
    from invoices.services.payments import invoice_recompute_status

    tenant = check_writer(actor)
    original = _lock(invoice)
    if original.kind != InvoiceKind.INVOICE:
        raise ApplicationError(_("A credit note cannot itself be credited."), code="invalid_status")
    if original.status not in (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.UNCOLLECTIBLE):
        raise ApplicationError(
            _("Only an unpaid or partly paid finalized invoice can be credited (this one is %(status)s).")
            % {"status": original.get_status_display().lower()},
            code="invalid_status",
        )
    if currency is not None and currency.upper() != original.currency:
        raise ApplicationError(
            _("A credit note is in its invoice's currency (%(currency)s).") % {"currency": original.currency},
            field="currency",
        )
    if lines is None:
        lines = [LineData.from_line(line) for line in original.lines.prefetch_related("line_taxes__tax_rate")]
        discount_type, discount_value = original.discount_type, original.discount_value
    else:
        discount_type, discount_value = DiscountType.AMOUNT, quantize_money(ZERO, original.currency)
    parsed = _parse_lines(lines, original.currency)
    if not parsed:
        raise ApplicationError(_("Add at least one line to credit."), field="lines", code="no_lines")
    totals = _calculate(parsed, original.currency, discount_type, discount_value)
    if totals.total <= ZERO:
        raise ApplicationError(_("A credit note must credit more than zero."), field="lines")
    if totals.total > original.balance_due:
        locale = original.client.language or "en"
        raise ApplicationError(
            _("This credit note (%(credit)s) exceeds what is still due on %(number)s (%(due)s).")
            % {
                "credit": format_money(totals.total, original.currency, locale),
                "number": original.number,
                "due": format_money(original.balance_due, original.currency, locale),
            },
            field="lines",
            code="exceeds_balance",
        )
    issue_date = issue_date or tenant_today(tenant)
    note = Invoice(
        tenant=tenant,
        kind=InvoiceKind.CREDIT_NOTE,
        credit_note_for=original,
        client=original.client,
        currency=original.currency,
        issue_date=issue_date,
        due_date=issue_date,
        discount_type=discount_type,
        discount_value=discount_value,
        notes=reason.strip(),
        buyer_reference=original.buyer_reference,
        created_by=actor.user,
    )
    note.save()
    _store_lines(note, parsed, totals)
    record_event(note, verb=EventVerb.CREATED, actor=actor, credit_note_for=original.number)
    _finalize_locked(note, actor, tenant, SeriesKind.CREDIT_NOTE)
    # The credit is applied at once: nothing is due on a credit note.
    note.balance_due = quantize_money(ZERO, note.currency)
    note.save(update_fields=["balance_due"])
    record_event(
        original,
        verb=EventVerb.CREDITED,
        actor=actor,
        credit_note=note.number,
        credit_note_id=note.public_id,
        amount=str(note.total),
    )
    invoice_recompute_status(invoice=original, actor=actor)
    return note


@transaction.atomic
def invoice_duplicate(*, actor: Membership, invoice: Invoice | str) -> Invoice:
    """A new draft with the same client, currency, lines, discount, notes and terms, dated today."""
    tenant = check_writer(actor)
    source = resolve(Invoice, invoice, field="invoice", label=_("invoice"))
    if source.kind != InvoiceKind.INVOICE:
        raise ApplicationError(_("Credit notes cannot be duplicated."), code="invalid_status")
    lines = [LineData.from_line(line) for line in source.lines.prefetch_related("line_taxes__tax_rate")]
    copy = invoice_create_draft(
        actor=actor,
        client=source.client,
        lines=lines,
        currency=source.currency,
        issue_date=tenant_today(tenant),
        discount_type=source.discount_type,
        discount_value=source.discount_value,
        notes=source.notes,
        terms=source.terms,
        buyer_reference=source.buyer_reference,
    )
    record_event(source, verb=EventVerb.DUPLICATED, actor=actor, duplicate_id=copy.public_id)
    copy.events.filter(verb=EventVerb.CREATED).update(
        data={"duplicated_from": source.number or source.public_id}
    )
    return copy
