"""The receipt a client gets by email when an online payment lands on an invoice."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation

from billing.models import PaymentReceipt
from invoices.l10n import document_language
from invoices.models import Payment
from tenants.scoping import current_tenant


@transaction.atomic
def payment_receipt_send(*, payment_id: int) -> bool:
    """Email the receipt for one payment, once: the receipt row is inserted (unique per payment)
    in the same transaction as the send, so a repeated task finds it and sends nothing, and a
    failed send rolls the row back for the retry. Returns whether an email went out."""
    payment = Payment.objects.select_related("invoice", "invoice__client").filter(pk=payment_id).first()
    if payment is None:
        return False
    client = payment.invoice.client
    email = client.primary_email
    if not email:
        return False
    try:
        with transaction.atomic():
            PaymentReceipt.objects.create(payment=payment, email=email)
    except IntegrityError:
        return False  # sent already
    tenant = current_tenant()
    invoice = payment.invoice
    with translation.override(document_language(client.language)[0]):
        context = {"payment": payment, "invoice": invoice, "tenant": tenant, "client": client}
        subject = render_to_string("billing/email/receipt_subject.txt", context).strip()
        body = render_to_string("billing/email/receipt.txt", context)
        html = render_to_string("billing/email/receipt.html", context)
    message = EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [email])
    message.attach_alternative(html, "text/html")
    message.send()
    return True
