"""Emails to the workspace's own members (not to clients): a bounce notice, a finished bulk job.

Queued and sent like every email (`OutgoingMessage`, `delivery.tasks.send_message`), written in
the workspace's language.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from delivery.emails import SUBJECT_MAX
from delivery.models import MessageKind, OutgoingMessage
from delivery.services import queue_message
from invoices.l10n import document_language
from invoices.models import Invoice
from tenants.models import Membership, Tenant
from tenants.scoping import current_tenant


def tenant_managers(tenant: Tenant) -> list[Membership]:
    from tenants.models import Role

    return list(
        Membership.objects.filter(tenant=tenant, role__in=[Role.OWNER, Role.ADMIN])
        .select_related("user")
        .order_by("pk")
    )


def notice_queue(
    *,
    kind: str,
    to: list[str],
    subject: str,
    invoice: Invoice | None = None,
    context: dict[str, Any] | None = None,
) -> OutgoingMessage | None:
    """An email from the platform to the tenant's own people (bounce notice, batch ready)."""
    recipients = [address for address in dict.fromkeys(to) if address]
    if not recipients:
        return None
    tenant = current_tenant()
    message = OutgoingMessage.objects.create(
        kind=kind,
        invoice=invoice,
        to=recipients,
        subject=subject[:SUBJECT_MAX],
        language=document_language(tenant.locale)[0],
        context=context or {},
    )
    queue_message(message)
    return message


def notify_bulk_ready(*, bulk_job_id: int) -> OutgoingMessage | None:
    """Email the member who started a bulk generation that its documents are ready.

    For the PDF pipeline to call, in the tenant's scope, when a `BulkJob` finishes; at most one
    email per job (a second call finds the first message and sends nothing).
    """
    from documents.models import BulkJob, BulkJobStatus

    job = BulkJob.objects.select_related("requested_by").filter(pk=bulk_job_id).first()
    if job is None or job.requested_by is None or job.status == BulkJobStatus.RUNNING:
        return None
    if OutgoingMessage.objects.filter(kind=MessageKind.BULK_READY, context__job=job.public_id).exists():
        return None
    tenant = current_tenant()
    with translation.override(document_language(tenant.locale)[0]):
        subject = (
            _("Your %(count)d documents are ready") % {"count": job.done}
            if job.status == BulkJobStatus.READY
            else _("Your bulk document job failed")
        )
    return notice_queue(
        kind=MessageKind.BULK_READY,
        to=[job.requested_by.email],
        subject=subject,
        context={
            "job": job.public_id,
            "job_kind": job.kind,
            "job_status": job.status,
            "done": job.done,
            "failed": job.failed,
            "total": job.total,
            "url": f"{settings.SITE_URL}{reverse('bulk_documents', args=[tenant.slug])}",
        },
    )
