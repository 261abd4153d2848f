"""The member who generated documents in bulk gets an email when the batch is ready."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from delivery import notices
from delivery.models import MessageKind, MessageStatus, OutgoingMessage
from delivery.tests.smtp import SMTPServer
from documents.bulk import bulk_generate
from documents.models import BulkJob, BulkJobStatus
from invoices.tests.factories import make_invoice
from tenants.models import Membership, Tenant
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


def test_bulk_generation_emails_the_member_once_when_ready(
    tenant: Tenant,
    member_membership: Membership,
    mail_env: SMTPServer,
    settings: Any,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    with tenant_scope(tenant):
        invoices = [make_invoice(actor=member_membership, finalize=True) for _ in range(2)]
        with django_capture_on_commit_callbacks(execute=True):
            job = bulk_generate(actor=member_membership, invoices=[invoice.public_id for invoice in invoices])
        job = BulkJob.objects.get(pk=job.pk)
        assert job.status == BulkJobStatus.READY
        # A second call (a late duplicate event) sends nothing more.
        assert notices.notify_bulk_ready(bulk_job_id=job.pk) is None
        [message] = OutgoingMessage.objects.filter(kind=MessageKind.BULK_READY)
        assert message.status == MessageStatus.SENT

    [received] = mail_env.wait_for(1)
    assert received.rcpt_tos == ["member@acme.test"]
    assert received.subject == "Your 2 documents are ready"
    assert "2 documents were generated" in received.text
    assert f"/t/{tenant.slug}/documents/bulk/" in received.text
    assert received.attachments() == []


def test_running_job_sends_nothing(
    tenant: Tenant, member_membership: Membership, mail_env: SMTPServer
) -> None:
    with tenant_scope(tenant):
        job = BulkJob.objects.create(kind="generate", total=3, requested_by=member_membership.user)
        assert notices.notify_bulk_ready(bulk_job_id=job.pk) is None
        assert not OutgoingMessage.objects.exists()
