"""Sending invoices and credit notes through a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client as HttpClient

from core.errors import ApplicationError
from delivery import services as sending
from delivery.models import MessageKind, MessageStatus, OutgoingMessage, SendingSettings
from delivery.tests.smtp import SMTPServer
from invoices import services
from invoices.models import EventVerb, InvoiceEvent, InvoiceStatus
from invoices.tests.factories import ClientFactory, line, make_invoice, writer
from tenants.models import Role, Tenant

pytestmark = pytest.mark.django_db


def _send(actor: Any, invoice: Any, capture: Any, **kwargs: Any) -> OutgoingMessage:
    with capture(execute=True):
        message = sending.invoice_send(actor=actor, invoice=invoice, **kwargs)
    message.refresh_from_db()
    return message


def _open_link(url: str) -> Any:
    parts = urlsplit(url)
    return HttpClient().get(parts.path)


def test_invoice_email_reaches_the_smtp_server_with_both_parts_the_pdf_and_a_working_link(
    in_tenant: Tenant, mail_env: SMTPServer, django_capture_on_commit_callbacks: Any
) -> None:
    actor = writer(Role.MEMBER)
    client = ClientFactory(name="Initech", emails=["ap@initech.example", "cfo@initech.example"])
    invoice = make_invoice(actor=actor, client=client, lines=[line("Design", "2", "450.00")], finalize=True)

    message = _send(actor, invoice, django_capture_on_commit_callbacks)

    assert message.status == MessageStatus.SENT
    assert message.attempts == 1
    [received] = mail_env.wait_for(1)
    assert sorted(received.rcpt_tos) == ["ap@initech.example", "cfo@initech.example"]
    assert received.subject == f"Invoice {invoice.number} from Acme Design"
    assert "Acme Design" in str(received.message["From"])
    assert "€900.00" in received.text
    assert invoice.number in received.text
    assert "€900.00" in received.html
    assert "Initech" in received.html
    [(filename, content_type, pdf)] = received.attachments()
    assert filename == f"{invoice.number}.pdf"
    assert content_type == "application/pdf"
    assert pdf.startswith(b"%PDF")
    [link] = set(received.links())
    assert link in received.html
    page = _open_link(link)
    assert page.status_code == 200
    assert invoice.number in page.content.decode()
    # The PDF the email carried is stored for the client's page, which offers it for download.
    assert 'data-testid="pdf-download"' in page.content.decode()
    # The provider id is the Message-ID the server received, indexed for the tracking webhook.
    assert str(received.message["Message-ID"]).strip().strip("<>") == message.provider_message_id
    sent = InvoiceEvent.objects.get(invoice=invoice, verb=EventVerb.SENT)
    assert sent.data["to"] == ["ap@initech.example", "cfo@initech.example"]
    assert sent.actor is None


def test_link_only_tenant_gets_no_attachment(
    in_tenant: Tenant, mail_env: SMTPServer, django_capture_on_commit_callbacks: Any
) -> None:
    settings_row = sending.sending_settings_get()
    SendingSettings.objects.filter(pk=settings_row.pk).update(attach_pdf=False)
    actor = writer()
    invoice = make_invoice(actor=actor, finalize=True)

    _send(actor, invoice, django_capture_on_commit_callbacks)

    [received] = mail_env.wait_for(1)
    assert received.attachments() == []
    assert len(set(received.links())) == 1


def test_edited_subject_and_message_are_what_is_sent_and_the_html_escapes_them(
    in_tenant: Tenant, mail_env: SMTPServer, django_capture_on_commit_callbacks: Any
) -> None:
    actor = writer()
    invoice = make_invoice(actor=actor, finalize=True)

    _send(
        actor,
        invoice,
        django_capture_on_commit_callbacks,
        to="only@client.example",
        subject="  Your   invoice <b>now</b> ",
        body="Hi Bob,\n\nHere it is <script>x</script>.",
    )

    [received] = mail_env.wait_for(1)
    assert received.rcpt_tos == ["only@client.example"]
    assert received.subject == "Your invoice <b>now</b>"
    assert "Here it is <script>x</script>." in received.text
    assert "&lt;script&gt;" in received.html
    assert "<script>" not in received.html


def test_client_language_french(
    in_tenant: Tenant, mail_env: SMTPServer, django_capture_on_commit_callbacks: Any
) -> None:
    actor = writer()
    client = ClientFactory(language="fr")
    invoice = make_invoice(actor=actor, client=client, lines=[line("Conseil", "1", "1234.50")], finalize=True)

    _send(actor, invoice, django_capture_on_commit_callbacks)

    [received] = mail_env.wait_for(1)
    assert received.subject == f"Facture {invoice.number} de Acme Design"
    # French number formatting from Babel: narrow no-break space and a decimal comma.
    assert "1\u202f234,50\xa0€" in received.text
    assert "Montant dû" in received.text


def test_draft_needs_confirmation_then_is_finalized_and_sent(
    in_tenant: Tenant, mail_env: SMTPServer, django_capture_on_commit_callbacks: Any
) -> None:
    actor = writer()
    draft = make_invoice(actor=actor)

    with pytest.raises(ApplicationError) as refused:
        sending.invoice_send(actor=actor, invoice=draft)
    assert refused.value.code == "needs_finalize"
    draft.refresh_from_db()
    assert draft.status == InvoiceStatus.DRAFT
    assert not OutgoingMessage.objects.exists()

    message = _send(actor, draft, django_capture_on_commit_callbacks, finalize=True)

    draft.refresh_from_db()
    assert draft.status == InvoiceStatus.OPEN
    assert draft.number
    assert message.status == MessageStatus.SENT
    [received] = mail_env.wait_for(1)
    assert draft.number in received.subject


def test_resend_issues_a_new_link_and_the_old_one_stops_working(
    in_tenant: Tenant, mail_env: SMTPServer, django_capture_on_commit_callbacks: Any
) -> None:
    actor = writer()
    invoice = make_invoice(actor=actor, finalize=True)

    _send(actor, invoice, django_capture_on_commit_callbacks)
    _send(actor, invoice, django_capture_on_commit_callbacks)

    first, second = mail_env.wait_for(2)
    [old_link], [new_link] = set(first.links()), set(second.links())
    assert old_link != new_link
    assert _open_link(old_link).status_code == 404
    assert _open_link(new_link).status_code == 200
    assert InvoiceEvent.objects.filter(invoice=invoice, verb=EventVerb.SENT).count() == 2


def test_credit_note_is_sent_with_its_pdf_and_no_public_link(
    in_tenant: Tenant, mail_env: SMTPServer, django_capture_on_commit_callbacks: Any
) -> None:
    SendingSettings.objects.filter(pk=sending.sending_settings_get().pk).update(attach_pdf=False)
    actor = writer()
    invoice = make_invoice(actor=actor, lines=[line("Work", "1", "300.00")], finalize=True)
    note = services.credit_note_create(
        actor=actor, invoice=invoice, lines=[line("Discount", "1", "100.00")], reason="Discount"
    )

    message = _send(actor, note, django_capture_on_commit_callbacks)

    assert message.kind == MessageKind.CREDIT_NOTE
    [received] = mail_env.wait_for(1)
    assert received.subject == f"Credit note {note.number} from Acme Design"
    assert invoice.number in received.text
    [(filename, _type, pdf)] = received.attachments()
    assert filename == f"{note.number}.pdf"
    assert pdf.startswith(b"%PDF")
    assert received.links() == []


def test_void_invoice_is_not_sent_and_viewers_cannot_send(in_tenant: Tenant, mail_env: SMTPServer) -> None:
    actor = writer()
    invoice = make_invoice(actor=actor, finalize=True)
    with pytest.raises(ApplicationError):
        sending.invoice_send(actor=writer(Role.VIEWER), invoice=invoice)
    services.invoice_void(actor=actor, invoice=invoice)
    with pytest.raises(ApplicationError):
        sending.invoice_send(actor=actor, invoice=invoice)
    assert not OutgoingMessage.objects.exists()


def test_bad_recipient_is_refused(in_tenant: Tenant, mail_env: SMTPServer) -> None:
    actor = writer()
    invoice = make_invoice(actor=actor, finalize=True)
    with pytest.raises(ApplicationError) as refused:
        sending.invoice_send(actor=actor, invoice=invoice, to="ok@example.com, not-an-address")
    assert refused.value.field == "to"


def test_refusing_server_is_retried_then_the_message_fails_visibly(
    in_tenant: Tenant, mail_env: SMTPServer, django_capture_on_commit_callbacks: Any
) -> None:
    mail_env.refuse("451 4.3.0 Try again later")
    actor = writer()
    invoice = make_invoice(actor=actor, finalize=True)

    message = _send(actor, invoice, django_capture_on_commit_callbacks)

    # EMAIL_SEND_MAX_RETRIES=2 in mail_env: the first try and two retries reached the server.
    assert mail_env.attempts == 3
    assert message.attempts == 3
    assert message.status == MessageStatus.FAILED
    assert "451" in message.error
    assert "gave up after 3 attempts" in message.error
    failed = InvoiceEvent.objects.get(invoice=invoice, verb=EventVerb.EMAIL_FAILED)
    assert failed.data["message"] == message.public_id
    assert not InvoiceEvent.objects.filter(invoice=invoice, verb=EventVerb.SENT).exists()


def test_closed_port_fails_after_retries(
    in_tenant: Tenant, mail_env: SMTPServer, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from invoiceflow.testing.processes import free_port

    settings.EMAIL_PORT = free_port()  # nothing listens there
    actor = writer()
    invoice = make_invoice(actor=actor, finalize=True)

    message = _send(actor, invoice, django_capture_on_commit_callbacks)

    assert message.status == MessageStatus.FAILED
    assert message.attempts == 3
    assert "ConnectionRefusedError" in message.error


def test_permanent_refusal_fails_at_once(
    in_tenant: Tenant, mail_env: SMTPServer, django_capture_on_commit_callbacks: Any
) -> None:
    mail_env.refuse("554 5.7.1 Message rejected")
    actor = writer()
    invoice = make_invoice(actor=actor, finalize=True)

    message = _send(actor, invoice, django_capture_on_commit_callbacks)

    assert message.status == MessageStatus.FAILED
    assert "554" in message.error
