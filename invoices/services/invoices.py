"""Invoice writes: drafts, finalization, void, uncollectible, the timeline's sent/viewed.

Status changes happen here (and in payments/credit notes) and nowhere else, each guarded. A
finalized invoice is never edited: it is voided or credited (the database refuses edits
too, see migration 0002).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.db import violated_constraint
from core.errors import ApplicationError
from invoices import limits
from invoices.checks import finalize_checks_run
from invoices.models import (
    NUMBER_UNIQUE,
    Client,
    DiscountType,
    EventVerb,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    SeriesKind,
)
from invoices.money import ZERO, check_currency, quantize_money
from invoices.prefetch import adopt_lines, prefetch_lines
from invoices.services.allowances import (
    AllowanceChargeData,
)
from invoices.services.common import check_writer, record_event, resolve, tenant_today
from invoices.services.details import DETAIL_FIELDS as DETAIL_FIELDS
from invoices.services.details import apply_details, document_items, totals_of
from invoices.services.lines import MAX_LINES as MAX_LINES  # re-exported (api.serializers)
from invoices.services.lines import MAX_METADATA_CHARS as MAX_METADATA_CHARS
from invoices.services.lines import (
    LineData,
    parse_discount,
    parse_lines,
    store_lines,
)
from invoices.services.numbering import number_take
from invoices.services.seller import (
    check_legally_complete,
    company_profile_get,
    default_bank_account,
    snapshot_bank_account,
    snapshot_profile,
)
from invoices.services.stored_totals import stored_totals_match
from tenants.models import Membership, Tenant


def lock_invoice(invoice: Invoice | str) -> Invoice:
    """The current tenant's invoice, its row locked until the transaction ends."""
    return resolve(Invoice, invoice, field="invoice", label=_("invoice"), lock=True)


def _touch(invoice: Invoice) -> None:
    invoice.content_version += 1


def drafts_mark_changed(*, client: Client | None = None) -> int:
    """The current tenant's drafts (of `client`, if given) print something that changed.

    Drafts print the workspace and the client as they are now, not a snapshot, so a new logo
    or a client's new address changes their document: bumping the content version makes the
    next "Generate PDF" render it again instead of reusing the stored file. Finalized
    invoices print their snapshots and keep their files. Returns how many drafts changed.
    """
    drafts = Invoice.objects.filter(status=InvoiceStatus.DRAFT)
    if client is not None:
        drafts = drafts.filter(client=client)
    return drafts.update(content_version=F("content_version") + 1)


def _require_draft(invoice: Invoice) -> None:
    if invoice.status != InvoiceStatus.DRAFT:
        raise ApplicationError(
            _("%(number)s is finalized and cannot be edited: void it or issue a credit note.")
            % {"number": invoice.number},
            code="not_draft",
        )


def client_for_invoice(client: Client | str) -> Client:
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
    allowances_charges: Sequence[AllowanceChargeData | Mapping[str, Any]] = (),
    **details: Any,
) -> Invoice:
    """A draft invoice with its lines and document-level allowances and charges, in one call.

    `details`: the EN 16931 fields of `DETAIL_FIELDS` (references, period, prepaid amount,
    cash rounding step).

    Currency defaults to the client's; the issue date to today (tenant's time zone); the due
    date to issue date + the client's payment terms. Nothing is saved if anything is invalid.
    """
    tenant = check_writer(actor)
    client = client_for_invoice(client)
    currency = check_currency((currency or client.currency).upper())
    issue_date, due_date = _dates(tenant, client, issue_date, due_date)
    parsed = parse_lines(lines, currency)
    discount = parse_discount(discount_type, discount_value, currency)
    # Blank notes and terms take the company's defaults (Settings → Company).
    profile = company_profile_get(tenant)
    notes, terms = notes.strip() or profile.default_notes, terms.strip() or profile.default_terms
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
        buyer_reference=buyer_reference.strip()[: limits.BUYER_REFERENCE_MAX],
        created_by=actor.user,
    )
    apply_details(invoice, details)
    document = document_items(invoice, allowances_charges)
    totals = totals_of(invoice, parsed, discount, document)
    invoice.save()
    store_lines(invoice, parsed, totals, document)
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
    allowances_charges: Sequence[AllowanceChargeData | Mapping[str, Any]] | None = None,
    **details: Any,
) -> Invoice:
    """Change a draft. `lines`, when given, replaces all lines (in the given order), and
    `allowances_charges` all document-level allowances and charges.

    Any argument left as None keeps its value. Only drafts: a finalized invoice is refused.
    A new client without an explicit due date moves the due date to its payment terms.
    """
    tenant = check_writer(actor)
    invoice = lock_invoice(invoice)
    _require_draft(invoice)
    if client is not None:
        new_client = client_for_invoice(client)
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
        lines = [LineData.from_line(line) for line in prefetch_lines(invoice)]
    if discount_type is not None:
        invoice.discount_type = discount_type
        if discount_value is None:
            discount_value = "0"
    discount = parse_discount(
        invoice.discount_type,
        invoice.discount_value if discount_value is None else discount_value,
        invoice.currency,
    )
    parsed = parse_lines(lines, invoice.currency)
    apply_details(invoice, details)
    document = document_items(invoice, allowances_charges)
    totals = totals_of(invoice, parsed, discount, document)
    invoice.discount_value = discount
    if notes is not None:
        invoice.notes = notes.strip()
    if terms is not None:
        invoice.terms = terms.strip()
    if buyer_reference is not None:
        invoice.buyer_reference = buyer_reference.strip()[: limits.BUYER_REFERENCE_MAX]
    store_lines(invoice, parsed, totals, document)
    _touch(invoice)
    invoice.save()
    record_event(invoice, verb=EventVerb.EDITED, actor=actor)
    return invoice


@transaction.atomic
def invoice_recalculate_draft(*, invoice: Invoice | str) -> Invoice:
    """Recompute a draft's stored totals from its lines and its rates' current percentages."""
    invoice = lock_invoice(invoice)
    _require_draft(invoice)
    lines = [LineData.from_line(line) for line in prefetch_lines(invoice)]
    parsed = parse_lines(lines, invoice.currency)
    document = document_items(invoice, None)
    totals = totals_of(invoice, parsed, invoice.discount_value, document)
    store_lines(invoice, parsed, totals, document)
    _touch(invoice)
    invoice.save()
    return invoice


@transaction.atomic
def invoice_delete_draft(*, actor: Membership, invoice: Invoice | str) -> None:
    """Drafts can be thrown away; finalized invoices never are."""
    check_writer(actor)
    invoice = lock_invoice(invoice)
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
        "peppol_scheme": client.peppol_scheme,
        "peppol_id": client.peppol_id,
    }


def snapshot_seller(tenant: Tenant, currency: str | None = None) -> dict[str, Any]:
    """The seller as the invoice states it, frozen at finalization: the workspace, its company
    profile (`invoices.services.seller`) and the default bank account of `currency`.

    Flat keys as the documents print them (`legal_name`, `address_line1`, `tax_id`, `iban`…)
    and the whole account under `bank_account`.
    """
    snapshot: dict[str, Any] = {
        "public_id": tenant.public_id,
        "name": tenant.name,
        "country": tenant.country,
        "locale": tenant.locale,
    }
    profile = snapshot_profile(tenant)
    snapshot.update(profile)
    if profile.get("vat_id"):
        snapshot["tax_id"] = profile["vat_id"]
    account = default_bank_account(currency) if currency else None
    if account is not None:
        snapshot["bank_account"] = snapshot_bank_account(account)
        for name in ("iban", "bic"):
            if getattr(account, name):
                snapshot[name] = getattr(account, name)
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
        if violated_constraint(error, Invoice) == NUMBER_UNIQUE:
            raise ApplicationError(
                _("Number %(number)s is already used: change the numbering pattern in settings.")
                % {"number": invoice.number},
                code="number_taken",
            ) from error
        raise


def finalize_locked(invoice: Invoice, actor: Membership | None, tenant: Tenant, series: str) -> None:
    """Number, snapshot and open a locked draft. Runs inside the caller's transaction."""
    stored = prefetch_lines(invoice)
    lines = [LineData.from_line(line) for line in stored]
    if not lines:
        raise ApplicationError(_("Add at least one line before finalizing."), field="lines", code="no_lines")
    # Totals are recomputed from the rates as they are now, then frozen (the lines are
    # written again only if that changed anything: a 5,000-line draft is not rewritten).
    parsed = parse_lines(lines, invoice.currency)
    document = document_items(invoice, None)
    totals = totals_of(invoice, parsed, invoice.discount_value, document)
    if not stored_totals_match(invoice, stored, parsed, totals, document):
        store_lines(invoice, parsed, totals, document)
    # From here the number is taken: any failure below rolls it back with the rest.
    _assign_number(invoice, series)
    invoice.client_snapshot = snapshot_client(invoice.client)
    invoice.seller_snapshot = snapshot_seller(tenant, invoice.currency)
    invoice.status = InvoiceStatus.OPEN
    invoice.finalized_at = timezone.now()
    invoice.amount_paid = quantize_money(ZERO, invoice.currency)
    invoice.amount_credited = quantize_money(ZERO, invoice.currency)
    invoice.balance_due = invoice.amount_due
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
    invoice = lock_invoice(invoice)
    _require_draft(invoice)
    if invoice.kind != InvoiceKind.INVOICE:
        raise ApplicationError(_("Credit notes are finalized when they are created."))
    # What the apps above refuse (the plan's monthly allowance): registered in invoices.checks.
    finalize_checks_run(tenant=tenant)
    # What the law of the seller's country asks the invoice to state (invoices.legal).
    check_legally_complete(invoice)
    finalize_locked(invoice, actor, tenant, SeriesKind.INVOICE)
    finalized = invoice_recompute_status(invoice=invoice, actor=actor)
    adopt_lines(finalized, invoice)  # the lines just read, for the answer that shows them
    return finalized


@transaction.atomic
def invoice_void(*, actor: Membership, invoice: Invoice | str, reason: str = "") -> Invoice:
    """Cancel a finalized invoice (or credit note) that has no payments and no credit notes.

    Its number stays used (no gap); its balance becomes 0. Voiding a credit note gives the
    credited amount back to its invoice's balance.
    """
    from invoices.services.payments import invoice_recompute_status

    check_writer(actor)
    invoice = lock_invoice(invoice)
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
    if invoice.credit_note_for is not None:
        parent = invoice_recompute_status(invoice=invoice.credit_note_for, actor=actor)
        record_event(parent, verb=EventVerb.EDITED, actor=actor, credit_note_voided=invoice.number)
    return invoice


@transaction.atomic
def invoice_mark_uncollectible(*, actor: Membership, invoice: Invoice | str, reason: str = "") -> Invoice:
    """Write off an unpaid invoice: open or partially paid → uncollectible.

    A later payment of the full balance still moves it to paid.
    """
    check_writer(actor)
    invoice = lock_invoice(invoice)
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
    invoice = lock_invoice(invoice)
    if invoice.status == InvoiceStatus.DRAFT:
        raise ApplicationError(_("Finalize the invoice before sending it."), code="not_finalized")
    # Announced as invoice.sent: the plans app counts it as metered usage (once per invoice).
    record_event(invoice, verb=EventVerb.SENT, actor=actor, to=list(to))
    return invoice


def invoice_record_view(*, invoice: Invoice, viewer: str = "client") -> None:
    """Record that the client opened the invoice's public page (no actor: it is the client)."""
    record_event(invoice, verb=EventVerb.VIEWED, actor=None, viewer=viewer)
