"""The email that carries a quote to the client's contacts, with its link `/q/<token>`.

Sent by a task after the sending transaction commits; each sending issues a fresh link (the
previous one stops working), so the token exists only in the email and its hash in the row.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from invoices.l10n import document_language
from invoices.models import ClientContact
from invoices.money import format_money
from quotes.models import Quote, QuoteStatus
from tenants.models import Tenant
from tenants.scoping import tenant_scope


def recipients_for(quote: Quote, chosen: Sequence[ClientContact | None]) -> list[str]:
    """The chosen contacts, else the quote's contact, else the primary one, else the client's
    first address."""
    contacts: list[ClientContact] = [contact for contact in chosen if contact is not None]
    if not contacts and quote.contact is not None:
        contacts = [quote.contact]
    if not contacts:
        contacts = list(ClientContact.objects.filter(client=quote.client, is_primary=True))
    if contacts:
        return list(dict.fromkeys(contact.email for contact in contacts))
    return [quote.client.primary_email] if quote.client.primary_email else []


def _greeted(quote: Quote, recipients: Sequence[str]) -> ClientContact | None:
    by_email = {contact.email: contact for contact in ClientContact.objects.filter(client=quote.client)}
    return next((by_email[address] for address in recipients if address in by_email), None)


def queue_quote_email(quote: Quote, *, recipients: Sequence[str]) -> None:
    from quotes.tasks import send_quote_email

    if not recipients:
        return
    tenant_id, quote_id, to = quote.tenant_id, quote.pk, list(recipients)
    transaction.on_commit(
        lambda: send_quote_email.delay(tenant_id=tenant_id, quote_id=quote_id, recipients=to), robust=True
    )


def quote_email_deliver(*, tenant: Tenant, quote_id: int, recipients: Sequence[str]) -> str:
    """Issue the quote a fresh link and email it. Returns "sent", or "skipped" for a quote that
    was answered (or deleted) since it was queued."""
    from quotes.services import issue_public_token, public_quote_url

    with tenant_scope(tenant), transaction.atomic():
        quote = (
            Quote.objects.select_for_update().select_related("client", "tenant").filter(pk=quote_id).first()
        )
        if quote is None or quote.status != QuoteStatus.SENT:
            return "skipped"
        token = issue_public_token(quote)
        contact = _greeted(quote, recipients)
        language, locale = document_language(contact.effective_language if contact else quote.client.language)
        context = {
            "quote": quote,
            "tenant": tenant,
            "name": contact.name if contact else quote.client.name,
            "url": public_quote_url(token),
            "total": format_money(quote.total, quote.currency, locale),
        }
        with translation.override(language):
            subject = " ".join(render_to_string("quotes/email/quote_subject.txt", context).split())
            body = render_to_string("quotes/email/quote_body.txt", context).strip()
        sender = settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1].rstrip(">").strip()
        name = tenant.name.replace('"', "").replace("\n", " ").strip()[:80]
        email = EmailMultiAlternatives(
            subject=subject, body=body, from_email=f'"{name}" <{sender}>', to=list(recipients)
        )
        # Sent inside the transaction: a failure rolls the new link back, and the retry
        # issues another.
        email.send()
    return "sent"
