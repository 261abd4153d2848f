"""Emailing invoices, credit notes and reminders to clients, and what happens to each email.

The flow of one email (an `OutgoingMessage` row):

1. A service (`invoice_send`, a reminder, a bounce notice) creates the row as *queued* and
   queues `invoices.send_message` after its transaction commits (ids only: no token, no PDF
   in the broker).
2. The task (`message_deliver`) claims the row, issues a fresh public link when the email
   carries one (the raw token exists only in the worker's memory and in the email), builds the
   message in the client's language, attaches the PDF unless the tenant is link-only, and
   sends it through Django's email API (SMTP, Amazon SES via anymail, or the console).
3. Accepted: *sent*, the provider's message id indexed for the tracking webhook, and the
   invoice's timeline says so. Refused or unreachable: the task retries with backoff; after the
   last try the row is *failed* with the reason, on the timeline and on the invoice page.
4. Delivery, bounce and complaint events update the row later (`delivery.tracking`).

What an email says and the message that carries it: `delivery.emails`; emails to the
workspace's members: `delivery.notices`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from delivery.emails import (
    BODY_MAX,
    CLIENT_KINDS,
    SUBJECT_MAX,
    build_email,
    clean_recipients,
    client_einvoice,
    email_language,
    invoice_pdf_bytes,
    message_defaults,
    public_invoice_url,
)
from delivery.models import (
    STATUS_RANK,
    ClientEmailProblem,
    MessageKind,
    MessageStatus,
    OutgoingMessage,
    ProviderMessageIndex,
    SendingSettings,
)
from invoices.models import (
    UNPAID_STATUSES,
    Client,
    ClientContact,
    EventVerb,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
)
from invoices.services.common import check_writer, record_event, resolve
from invoices.services.contacts import contacts_resolve
from tenants.models import Membership, Role, Tenant
from tenants.permissions import require_role
from tenants.scoping import current_tenant, tenant_scope

logger = logging.getLogger(__name__)


# --- settings ---------------------------------------------------------------------------------


def sending_settings_get() -> SendingSettings:
    """The current tenant's sending settings (created with the defaults when first read)."""
    found = SendingSettings.objects.first()
    if found is not None:
        return found
    with transaction.atomic():
        found, _created = SendingSettings.objects.get_or_create(tenant=current_tenant())
    return found


# --- reads for the pages -----------------------------------------------------------------------


def open_email_problems(client: Client) -> list[ClientEmailProblem]:
    return list(ClientEmailProblem.objects.filter(client=client, cleared_at__isnull=True))


# --- sending an invoice or a credit note --------------------------------------------------------


def _kind_for(invoice: Invoice) -> str:
    return MessageKind.CREDIT_NOTE if invoice.kind == InvoiceKind.CREDIT_NOTE else MessageKind.INVOICE


def check_sendable(invoice: Invoice) -> None:
    if invoice.status == InvoiceStatus.VOID:
        raise ApplicationError(
            _("%(number)s is void: it is not sent any more.") % {"number": invoice.number},
            code="invalid_status",
        )


@transaction.atomic
def invoice_send(
    *,
    actor: Membership,
    invoice: Invoice | str,
    to: Sequence[str] | str | None = None,
    subject: str | None = None,
    body: str | None = None,
    finalize: bool = False,
    contacts: Sequence[ClientContact | str] | None = None,
) -> OutgoingMessage:
    """Email an invoice or a credit note to the client (the contacts by default).

    `contacts` (public ids of the client's contacts) chooses whom it goes to, unless `to`
    names the addresses; the email greets the first recipient who is a contact by name.

    A draft is finalized first, but only when `finalize` says the member confirmed it;
    otherwise the draft is refused with code "needs_finalize". Resending is sending again:
    each send is its own message, with a fresh link (the previous one stops working).
    """
    from invoices.services import invoice_finalize

    check_writer(actor)
    invoice = resolve(Invoice, invoice, field="invoice", label=_("invoice"), lock=True)
    if invoice.status == InvoiceStatus.DRAFT:
        if not finalize:
            raise ApplicationError(
                _("This is a draft: confirm that it should be finalized before it is sent."),
                code="needs_finalize",
            )
        invoice = invoice_finalize(actor=actor, invoice=invoice)
    check_sendable(invoice)
    if to is None and contacts:
        to = [contact.email for contact in contacts_resolve(client=invoice.client, contacts=contacts)]
    recipients = clean_recipients(to if to is not None else list(invoice.client.emails))
    kind = _kind_for(invoice)
    default_subject, default_body = message_defaults(invoice=invoice, kind=kind, recipients=recipients)
    subject = " ".join((subject if subject is not None else default_subject).split())
    body = (body if body is not None else default_body).strip()
    if not subject:
        raise ApplicationError(_("Enter a subject."), field="subject")
    if len(subject) > SUBJECT_MAX:
        raise ApplicationError(_("The subject is too long (200 characters at most)."), field="subject")
    if len(body) > BODY_MAX:
        raise ApplicationError(_("The message is too long (5,000 characters at most)."), field="body")
    is_invoice = kind == MessageKind.INVOICE
    message = OutgoingMessage.objects.create(
        kind=kind,
        invoice=invoice,
        to=recipients,
        subject=subject,
        body=body,
        language=email_language(invoice, invoice.tenant),
        # Credit notes have no public page: their PDF is always attached.
        attach_pdf=sending_settings_get().attach_pdf or not is_invoice,
        include_link=is_invoice,
        sent_by=actor.user,
    )
    queue_message(message)
    return message


def queue_message(message: OutgoingMessage) -> None:
    """Send `message` from a worker once the current transaction has committed."""
    from delivery.tasks import send_message

    tenant_id, message_id = message.tenant_id, message.pk
    transaction.on_commit(lambda: send_message.delay(tenant_id=tenant_id, message_id=message_id))


# --- delivering (the task's body) -------------------------------------------------------------


class TransientSendError(Exception):
    """The mail server or provider refused or could not be reached: worth retrying."""


@dataclass
class _Prepared:
    email: EmailMultiAlternatives
    attempt: int


def _prepare(tenant: Tenant, message_id: int) -> _Prepared | str:
    """Claim a queued message and build its email (issuing its link). Its own transaction, so
    that the link exists before the email that carries it is sent."""
    from portal.services import invoice_link_issue

    with tenant_scope(tenant):
        message = (
            OutgoingMessage.objects.select_for_update(of=("self",))
            .select_related("invoice", "invoice__client", "tenant", "sent_by")
            .filter(pk=message_id)
            .first()
        )
        if message is None or message.status != MessageStatus.QUEUED:
            return "skipped"  # deleted, or sent by an earlier run of this task
        invoice = message.invoice
        if invoice is not None:
            invoice = Invoice.objects.select_related("client", "tenant").get(pk=invoice.pk)
            message.invoice = invoice
            if invoice.status == InvoiceStatus.VOID or (
                message.kind == MessageKind.REMINDER and invoice.status not in UNPAID_STATUSES
            ):
                # Paid or voided after the reminder was queued: it must not go out.
                message.status = MessageStatus.CANCELLED
                message.save(update_fields=["status", "updated_at"])
                return "cancelled"
        message.attempts += 1
        message.save(update_fields=["attempts", "updated_at"])
        link = ""
        if message.include_link and invoice is not None:
            _link, token = invoice_link_issue(actor=None, invoice=invoice)
            link = public_invoice_url(token)
        pdf = None
        if invoice is not None and (message.attach_pdf or link):
            # Rendered (and stored) for the link too: the client's page downloads that file.
            pdf = invoice_pdf_bytes(invoice)
        if not message.attach_pdf:
            pdf = None
        attachments = []
        if invoice is not None and message.kind in (MessageKind.INVOICE, MessageKind.CREDIT_NOTE):
            einvoice = client_einvoice(invoice)
            if einvoice is not None:
                if einvoice[2] == "application/pdf":
                    pdf = None  # the Factur-X PDF is the invoice's PDF, with its XML inside
                attachments.append(einvoice)
        return _Prepared(build_email(message, link=link, pdf=pdf, attachments=attachments), message.attempts)


def _deliver(email: EmailMultiAlternatives) -> str:
    """Send through the configured backend; the provider's message id (or our Message-ID)."""
    connection = get_connection(fail_silently=False)
    try:
        sent = connection.send_messages([email])
    except Exception as error:
        if _is_permanent(error):
            raise
        raise TransientSendError(f"{type(error).__name__}: {error}") from error
    if not sent:
        raise TransientSendError("the mail backend accepted nothing")
    status = getattr(email, "anymail_status", None)
    if status is not None and getattr(status, "message_id", None):
        return str(status.message_id)
    return email.extra_headers["Message-ID"].strip("<>")


def _is_permanent(error: Exception) -> bool:
    """Errors no retry can fix: every recipient refused, or a bad address."""
    import smtplib

    from anymail.exceptions import AnymailRecipientsRefused

    if isinstance(error, smtplib.SMTPRecipientsRefused):
        # 5xx for every recipient is final; a 4xx ("try again later") is worth a retry.
        return all(code >= 500 for code, _reply in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return isinstance(error, AnymailRecipientsRefused | ValueError)


def message_deliver(*, tenant: Tenant, message_id: int) -> str:
    """Send one queued message (the Celery task's body). Returns what happened.

    Raises `TransientSendError` for the task to retry; a permanent refusal marks the message
    failed at once.
    """
    prepared = _prepare(tenant, message_id)
    if isinstance(prepared, str):
        return prepared
    try:
        provider_id = _deliver(prepared.email)
    except TransientSendError as error:
        _record_attempt_error(tenant, message_id, str(error))
        raise
    except Exception as error:
        logger.warning("message %s refused permanently: %s", message_id, error)
        message_mark_failed(tenant=tenant, message_id=message_id, error=f"{type(error).__name__}: {error}")
        return "failed"
    message_mark_sent(tenant=tenant, message_id=message_id, provider_message_id=provider_id)
    return "sent"


def _record_attempt_error(tenant: Tenant, message_id: int, error: str) -> None:
    with tenant_scope(tenant):
        OutgoingMessage.objects.filter(pk=message_id, status=MessageStatus.QUEUED).update(
            error=error[:500], updated_at=timezone.now()
        )


def message_mark_sent(*, tenant: Tenant, message_id: int, provider_message_id: str) -> None:
    from invoices.services import invoice_mark_sent

    with tenant_scope(tenant):
        message = (
            OutgoingMessage.objects.select_for_update(of=("self",))
            .select_related("invoice")
            .get(pk=message_id)
        )
        if message.status != MessageStatus.QUEUED:
            return
        now = timezone.now()
        message.status = MessageStatus.SENT
        message.provider_message_id = provider_message_id[:255]
        message.recipient_status = dict.fromkeys(message.to, MessageStatus.SENT)
        message.error = ""
        message.sent_at = now
        message.save()
        ProviderMessageIndex.objects.update_or_create(
            provider_message_id=message.provider_message_id,
            defaults={"tenant": tenant, "message_public_id": message.public_id},
        )
        invoice = message.invoice
        if invoice is None:
            return
        if message.kind == MessageKind.REMINDER:
            record_event(
                invoice,
                verb=EventVerb.REMINDER_SENT,
                to=list(message.to),
                step=message.context.get("step", ""),
                message=message.public_id,
            )
        else:
            invoice_mark_sent(actor=None, invoice=invoice, to=list(message.to))


def message_mark_failed(*, tenant: Tenant, message_id: int, error: str) -> None:
    """The last try failed (or the refusal was final): failed, on the timeline, never silent."""
    with tenant_scope(tenant):
        message = (
            OutgoingMessage.objects.select_for_update(of=("self",))
            .select_related("invoice")
            .filter(pk=message_id)
            .first()
        )
        if message is None or message.status != MessageStatus.QUEUED:
            return
        message.status = MessageStatus.FAILED
        message.error = error[:500]
        message.save(update_fields=["status", "error", "updated_at"])
        if message.invoice is not None:
            record_event(
                message.invoice,
                verb=EventVerb.EMAIL_FAILED,
                to=list(message.to),
                reason=_("to %(to)s: %(error)s") % {"to": ", ".join(message.to), "error": error[:200]},
                message=message.public_id,
            )
        logger.error("message %s failed for good: %s", message.public_id, error)


def message_update_status(message: OutgoingMessage, *, recipient: str, status: str) -> bool:
    """Move one recipient (and the message) forward; False when the state was already there."""
    recipients = dict(message.recipient_status or {})
    current = recipients.get(recipient, MessageStatus.SENT)
    if STATUS_RANK[MessageStatus(status)] <= STATUS_RANK[MessageStatus(current)] and recipient in recipients:
        return False
    recipients[recipient] = status
    message.recipient_status = recipients
    overall = max(
        (MessageStatus(value) for value in recipients.values()), key=lambda value: STATUS_RANK[value]
    )
    if STATUS_RANK[overall] > STATUS_RANK[MessageStatus(message.status)]:
        message.status = overall
    message.last_event_at = timezone.now()
    message.save(update_fields=["recipient_status", "status", "last_event_at", "updated_at"])
    return True


def invoice_messages(*, invoice: Invoice) -> list[OutgoingMessage]:
    return list(
        OutgoingMessage.objects.filter(invoice=invoice, kind__in=CLIENT_KINDS)
        .select_related("sent_by")
        .order_by("-created_at", "-pk")[:50]
    )


# --- settings writes (the settings pages call these) --------------------------------------------


def _check_manager(actor: Membership) -> Tenant:
    check_writer(actor)
    return require_role(
        actor, Role.ADMIN, message=_("Only owners and admins change the workspace's settings.")
    )


def _full_clean(row: Any) -> None:
    from invoices.services.common import full_clean

    full_clean(row)


@transaction.atomic
def sending_settings_update(*, actor: Membership, **fields: Any) -> SendingSettings:
    """fields: attach_pdf, reminders_enabled, remind_days_before, remind_on_due,
    remind_after_days, late_fee_kind, late_fee_value, late_fee_after_days, late_fee_mode."""
    _check_manager(actor)
    row = SendingSettings.objects.select_for_update().filter(pk=sending_settings_get().pk).get()
    allowed = {
        "attach_pdf",
        "reminders_enabled",
        "remind_days_before",
        "remind_on_due",
        "remind_after_days",
        "late_fee_kind",
        "late_fee_value",
        "late_fee_after_days",
        "late_fee_mode",
    }
    for name, value in fields.items():
        if name not in allowed:
            raise ApplicationError(f"unknown setting {name}")
        setattr(row, name, value)
    if row.late_fee_value is None:
        row.late_fee_value = 0
    _full_clean(row)
    row.save()
    return row


@transaction.atomic
def client_reminder_override_set(
    *, actor: Membership, client: Client | str, use_workspace: bool, **fields: Any
) -> Any:
    """Give a client its own reminder schedule, or (use_workspace) go back to the tenant's."""
    from delivery.models import ClientReminderOverride

    check_writer(actor)
    client = resolve(Client, client, field="client", label=_("client"))
    if use_workspace:
        ClientReminderOverride.objects.filter(client=client).delete()
        return None
    row = ClientReminderOverride.objects.filter(client=client).first() or ClientReminderOverride(
        client=client
    )
    for name in ("reminders_enabled", "remind_days_before", "remind_on_due", "remind_after_days"):
        if name in fields:
            setattr(row, name, fields[name])
    _full_clean(row)
    row.save()
    return row


@transaction.atomic
def client_email_problem_clear(*, actor: Membership, client: Client | str, email: str) -> int:
    """The member fixed or checked the address: stop flagging it. Returns how many were cleared."""
    check_writer(actor)
    client = resolve(Client, client, field="client", label=_("client"))
    return ClientEmailProblem.objects.filter(
        client=client, email__iexact=email.strip(), cleared_at__isnull=True
    ).update(cleared_at=timezone.now())
