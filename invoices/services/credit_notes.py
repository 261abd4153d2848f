"""Credit notes (their own number series) and duplicates.

A credit note made against an invoice reduces that invoice's balance. A stand-alone credit note
(`credit_note_create_standalone`: its own lines, no preceding invoice, EN 16931 BT-25 left out)
changes no invoice's balance: it is a credit to the client, counted once, in the client's
statement (portal.statement) and as `credit` in `selectors.client_balances`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from invoices import limits
from invoices.calculation import Totals
from invoices.models import Client, DiscountType, EventVerb, Invoice, InvoiceKind, InvoiceStatus, SeriesKind
from invoices.money import ZERO, check_currency, format_money, quantize_money
from invoices.prefetch import prefetch_lines
from invoices.services.allowances import (
    AllowanceChargeData,
    ParsedAllowanceCharge,
    document_rows,
    parse_allowances_charges,
)
from invoices.services.common import check_writer, record_event, resolve, tenant_today
from invoices.services.invoices import (
    client_for_invoice,
    finalize_locked,
    invoice_create_draft,
    lock_invoice,
)
from invoices.services.lines import LineData, calculate_totals, parse_lines, store_lines
from invoices.services.payments import invoice_recompute_status
from tenants.models import Membership


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
    tenant = check_writer(actor)
    original = lock_invoice(invoice)
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
    document: list[ParsedAllowanceCharge] = []
    if lines is None:
        lines = [LineData.from_line(line) for line in prefetch_lines(original)]
        discount_type, discount_value = original.discount_type, original.discount_value
        # The whole invoice: its document-level allowances and charges too.
        document = parse_allowances_charges(
            [AllowanceChargeData.from_row(row) for row in document_rows(original)],
            original.currency,
            prefix=("allowances_charges",),
            document=True,
        )
    else:
        discount_type, discount_value = DiscountType.AMOUNT, quantize_money(ZERO, original.currency)
    parsed = parse_lines(lines, original.currency)
    if not parsed:
        raise ApplicationError(_("Add at least one line to credit."), field="lines", code="no_lines")
    totals = calculate_totals(
        parsed, original.currency, discount_type, discount_value, allowances_charges=document
    )
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
    _issue(note, parsed, totals, document, actor, credit_note_for=original.number)
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


def _issue(
    note: Invoice,
    parsed: list[Any],
    totals: Totals,
    document: list[ParsedAllowanceCharge],
    actor: Membership,
    **created: Any,
) -> None:
    """Save `note` with its lines and issue it at once in the credit-note series (gapless: the
    number is taken inside the caller's transaction). Nothing is due on a credit note."""
    note.save()
    store_lines(note, parsed, totals, document)
    record_event(note, verb=EventVerb.CREATED, actor=actor, **created)
    finalize_locked(note, actor, note.tenant, SeriesKind.CREDIT_NOTE)
    note.balance_due = quantize_money(ZERO, note.currency)
    note.save(update_fields=["balance_due"])


@transaction.atomic
def credit_note_create_standalone(
    *,
    actor: Membership,
    client: Client | str,
    currency: str,
    lines: Sequence[LineData | Mapping[str, Any]],
    reason: str = "",
    issue_date: date | None = None,
    allowances_charges: Sequence[AllowanceChargeData | Mapping[str, Any]] = (),
    buyer_reference: str = "",
) -> Invoice:
    """Issue a credit note for `client` with its own lines, referring to no invoice.

    `buyer_reference` (BT-10) is what Peppol asks of a document with no order reference
    (PEPPOL-EN16931-R003); a credit note against an invoice takes its invoice's.

    Numbered in the credit-note series and immutable at once, like any credit note. It changes
    no invoice's balance: it is a credit to the client (see the module's docstring). Nothing is
    written if anything is invalid.
    """
    tenant = check_writer(actor)
    client = client_for_invoice(client)
    currency = check_currency((currency or "").strip().upper())
    parsed = parse_lines(lines, currency)
    if not parsed:
        raise ApplicationError(_("Add at least one line to credit."), field="lines", code="no_lines")
    document = parse_allowances_charges(
        list(allowances_charges), currency, prefix=("allowances_charges",), document=True
    )
    zero = quantize_money(ZERO, currency)
    totals = calculate_totals(parsed, currency, DiscountType.AMOUNT, zero, allowances_charges=document)
    if totals.total <= ZERO:
        raise ApplicationError(_("A credit note must credit more than zero."), field="lines")
    issue_date = issue_date or tenant_today(tenant)
    note = Invoice(
        tenant=tenant,
        kind=InvoiceKind.CREDIT_NOTE,
        credit_note_for=None,
        client=client,
        currency=currency,
        issue_date=issue_date,
        due_date=issue_date,
        discount_type=DiscountType.AMOUNT,
        discount_value=zero,
        notes=reason.strip(),
        buyer_reference=buyer_reference.strip()[: limits.BUYER_REFERENCE_MAX],
        created_by=actor.user,
    )
    _issue(note, parsed, totals, document, actor, standalone=True)
    return note


@transaction.atomic
def invoice_duplicate(*, actor: Membership, invoice: Invoice | str) -> Invoice:
    """A new draft with the same client, currency, lines, discount, notes and terms, dated today."""
    tenant = check_writer(actor)
    source = resolve(Invoice, invoice, field="invoice", label=_("invoice"))
    if source.kind != InvoiceKind.INVOICE:
        raise ApplicationError(_("Credit notes cannot be duplicated."), code="invalid_status")
    lines = [LineData.from_line(line) for line in prefetch_lines(source)]
    copy = invoice_create_draft(
        actor=actor,
        client=source.client,
        lines=lines,
        currency=source.currency,
        issue_date=tenant_today(tenant),
        discount_type=source.discount_type,
        discount_value=source.discount_value,
        allowances_charges=[AllowanceChargeData.from_row(row) for row in document_rows(source)],
        notes=source.notes,
        terms=source.terms,
        buyer_reference=source.buyer_reference,
    )
    record_event(source, verb=EventVerb.DUPLICATED, actor=actor, duplicate_id=copy.public_id)
    copy.events.filter(verb=EventVerb.CREATED).update(
        data={"duplicated_from": source.number or source.public_id}
    )
    return copy
