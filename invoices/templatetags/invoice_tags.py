"""Template helpers for the invoicing pages: money, numbers and dates through the one formatting
path (`invoices.l10n`, Babel, in the active language), status badges."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from invoices import addresses
from invoices.l10n import active_formatter
from invoices.models import EventVerb, InvoiceEvent, InvoiceStatus
from invoices.money import is_currency

register = template.Library()

BADGES = {
    InvoiceStatus.DRAFT: "badge--muted",
    InvoiceStatus.OPEN: "",
    InvoiceStatus.PARTIALLY_PAID: "badge--warn",
    InvoiceStatus.PAID: "badge--ok",
    InvoiceStatus.VOID: "badge--muted badge--strike",
    InvoiceStatus.UNCOLLECTIBLE: "badge--bad",
    "overdue": "badge--bad",
}
STATUS_LABELS = {**dict(InvoiceStatus.choices), "overdue": gettext_lazy("Overdue")}


@register.filter
def money(amount: Decimal | None, currency: str) -> str:
    """`{{ invoice.total|money:invoice.currency }}` → "€1,234.50" (the currency's minor unit)."""
    if amount is None or not is_currency(currency or ""):
        return ""
    return active_formatter().money(Decimal(amount), currency)


@register.filter
def number(value: Decimal | None) -> str:
    """A quantity in the active language: 12.5000 → "12.5" in English, "12,5" in French."""
    return active_formatter().number(value)


@register.filter
def address_lines(party: Any) -> list[str]:
    """A client's or workspace's address as its country writes it, one item a line."""
    return addresses.address_lines(party)


@register.filter
def country_name(code: str | None) -> str:
    """ "FR" → "France", in the active language."""
    return active_formatter().country(code)


@register.filter
def language_name(code: str | None) -> str:
    """ "fr" → "French", in the active language."""
    return active_formatter().language(code)


@register.filter
def medium_date(value: date | None) -> str:
    """A date as the PDF prints it: "31 Dec 2026", "31 déc. 2026", "31.12.2026"."""
    return active_formatter().date(value)


@register.inclusion_tag("invoices/_status_badge.html")
def status_badge(invoice: Any) -> dict[str, str]:
    status = invoice.display_status
    return {"status": status, "label": STATUS_LABELS.get(status, status), "css": BADGES.get(status, "")}


@register.simple_tag
def event_summary(event: InvoiceEvent, currency: str = "", short: bool = False) -> str:
    """One line of the timeline: "finalized as INV-2026-00001", "recorded a payment of €20.00".

    `short` leaves out what the dashboard shows beside it anyway (the document's number).
    """
    data = event.data or {}
    verb = event.get_verb_display()
    if short and event.verb != EventVerb.PAYMENT_RECORDED:
        return str(verb)
    if event.verb == EventVerb.FINALIZED and data.get("number"):
        return _("finalized as %(number)s") % {"number": data["number"]}
    if event.verb == EventVerb.PAYMENT_RECORDED and data.get("amount") and currency:
        return _("recorded a payment of %(amount)s") % {"amount": money(Decimal(data["amount"]), currency)}
    if event.verb == EventVerb.CREDITED and data.get("credit_note"):
        return _("credited with %(number)s") % {"number": data["credit_note"]}
    if event.verb == EventVerb.CREATED and data.get("duplicated_from"):
        return _("created as a copy of %(source)s") % {"source": data["duplicated_from"]}
    if event.verb == EventVerb.CREATED and data.get("credit_note_for"):
        return _("created as a credit note for %(number)s") % {"number": data["credit_note_for"]}
    if event.verb == EventVerb.SENT and data.get("to"):
        return _("sent to %(to)s") % {"to": ", ".join(data["to"])}
    if event.verb == EventVerb.EDITED and data.get("payment_removed"):
        return _("removed a payment")
    if data.get("reason"):
        return f"{verb} ({data['reason']})"
    return str(verb)


@register.filter
def actor_name(event: InvoiceEvent) -> str:
    if event.actor is None:
        return _("The client") if event.verb == EventVerb.VIEWED else _("InvoiceFlow")
    return event.actor.get_full_name()


@register.filter
def percent(value: Decimal | None) -> str:
    """The number of a percentage in the active language: 20.0000 → "20", 9.9750 → "9.975"
    ("9,975" in French); the template writes the sign."""
    return active_formatter().number(value)


@register.filter
def document_label(invoice: Any) -> str:
    """ "INV-2026-00042", or "Draft" for a document that has no number yet."""
    return invoice.number or (_("Draft credit note") if invoice.is_credit_note else _("Draft"))
