"""Invoices made from an accepted quote: the whole quote at once, or a deposit, progress
invoices and a final invoice that deducts what was already invoiced.

A deposit or progress invoice bills a fraction of the quote: one line per group of lines that
share the same taxes, each the group's amount (after the quote's own discount, spread over the
groups in proportion) times the fraction, so every tax is charged at its rate on its share.
The final invoice repeats the quote's lines and deducts each earlier invoice of the quote line
by line (negative quantities, the same taxes: EN 16931 lets an invoice carry such lines), so
its totals and tax breakdown are the quote's minus what was billed before.
"""

from __future__ import annotations

from collections import OrderedDict
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from invoices import services as invoicing
from invoices.models import DiscountType, Invoice, InvoiceStatus
from invoices.money import HUNDRED, ZERO, parse_amount, parse_percentage, quantize_money
from invoices.services import LineData
from invoices.services.common import check_writer, resolve
from invoices.services.lines import calculate_totals, parse_discount, parse_lines
from quotes.models import BillingKind, Quote, QuoteEventVerb, QuoteInvoice, QuoteStatus
from quotes.services import quote_line_data, record
from tenants.models import Membership

# Metadata that lets a line's quantity be negative (invoices.services.lines): it deducts an
# invoice billed before.
DEDUCTS = "deducts"
# A percentage or an amount as entered: parsed by the money module.
Amount = Decimal | int | str | None


def _lock(quote: Quote | str) -> Quote:
    return resolve(Quote, quote, field="quote", label=_("quote"), lock=True)


def _require_billable(quote: Quote) -> None:
    if quote.status != QuoteStatus.ACCEPTED:
        raise ApplicationError(_("Only an accepted quote is invoiced."), code="invalid_status")


def _billings(quote: Quote) -> list[QuoteInvoice]:
    return list(
        QuoteInvoice.objects.filter(quote=quote)
        .exclude(invoice__status=InvoiceStatus.VOID)
        .select_related("invoice")
    )


def quote_net(quote: Quote) -> Decimal:
    """What the quote bills before tax: its lines less its discount."""
    return quote.subtotal - quote.discount_amount


def invoiced_net(quote: Quote) -> Decimal:
    """Billed so far before tax, by the deposit and progress invoices that are not void."""
    billed = (
        QuoteInvoice.objects.filter(quote=quote, kind__in=[BillingKind.DEPOSIT, BillingKind.PROGRESS])
        .exclude(invoice__status=InvoiceStatus.VOID)
        .aggregate(total=Sum("invoice__subtotal"))["total"]
    )
    return billed or ZERO


def _groups(quote: Quote) -> list[tuple[tuple[str, ...], Decimal]]:
    """(tax rates, amount after the quote's discount) per group of lines with the same taxes."""
    lines = quote_line_data(quote)
    parsed = parse_lines(lines, quote.currency)
    discount = parse_discount(quote.discount_type, quote.discount_value, quote.currency)
    totals = calculate_totals(parsed, quote.currency, quote.discount_type, discount)
    groups: OrderedDict[tuple[str, ...], Decimal] = OrderedDict()
    for line, amount in zip(parsed, totals.line_amounts, strict=True):
        key = tuple(sorted(rate.public_id for rate in line.rates))
        groups[key] = groups.get(key, ZERO) + amount
    result, left = [], totals.discount
    keys = list(groups)
    for index, key in enumerate(keys):
        share = (
            left
            if index == len(keys) - 1
            else quantize_money(totals.discount * groups[key] / totals.subtotal, quote.currency)
            if totals.subtotal
            else ZERO
        )
        left -= share
        result.append((key, groups[key] - share))
    return result


def _link(quote: Quote, invoice: Invoice, kind: str, actor: Membership) -> None:
    QuoteInvoice.objects.create(quote=quote, invoice=invoice, kind=kind)
    record(quote, verb=QuoteEventVerb.INVOICED, actor=actor, invoice=invoice.public_id, kind=kind)


def _fraction_invoice(actor: Membership, quote: Quote, fraction: Decimal, kind: str, label: str) -> Invoice:
    groups = _groups(quote)
    # Each group's share is rounded to the minor unit: allow that much over the quote's net.
    slack = quantize_money(Decimal("0.01"), quote.currency) * len(groups)
    if invoiced_net(quote) + quote_net(quote) * fraction > quote_net(quote) + slack:
        raise ApplicationError(
            _("This would invoice more than the quote: %(done)s of %(net)s is invoiced already.")
            % {"done": invoiced_net(quote), "net": quote_net(quote)},
            code="over_invoiced",
        )
    lines = [
        LineData(
            description=label,
            quantity="1",
            unit_price=quantize_money(amount * fraction, quote.currency),
            tax_rates=list(rates),
        )
        for rates, amount in groups
        if amount
    ]
    invoice = invoicing.invoice_create_draft(
        actor=actor,
        client=quote.client,
        currency=quote.currency,
        lines=lines,
        notes=_("%(kind)s on quote %(number)s.") % {"kind": BillingKind(kind).label, "number": quote.number},
    )
    _link(quote, invoice, kind, actor)
    return invoice


def _fraction(quote: Quote, percent: Amount, amount: Amount) -> Decimal:
    if (percent in (None, "")) == (amount in (None, "")):
        raise ApplicationError(_("Enter a percentage or an amount."), field="percent")
    if percent not in (None, ""):
        value = parse_percentage(percent, field="percent")
        if value <= 0:
            raise ApplicationError(_("Enter more than 0 %."), field="percent")
        return value / HUNDRED
    value = parse_amount(amount, currency=quote.currency, field="amount", label=_("the amount"))
    if value <= 0 or value > quote.total:
        raise ApplicationError(_("Enter an amount up to the quote's total."), field="amount")
    # The amount is what the client pays, taxes included: the same fraction of every group.
    return value / quote.total


@transaction.atomic
def quote_invoice_deposit(
    *, actor: Membership, quote: Quote | str, percent: Amount = None, amount: Amount = None
) -> Invoice:
    """A draft deposit invoice: a percentage of the quote, or an amount (taxes included)."""
    check_writer(actor)
    quote = _lock(quote)
    _require_billable(quote)
    fraction = _fraction(quote, percent, amount)
    label = _("Deposit on quote %(number)s") % {"number": quote.number}
    return _fraction_invoice(actor, quote, fraction, BillingKind.DEPOSIT, label)


@transaction.atomic
def quote_invoice_progress(*, actor: Membership, quote: Quote | str, percent: Amount) -> Invoice:
    """A draft progress invoice: the share of the work done since the last one."""
    check_writer(actor)
    quote = _lock(quote)
    _require_billable(quote)
    fraction = _fraction(quote, percent, None)
    label = _("Progress billing on quote %(number)s") % {"number": quote.number}
    return _fraction_invoice(actor, quote, fraction, BillingKind.PROGRESS, label)


def _close(actor: Membership, quote: Quote, invoice: Invoice, kind: str) -> Invoice:
    _link(quote, invoice, kind, actor)
    quote.status = QuoteStatus.CONVERTED
    quote.converted_at = timezone.now()
    quote.save(update_fields=["status", "converted_at"])
    record(quote, verb=QuoteEventVerb.CONVERTED, actor=actor, invoice=invoice.public_id)
    return invoice


@transaction.atomic
def quote_invoice_full(*, actor: Membership, quote: Quote | str) -> Invoice:
    """A draft invoice of the whole quote, when nothing was invoiced from it yet."""
    check_writer(actor)
    quote = _lock(quote)
    _require_billable(quote)
    if _billings(quote):
        raise ApplicationError(
            _("Part of this quote is invoiced: make the final invoice."), code="has_billings"
        )
    invoice = invoicing.invoice_create_draft(
        actor=actor,
        client=quote.client,
        currency=quote.currency,
        lines=quote_line_data(quote),
        discount_type=quote.discount_type,
        discount_value=quote.discount_value,
        notes=quote.notes,
        terms=quote.terms,
        buyer_reference=quote.number or "",
    )
    return _close(actor, quote, invoice, BillingKind.FULL)


@transaction.atomic
def quote_invoice_final(*, actor: Membership, quote: Quote | str) -> Invoice:
    """A draft final invoice: the quote's lines, less every earlier invoice of the quote. The
    earlier ones must be finalized first (the deduction names their numbers)."""
    check_writer(actor)
    quote = _lock(quote)
    _require_billable(quote)
    earlier = _billings(quote)
    drafts = [billing.invoice for billing in earlier if billing.invoice.status == InvoiceStatus.DRAFT]
    if drafts:
        raise ApplicationError(
            _("Finalize the earlier invoices of this quote before the final one."), code="earlier_drafts"
        )
    lines = quote_line_data(quote)
    for billing in earlier:
        invoice = billing.invoice
        label = _("Less %(kind)s %(number)s of %(date)s") % {
            "kind": BillingKind(billing.kind).label.lower(),
            "number": invoice.number,
            "date": invoice.issue_date.isoformat(),
        }
        for line in invoice.lines.prefetch_related("line_taxes__tax_rate"):
            lines.append(
                LineData(
                    description=label,
                    quantity=-line.quantity,
                    unit_price=line.unit_price,
                    discount=line.discount,
                    tax_rates=[tax.tax_rate for tax in line.line_taxes.all()],
                    metadata={DEDUCTS: invoice.public_id},
                )
            )
    invoice = invoicing.invoice_create_draft(
        actor=actor,
        client=quote.client,
        currency=quote.currency,
        lines=lines,
        # As an amount: a percentage would also shrink the deductions.
        discount_type=DiscountType.AMOUNT,
        discount_value=quote.discount_amount,
        notes=_("Final invoice on quote %(number)s.") % {"number": quote.number},
        terms=quote.terms,
        buyer_reference=quote.number or "",
    )
    return _close(actor, quote, invoice, BillingKind.FINAL)
