"""The invoice email says where to pay by bank transfer: the account frozen into the invoice and
the payment reference, in both parts (through the loopback SMTP server)."""

from __future__ import annotations

from typing import Any

import pytest

from delivery import services as sending
from delivery.tests.smtp import SMTPServer
from invoices import services
from invoices.tests.factories import ClientFactory, line, make_invoice, writer
from tenants.models import Role, Tenant

pytestmark = pytest.mark.django_db


def test_the_invoice_email_carries_the_bank_account_and_the_reference(
    in_tenant: Tenant, mail_env: SMTPServer, django_capture_on_commit_callbacks: Any
) -> None:
    owner = writer(Role.OWNER)
    services.bank_account_create(
        actor=owner,
        holder_name="Acme Design SARL",
        country="DE",
        currency="EUR",
        iban="DE89370400440532013000",
    )
    client = ClientFactory(name="Initech", emails=["ap@initech.example"])
    invoice = make_invoice(actor=owner, client=client, lines=[line("Design", "2", "450.00")], finalize=True)
    with django_capture_on_commit_callbacks(execute=True):
        sending.invoice_send(actor=owner, invoice=invoice)
    [received] = mail_env.wait_for(1)
    for part in (received.text, received.html):
        assert "Pay by bank transfer" in part
        assert "DE89 3704 0044 0532 0130 00" in part
        assert "Acme Design SARL" in part
        assert f"Payment reference: {invoice.number}" in part.replace(
            '<strong style="font-family:monospace;">', ""
        ).replace("</strong>", "")


def test_a_workspace_without_a_bank_account_sends_no_bank_block(
    in_tenant: Tenant, mail_env: SMTPServer, django_capture_on_commit_callbacks: Any
) -> None:
    owner = writer(Role.OWNER)
    invoice = make_invoice(actor=owner, lines=[line("Design", "1", "100.00")], finalize=True)
    with django_capture_on_commit_callbacks(execute=True):
        sending.invoice_send(actor=owner, invoice=invoice)
    [received] = mail_env.wait_for(1)
    assert invoice.number in received.text
    assert "Pay by bank transfer" not in received.text
    assert "data-bank" not in received.html
