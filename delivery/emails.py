"""What an email to a client says, and the message that carries it.

The prefilled subject and text in the client's language, the recipients' check, the branded
MIME message (text, HTML, the PDF attached when wanted) and the invoice's PDF for it. Writes
nothing but the PDF's stored document; `delivery.services` decides what is sent and when.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from delivery.models import MessageKind, OutgoingMessage
from documents import einvoices
from invoices.l10n import document_language
from invoices.models import Client, ClientContact, Invoice
from invoices.money import format_money
from invoices.payment_instructions import payment_instructions
from tenants.models import Tenant

logger = logging.getLogger(__name__)


MAX_RECIPIENTS = 10


SUBJECT_MAX = 200


BODY_MAX = 5000


CLIENT_KINDS = (MessageKind.INVOICE, MessageKind.CREDIT_NOTE, MessageKind.REMINDER)


def email_language(invoice: Invoice | None, tenant: Tenant) -> str:
    """The Django language code the email is written in: the client's, else the tenant's."""
    if invoice is not None:
        return document_language(invoice.client.language)[0]
    return document_language(tenant.locale)[0]


def _babel_locale(invoice: Invoice) -> str:
    return document_language(invoice.client.language)[1]


def _figures(invoice: Invoice) -> dict[str, str]:
    from invoices.l10n import Formatter

    fmt = Formatter(_babel_locale(invoice))
    return {
        "number": invoice.number or "",
        "total": format_money(invoice.total, invoice.currency, fmt.locale),
        "balance": format_money(invoice.balance_due, invoice.currency, fmt.locale),
        "due_date": fmt.date(invoice.due_date),
        "issue_date": fmt.date(invoice.issue_date),
    }


def reminder_phase(step: str) -> str:
    """ "before-3" → "before", "due" → "due", "after-7" → "after"."""
    return step.split("-", 1)[0]


def greeting_name(client: Client, recipients: Sequence[str] | None = None) -> str:
    """Whom an email greets: the first recipient who is a contact of the client, else the
    client's primary contact, else the client itself."""
    contacts = list(ClientContact.objects.filter(client=client))
    by_email = {contact.email.lower(): contact for contact in contacts}
    for address in recipients or ():
        contact = by_email.get(address.strip().lower())
        if contact is not None:
            return contact.name
    primary = next((contact for contact in contacts if contact.is_primary), None)
    return primary.name if primary is not None else client.name


def message_defaults(
    *, invoice: Invoice, kind: str, step: str = "", recipients: Sequence[str] | None = None
) -> tuple[str, str]:
    """The prefilled subject and message of an email, in the client's language, greeting the
    contact it goes to by name."""
    tenant = invoice.tenant
    context: dict[str, Any] = {
        "invoice": invoice,
        "tenant": tenant,
        "client": invoice.client,
        "greeting_name": greeting_name(invoice.client, recipients),
        "step": step,
        # Where the client's contacts sign in to all their documents (the client portal).
        "portal_url": f"{settings.SITE_URL}{reverse('portal_request', args=[tenant.slug])}",
        "days": step.split("-", 1)[1] if "-" in step else "",
        **_figures(invoice),
    }
    name = kind if kind != MessageKind.REMINDER else f"reminder_{reminder_phase(step)}"
    with translation.override(email_language(invoice, tenant)):
        subject = render_to_string(f"invoices/email/defaults/{name}_subject.txt", context)
        body = render_to_string(f"invoices/email/defaults/{name}_body.txt", context)
    return " ".join(subject.split())[:SUBJECT_MAX], body.strip()


def clean_recipients(raw: Sequence[str] | str) -> list[str]:
    if isinstance(raw, str):
        raw = raw.replace(";", ",").replace("\n", ",").split(",")
    recipients = list(dict.fromkeys(address.strip() for address in raw if address and address.strip()))
    if not recipients:
        raise ApplicationError(_("Enter at least one email address."), field="to")
    if len(recipients) > MAX_RECIPIENTS:
        raise ApplicationError(
            _("Send to at most %(n)d addresses at once.") % {"n": MAX_RECIPIENTS}, field="to"
        )
    for address in recipients:
        try:
            validate_email(address)
        except ValidationError:
            raise ApplicationError(
                _("%(value)s is not a valid email address.") % {"value": address}, field="to"
            ) from None
    return recipients


def public_invoice_url(token: str) -> str:
    return f"{settings.SITE_URL}{reverse('public_invoice', args=[token])}"


def invoice_pdf_bytes(invoice: Invoice) -> bytes:
    """The invoice's PDF as it is now (a Factur-X for invoices that want one): the stored file
    of its current version, or rendered and stored as that version's document, so that the
    client's page (which offers only a stored PDF) hands out the same file."""
    from documents.invoice_pdf import invoice_pdf_bytes as stored_or_rendered

    return stored_or_rendered(invoice)


def client_einvoice(invoice: Invoice) -> tuple[str, bytes, str] | None:
    """The e-invoice the client asked for (`Client.einvoice_format`), as an attachment, or None.

    Only a document valid by every rule set is attached (`documents.einvoices`); one that
    breaks a rule is never sent: the email goes with the PDF alone and the invoice page says
    which rule fails."""
    wanted = invoice.client.einvoice_format
    if not wanted or wanted not in {fmt.value for fmt in einvoices.offered_formats(invoice)}:
        return None
    fmt = einvoices.Format(wanted)
    try:
        content = einvoices.einvoice_get(invoice=invoice, fmt=fmt)
    except ApplicationError as error:
        logger.warning("e-invoice %s of %s not attached: %s", wanted, invoice.public_id, error.message)
        return None
    return einvoices.einvoice_filename(invoice, fmt), content, einvoices.CONTENT_TYPES[fmt]


@dataclass(frozen=True)
class EInvoiceWarning:
    """The client's chosen e-invoice format will not go with this invoice, and why."""

    label: str
    problems: tuple[einvoices.Problem, ...]


def client_einvoice_warning(invoice: Invoice) -> EInvoiceWarning | None:
    """Before sending: the client asked for an e-invoice format this finalized invoice breaks
    the rules of, so `client_einvoice` will leave it out. None when it will be attached, when
    the client chose none, or for a draft (its e-invoice exists only once it is finalized)."""
    wanted = invoice.client.einvoice_format
    if (
        invoice.is_draft
        or not wanted
        or wanted not in {fmt.value for fmt in einvoices.offered_formats(invoice)}
    ):
        return None
    fmt = einvoices.Format(wanted)
    try:
        problems = einvoices.einvoice_problems(invoice=invoice, fmt=fmt)
    except ApplicationError as error:
        problems = (einvoices.Problem(rule_id=error.code or "", explanation=error.message, field=""),)
    return EInvoiceWarning(fmt.label, problems) if problems else None


def pdf_filename(invoice: Invoice) -> str:
    return f"{invoice.number or invoice.public_id}.pdf"


def _brand(tenant: Tenant) -> dict[str, str]:
    color = getattr(tenant, "brand_color", "") or "#1f4fd1"
    logo = ""
    if getattr(tenant, "logo", None):
        try:
            logo = (
                f"{settings.SITE_URL}{tenant.logo.url}"
                if tenant.logo.url.startswith("/")
                else tenant.logo.url
            )
        except ValueError:
            logo = ""
    return {"brand_color": color, "brand_logo": logo}


def build_email(
    message: OutgoingMessage,
    *,
    link: str = "",
    pdf: bytes | None = None,
    attachments: Sequence[tuple[str, bytes, str]] = (),
) -> EmailMultiAlternatives:
    """The MIME message of a queued row: text and HTML parts, the PDF when given, and any
    other `attachments` (filename, content, MIME type): the client's e-invoice."""
    tenant = message.tenant
    invoice = message.invoice
    context: dict[str, Any] = {
        "message": message,
        "tenant": tenant,
        "invoice": invoice,
        "client": invoice.client if invoice else None,
        "body": message.body,
        "paragraphs": [part.strip() for part in message.body.split("\n\n") if part.strip()],
        "link": link,
        "is_credit_note": message.kind == MessageKind.CREDIT_NOTE,
        "is_reminder": message.kind == MessageKind.REMINDER,
        "attached": pdf is not None,
        "site_url": settings.SITE_URL,
        **message.context,
        **_brand(tenant),
    }
    if invoice is not None:
        context.update(_figures(invoice))
        context["overdue"] = invoice.is_overdue()
        # Where to pay by bank transfer: the account frozen into the invoice, the reference.
        context["bank"] = payment_instructions(
            invoice=invoice,
            seller=invoice.seller_snapshot or {},
            buyer=invoice.client_snapshot or {},
            with_qr=False,
        )
    template = "client_message" if message.kind in CLIENT_KINDS else message.kind
    with translation.override(message.language or settings.LANGUAGE_CODE):
        context["language"] = translation.get_language()
        text = render_to_string(f"invoices/email/{template}.txt", context)
        html = render_to_string(f"invoices/email/{template}.html", context)
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=text,
        from_email=_from_address(tenant),
        to=list(message.to),
        reply_to=_reply_to(tenant, message),
        headers={"Message-ID": make_msgid(idstring=message.public_id, domain=_message_id_domain())},
    )
    email.attach_alternative(html, "text/html")
    if pdf is not None and invoice is not None:
        email.attach(pdf_filename(invoice), pdf, "application/pdf")
    for filename, content, mimetype in attachments:
        email.attach(filename, content, mimetype)
    # Amazon SES (anymail) echoes these back in tracking events; SMTP ignores them.
    email.metadata = {"message": message.public_id, "tenant": tenant.public_id}  # type: ignore[attr-defined]
    return email


def _message_id_domain() -> str:
    address = settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1].rstrip(">")
    return address.rsplit("@", 1)[-1] or "invoiceflow.localhost"


def _from_address(tenant: Tenant) -> str:
    """The platform's address with the tenant's name: "Acme Design via InvoiceFlow <...>"."""
    address = settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1].rstrip(">").strip()
    name = tenant.name.replace('"', "").replace("\n", " ").strip()[:80]
    return f'"{name}" <{address}>' if name else address


def _reply_to(tenant: Tenant, message: OutgoingMessage) -> list[str]:
    """Replies go to the tenant (its billing address, else the member who sent it)."""
    address = getattr(tenant, "email", "") or (message.sent_by.email if message.sent_by else "")
    return [address] if address else []
