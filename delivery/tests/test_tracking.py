"""Delivery tracking: Amazon SES events as SNS posts them to anymail's webhook at
/anymail/amazon_ses/tracking/ (HTTP basic auth with ANYMAIL_WEBHOOK_SECRET).

Anymail 15 checks the basic auth and the SNS headers but not the SNS message signature (its
code marks that "Future"), so the payloads here are SNS's real shape, unsigned."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest
from django.test import Client as HttpClient

from delivery import services as sending
from delivery.models import (
    ClientEmailProblem,
    MessageKind,
    MessageStatus,
    OutgoingMessage,
)
from delivery.tests.smtp import SMTPServer
from invoices.models import EventVerb, InvoiceEvent
from invoices.tests.factories import ClientFactory, make_invoice
from tenants.models import Membership, Tenant
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db

URL = "/anymail/amazon_ses/tracking/"
SECRET = "ses-hook:Zq8r1-not-a-real-secret"


@pytest.fixture(autouse=True)
def ses_is_the_provider(settings: Any) -> None:
    # The webhook answers only when SES is the configured provider (delivery/tracking_webhook.py).
    settings.EMAIL_PROVIDER = "ses"


@pytest.fixture
def webhook_secret(settings: Any) -> str:
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": SECRET}
    return SECRET


def sns_post(ses_event: dict[str, Any], *, secret: str | None = SECRET) -> Any:
    sns_id = str(uuid.uuid4())
    envelope = {
        "Type": "Notification",
        "MessageId": sns_id,
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:ses-events",
        "Message": json.dumps(ses_event),
        "Timestamp": "2026-11-21T10:00:00.000Z",
        "SignatureVersion": "1",
        "Signature": "unsigned-in-tests",
        "SigningCertURL": "https://sns.us-east-1.amazonaws.com/cert.pem",
    }
    headers = {"HTTP_X_AMZ_SNS_MESSAGE_TYPE": "Notification", "HTTP_X_AMZ_SNS_MESSAGE_ID": sns_id}
    if secret:
        headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(secret.encode()).decode()
    return HttpClient().post(URL, data=json.dumps(envelope), content_type="text/plain", **headers)


def ses_event(kind: str, message_id: str, recipients: list[str], **extra: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "eventType": kind,
        "mail": {
            "timestamp": "2026-11-21T09:59:58.000Z",
            "messageId": message_id,
            "source": "no-reply@invoiceflow.localhost",
            "destination": recipients,
            "headers": [],
        },
    }
    if kind == "Bounce":
        event["bounce"] = {
            "bounceType": "Permanent",
            "bounceSubType": "General",
            "bouncedRecipients": [
                {"emailAddress": address, "diagnosticCode": "smtp; 550 5.1.1 user unknown"}
                for address in recipients
            ],
            "timestamp": "2026-11-21T10:00:00.000Z",
        }
    elif kind == "Complaint":
        event["complaint"] = {
            "complainedRecipients": [{"emailAddress": address} for address in recipients],
            "complaintFeedbackType": "abuse",
            "timestamp": "2026-11-21T10:00:00.000Z",
        }
    elif kind == "Delivery":
        event["delivery"] = {"recipients": recipients, "timestamp": "2026-11-21T10:00:00.000Z"}
    event.update(extra)
    return event


@pytest.fixture
def sent_invoice(
    tenant: Tenant,
    owner_membership: Membership,
    admin_membership: Membership,
    mail_env: SMTPServer,
    django_capture_on_commit_callbacks: Any,
) -> OutgoingMessage:
    with tenant_scope(tenant):
        client = ClientFactory(name="Initech", emails=["ap@initech.example", "gone@initech.example"])
        invoice = make_invoice(actor=owner_membership, client=client, finalize=True)
        with django_capture_on_commit_callbacks(execute=True):
            message = sending.invoice_send(actor=owner_membership, invoice=invoice)
        message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    mail_env.wait_for(1)
    return message


def test_delivery_then_bounce_update_the_message_flag_the_address_and_tell_the_managers(
    tenant: Tenant,
    sent_invoice: OutgoingMessage,
    webhook_secret: str,
    mail_env: SMTPServer,
    owner_client: HttpClient,
    django_capture_on_commit_callbacks: Any,
) -> None:
    provider_id = sent_invoice.provider_message_id

    delivered = sns_post(ses_event("Delivery", provider_id, ["ap@initech.example"]))
    assert delivered.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        bounced = sns_post(ses_event("Bounce", provider_id, ["gone@initech.example"]))
    assert bounced.status_code == 200

    with tenant_scope(tenant):
        message = OutgoingMessage.objects.get(pk=sent_invoice.pk)
        assert message.recipient_status == {
            "ap@initech.example": "delivered",
            "gone@initech.example": "bounced",
        }
        assert message.status == MessageStatus.BOUNCED
        invoice = message.invoice
        verbs = list(InvoiceEvent.objects.filter(invoice=invoice).values_list("verb", flat=True))
        assert EventVerb.EMAIL_DELIVERED in verbs
        assert EventVerb.EMAIL_BOUNCED in verbs
        [problem] = ClientEmailProblem.objects.filter(client=invoice.client, cleared_at__isnull=True)
        assert problem.email == "gone@initech.example"
        assert "Permanent" in problem.description
        [notice] = OutgoingMessage.objects.filter(kind=MessageKind.BOUNCE_NOTICE)
        assert sorted(notice.to) == ["admin@acme.test", "owner@acme.test"]
        assert notice.status == MessageStatus.SENT

    # The owners and admins got an email through the SMTP server...
    [received] = [message for message in mail_env.messages if "owner@acme.test" in message.rcpt_tos]
    assert "gone@initech.example" in received.subject
    assert invoice.number in received.text
    # ...and the invoice page shows the flagged address and the bounced email.
    page = owner_client.get(f"/t/{tenant.slug}/invoices/{invoice.public_id}/").content.decode()
    assert "gone@initech.example" in page
    assert 'data-testid="email-problem"' in page
    assert "Bounced" in page


def test_redelivered_notification_changes_nothing(
    tenant: Tenant,
    sent_invoice: OutgoingMessage,
    webhook_secret: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    event = ses_event("Bounce", sent_invoice.provider_message_id, ["gone@initech.example"])
    with django_capture_on_commit_callbacks(execute=True):
        sns_post(event)
        sns_post(event)
    with tenant_scope(tenant):
        assert InvoiceEvent.objects.filter(verb=EventVerb.EMAIL_BOUNCED).count() == 1
        assert OutgoingMessage.objects.filter(kind=MessageKind.BOUNCE_NOTICE).count() == 1
        assert ClientEmailProblem.objects.count() == 1


def test_complaint_is_recorded(
    tenant: Tenant,
    sent_invoice: OutgoingMessage,
    webhook_secret: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            sns_post(
                ses_event("Complaint", sent_invoice.provider_message_id, ["ap@initech.example"])
            ).status_code
            == 200
        )
    with tenant_scope(tenant):
        message = OutgoingMessage.objects.get(pk=sent_invoice.pk)
        assert message.status == MessageStatus.COMPLAINED
        assert ClientEmailProblem.objects.get().kind == "complained"


@pytest.mark.parametrize("secret", [None, "ses-hook:wrong"])
def test_unauthenticated_posts_are_refused(
    tenant: Tenant, sent_invoice: OutgoingMessage, webhook_secret: str, secret: str | None
) -> None:
    response = sns_post(
        ses_event("Bounce", sent_invoice.provider_message_id, ["gone@initech.example"]), secret=secret
    )
    assert response.status_code in (400, 401)
    with tenant_scope(tenant):
        assert OutgoingMessage.objects.get(pk=sent_invoice.pk).status == MessageStatus.SENT
        assert not ClientEmailProblem.objects.exists()


def test_without_a_configured_secret_every_post_is_refused(
    tenant: Tenant, sent_invoice: OutgoingMessage
) -> None:
    # The settings' default: a random secret nobody knows.
    response = sns_post(ses_event("Bounce", sent_invoice.provider_message_id, ["gone@initech.example"]))
    assert response.status_code == 400
    with tenant_scope(tenant):
        assert OutgoingMessage.objects.get(pk=sent_invoice.pk).status == MessageStatus.SENT


def test_unknown_message_id_is_ignored(webhook_secret: str, db: None) -> None:
    assert sns_post(ses_event("Bounce", "not-ours", ["x@example.com"])).status_code == 200
    assert not ClientEmailProblem.unscoped_across_tenants.exists()


def test_another_tenant_cannot_be_reached_through_a_message_id(
    tenant: Tenant,
    other_tenant: Tenant,
    sent_invoice: OutgoingMessage,
    webhook_secret: str,
) -> None:
    # The index names the tenant; the message is looked up in that tenant's scope only.
    with tenant_scope(other_tenant):
        assert not OutgoingMessage.objects.filter(pk=sent_invoice.pk).exists()
    sns_post(ses_event("Delivery", sent_invoice.provider_message_id, ["ap@initech.example"]))
    with tenant_scope(tenant):
        assert OutgoingMessage.objects.get(pk=sent_invoice.pk).status == MessageStatus.DELIVERED
