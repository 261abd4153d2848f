"""Writes for quotes: drafts, sending, the client's answer, expiry. Keyword-only services named
`quote_<action>`; each raises `core.errors.ApplicationError` and changes nothing when it does.

Lines, taxes and totals go through the invoicing services (`invoices.services.lines`): a quote
and the invoice made from it are computed by the same code. Invoices made from a quote:
`quotes.invoicing`.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from invoices.models import Client, ClientContact, DiscountType, SeriesKind
from invoices.money import check_currency, parse_percentage
from invoices.services import LineData
from invoices.services.common import check_writer, resolve, tenant_today
from invoices.services.lines import calculate_totals, parse_discount, parse_lines
from invoices.services.numbering import number_take
from quotes.models import OnAccept, Quote, QuoteEvent, QuoteEventVerb, QuoteStatus
from quotes.topics import quote_event_publish
from tenants.doors import door_find
from tenants.models import Membership, Tenant
from tenants.scoping import tenant_scope

logger = logging.getLogger(__name__)

TOKEN_BYTES = 32
TOKEN_LENGTH = 43  # URL-safe base64 of 32 bytes
DEFAULT_VALIDITY_DAYS = 30
MAX_NAME = 200
MAX_REASON = 2000


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def record(quote: Quote, *, verb: str, actor: Membership | None = None, **data: Any) -> QuoteEvent:
    """The one place quote timeline rows are written; announced through the outbox."""
    event = QuoteEvent.objects.create(quote=quote, actor=actor.user if actor else None, verb=verb, data=data)
    quote_event_publish(event)
    return event


def _lock(quote: Quote | str) -> Quote:
    return resolve(Quote, quote, field="quote", label=_("quote"), lock=True)


def _touch(quote: Quote) -> None:
    quote.content_version += 1


def _plain(value: object) -> str:
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def _stored_line(line: LineData) -> dict[str, Any]:
    return {
        "description": line.description.strip(),
        "quantity": _plain(line.quantity),
        "unit": (line.unit or "").strip()[:30],
        "unit_price": _plain(line.unit_price),
        "discount": _plain(line.discount or "0"),
        "tax_rates": [getattr(rate, "public_id", rate) for rate in line.tax_rates],
    }


def quote_line_data(quote: Quote) -> list[LineData]:
    """The quote's lines as the invoicing services take them."""
    return [LineData(**{**line, "tax_rates": list(line.get("tax_rates", []))}) for line in quote.lines]


def _compute(
    quote: Quote, lines: Sequence[LineData | Mapping[str, Any]], discount_value: Decimal | int | str | None
) -> None:
    parsed = parse_lines(lines, quote.currency)
    if not parsed:
        raise ApplicationError(_("Add at least one line."), field="lines", code="no_lines")
    discount = parse_discount(quote.discount_type, discount_value, quote.currency)
    totals = calculate_totals(parsed, quote.currency, quote.discount_type, discount)
    quote.lines = [_stored_line(line.data) for line in parsed]
    for stored, line in zip(quote.lines, parsed, strict=True):
        stored["tax_rates"] = [rate.public_id for rate in line.rates]
    quote.discount_value = discount
    quote.subtotal = totals.subtotal
    quote.discount_amount = totals.discount
    quote.tax_total = totals.tax_total
    quote.total = totals.total
    names: dict[Any, str] = {rate.pk: rate.name for line in parsed for rate in line.rates}
    quote.tax_breakdown = [
        {
            "name": names.get(tax.rate.key, ""),
            "percentage": _plain(tax.rate.percentage),
            "taxable_base": _plain(tax.taxable_base),
            "tax_amount": _plain(tax.tax_amount),
        }
        for tax in totals.taxes
    ]


def _client(value: Client | str) -> Client:
    client = resolve(Client, value, field="client", label=_("client"))
    if client.archived_at is not None:
        raise ApplicationError(_("%(name)s is archived.") % {"name": client.name}, field="client")
    return client


def _contact(client: Client, value: ClientContact | str | None) -> ClientContact | None:
    if not value:
        return None
    contact = resolve(ClientContact, value, field="contact", label=_("contact"))
    if contact.client_id != client.pk:
        raise ApplicationError(_("No such contact."), field="contact", code="not_found")
    return contact


def _on_accept(on_accept: str, deposit_percent: Decimal | int | str | None) -> tuple[str, Decimal | None]:
    if on_accept not in OnAccept.values:
        raise ApplicationError(_("Choose what acceptance makes."), field="on_accept")
    if on_accept != OnAccept.DEPOSIT:
        return on_accept, None
    percent = parse_percentage(deposit_percent, field="deposit_percent")
    if percent <= 0:
        raise ApplicationError(_("A deposit is more than 0 %."), field="deposit_percent")
    return on_accept, percent


@transaction.atomic
def quote_create_draft(
    *,
    actor: Membership,
    client: Client | str,
    lines: Sequence[LineData | Mapping[str, Any]] = (),
    contact: ClientContact | str | None = None,
    currency: str | None = None,
    issue_date: date | None = None,
    valid_until: date | None = None,
    discount_type: str = DiscountType.AMOUNT,
    discount_value: Decimal | int | str | None = "0",
    notes: str = "",
    terms: str = "",
    on_accept: str = OnAccept.NOTHING,
    deposit_percent: Decimal | int | str | None = None,
) -> Quote:
    """A draft quote with its lines. Valid for 30 days unless `valid_until` says otherwise."""
    tenant = check_writer(actor)
    client = _client(client)
    quote = Quote(
        tenant=tenant,
        client=client,
        contact=_contact(client, contact),
        currency=check_currency((currency or client.currency).upper()),
        issue_date=issue_date or tenant_today(tenant),
        discount_type=discount_type,
        notes=notes.strip(),
        terms=terms.strip(),
        created_by=actor.user,
    )
    quote.valid_until = valid_until or quote.issue_date + timedelta(days=DEFAULT_VALIDITY_DAYS)
    _check_dates(quote)
    quote.on_accept, quote.deposit_percent = _on_accept(on_accept, deposit_percent)
    _compute(quote, lines, discount_value)
    quote.save()
    record(quote, verb=QuoteEventVerb.CREATED, actor=actor)
    return quote


def _check_dates(quote: Quote) -> None:
    if quote.valid_until < quote.issue_date:
        raise ApplicationError(_("A quote cannot expire before its date."), field="valid_until")


def _require_draft(quote: Quote) -> None:
    if quote.status != QuoteStatus.DRAFT:
        raise ApplicationError(
            _("%(number)s was sent and cannot be edited.") % {"number": quote.number}, code="not_draft"
        )


@transaction.atomic
def quote_update_draft(
    *,
    actor: Membership,
    quote: Quote | str,
    lines: Sequence[LineData | Mapping[str, Any]] | None = None,
    client: Client | str | None = None,
    contact: ClientContact | str | None = None,
    issue_date: date | None = None,
    valid_until: date | None = None,
    discount_type: str | None = None,
    discount_value: Decimal | int | str | None = None,
    notes: str | None = None,
    terms: str | None = None,
    on_accept: str | None = None,
    deposit_percent: Decimal | int | str | None = None,
) -> Quote:
    """Change a draft; None keeps a value, `lines` replaces them all."""
    check_writer(actor)
    quote = _lock(quote)
    _require_draft(quote)
    if client is not None:
        quote.client = _client(client)
        quote.contact = None
    if contact is not None:
        quote.contact = _contact(quote.client, contact)
    quote.issue_date = issue_date or quote.issue_date
    quote.valid_until = valid_until or quote.valid_until
    _check_dates(quote)
    if discount_type is not None:
        quote.discount_type = discount_type
    if on_accept is not None:
        quote.on_accept, quote.deposit_percent = _on_accept(on_accept, deposit_percent)
    _compute(
        quote,
        quote_line_data(quote) if lines is None else lines,
        quote.discount_value if discount_value is None else discount_value,
    )
    if notes is not None:
        quote.notes = notes.strip()
    if terms is not None:
        quote.terms = terms.strip()
    _touch(quote)
    quote.save()
    record(quote, verb=QuoteEventVerb.EDITED, actor=actor)
    return quote


@transaction.atomic
def quote_delete_draft(*, actor: Membership, quote: Quote | str) -> None:
    check_writer(actor)
    quote = _lock(quote)
    _require_draft(quote)
    quote.events.all().delete()
    quote.delete()


def issue_public_token(quote: Quote) -> str:
    """A new public link for a locked quote; the previous one stops working. Only the hash is
    kept: the token itself is in the email alone."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    quote.token_hash = token_hash(token)
    quote.save(update_fields=["token_hash"])
    return token


@transaction.atomic
def quote_send(
    *,
    actor: Membership,
    quote: Quote | str,
    contacts: Sequence[ClientContact | str] = (),
    email: bool = True,
) -> Quote:
    """Number a draft from the quote series (gapless: the counter is locked in this
    transaction) and email it to the chosen contacts (the quote's contact, else the primary);
    sending again emails a fresh link (quotes.emails). `email=False` marks it sent without
    emailing anyone (handed over another way; the demo workspace, which emails nobody)."""
    from quotes.emails import queue_quote_email, recipients_for

    check_writer(actor)
    quote = _lock(quote)
    if quote.status not in (QuoteStatus.DRAFT, QuoteStatus.SENT):
        raise ApplicationError(_("Only a draft or a sent quote can be sent."), code="invalid_status")
    if quote.valid_until < tenant_today(quote.tenant):
        raise ApplicationError(_("This quote's validity date has passed."), field="valid_until")
    chosen = [_contact(quote.client, value) for value in contacts]
    recipients = recipients_for(quote, chosen) if email else []
    if quote.status == QuoteStatus.DRAFT:
        _compute(quote, quote_line_data(quote), quote.discount_value)
        taken = number_take(kind=SeriesKind.QUOTE, on=quote.issue_date)
        quote.number, quote.sequence, quote.number_period = taken.number, taken.sequence, taken.period
        quote.status = QuoteStatus.SENT
    if email and not recipients:
        raise ApplicationError(_("Add a contact with an email address to the client."), field="contacts")
    quote.sent_at = timezone.now()
    _touch(quote)
    quote.save()
    record(quote, verb=QuoteEventVerb.SENT, actor=actor, to=recipients, number=quote.number)
    queue_quote_email(quote, recipients=recipients)
    return quote


# --- the client's answer (no member: the public page) -------------------------------------------


def public_quote_find(*, token: str) -> tuple[Tenant, int] | None:
    """Before any tenant scope: the workspace and row a quote token names, if any."""
    if len(token) != TOKEN_LENGTH:
        return None
    match = door_find("lookup_door_public_quote", token_hash(token))
    return (match.tenant, match.row_id) if match else None


def _answerable(quote: Quote, today: date) -> None:
    if quote.status != QuoteStatus.SENT:
        raise ApplicationError(_("This quote was already answered."), code="invalid_status")
    if quote.valid_until < today:
        raise ApplicationError(_("This quote has expired."), code="expired")


def _acting_member(quote: Quote) -> Membership | None:
    """Whom the invoice made on acceptance is created by: the member who made the quote, else
    an owner of the workspace."""
    from tenants import roles

    members = Membership.objects.filter(tenant=quote.tenant).select_related("user").order_by("pk")
    for membership in members:
        if membership.user_id == quote.created_by_id and roles.can_write(membership):
            return membership
    return members.filter(role="owner").first()


@transaction.atomic
def quote_accept(*, quote_pk: int, name: str, ip: str | None, now: datetime | None = None) -> Quote:
    """The client accepts, typing their name. The name, the time and the IP go to the timeline;
    what the quote says acceptance makes (an invoice, a deposit invoice) is made at once."""
    from quotes.invoicing import quote_invoice_deposit, quote_invoice_full

    now = now or timezone.now()
    quote = Quote.objects.select_for_update().get(pk=quote_pk)
    _answerable(quote, tenant_today(quote.tenant))
    name = " ".join(name.split())[:MAX_NAME]
    if len(name) < 2:
        raise ApplicationError(_("Type your full name to accept."), field="name")
    quote.status = QuoteStatus.ACCEPTED
    quote.accepted_at, quote.accepted_by_name, quote.accepted_ip = now, name, ip or None
    _touch(quote)
    quote.save()
    record(quote, verb=QuoteEventVerb.ACCEPTED, name=name, ip=ip or "", at=now.isoformat())
    actor = _acting_member(quote)
    if quote.on_accept != OnAccept.NOTHING and actor is not None:
        if quote.on_accept == OnAccept.DEPOSIT:
            quote_invoice_deposit(actor=actor, quote=quote, percent=quote.deposit_percent)
        else:
            quote_invoice_full(actor=actor, quote=quote)
        quote.refresh_from_db()
    return quote


@transaction.atomic
def quote_decline(*, quote_pk: int, reason: str, ip: str | None) -> Quote:
    quote = Quote.objects.select_for_update().get(pk=quote_pk)
    _answerable(quote, tenant_today(quote.tenant))
    quote.status = QuoteStatus.DECLINED
    quote.declined_at = timezone.now()
    quote.decline_reason = reason.strip()[:MAX_REASON]
    _touch(quote)
    quote.save()
    record(quote, verb=QuoteEventVerb.DECLINED, reason=quote.decline_reason, ip=ip or "")
    return quote


@transaction.atomic
def quote_record_view(*, quote_pk: int) -> bool:
    """The first time the client opens the quote's page, once per quote."""
    if QuoteEvent.objects.filter(quote_id=quote_pk, verb=QuoteEventVerb.VIEWED).exists():
        return False
    quote = Quote.objects.select_for_update().get(pk=quote_pk)
    if QuoteEvent.objects.filter(quote=quote, verb=QuoteEventVerb.VIEWED).exists():
        return False
    record(quote, verb=QuoteEventVerb.VIEWED)
    return True


# --- expiry --------------------------------------------------------------------------------------


@transaction.atomic
def quotes_expire(*, today: date | None = None) -> int:
    """In the current workspace: sent quotes whose validity date has passed become expired."""
    today = today or tenant_today()
    expired = 0
    for quote in Quote.objects.select_for_update(skip_locked=True).filter(
        status=QuoteStatus.SENT, valid_until__lt=today
    ):
        quote.status = QuoteStatus.EXPIRED
        quote.expired_at = timezone.now()
        _touch(quote)
        quote.save()
        record(quote, verb=QuoteEventVerb.EXPIRED, valid_until=quote.valid_until.isoformat())
        expired += 1
    return expired


def quotes_expire_all(*, now: datetime) -> dict[str, int]:
    totals = {"tenants": 0, "quotes": 0}
    for tenant in Tenant.objects.order_by("pk"):
        try:
            with tenant_scope(tenant):
                totals["quotes"] += quotes_expire()
        except Exception:
            logger.exception("expiring quotes of tenant %s failed", tenant.pk)
            continue
        totals["tenants"] += 1
    return totals


def public_quote_url(token: str) -> str:
    from django.urls import reverse

    return f"{settings.SITE_URL}{reverse('public_quote', args=[token])}"
