"""The email app's subscriptions to the outbox (events/): a finished bulk job is emailed to
the member who started it (at most one email per job, see `notify_bulk_ready`)."""

from __future__ import annotations

from delivery.notices import notify_bulk_ready
from documents.events import BULK_JOB_FINISHED
from documents.models import BulkJob
from events.registry import Event, subscribe


@subscribe(BULK_JOB_FINISHED, name="delivery.bulk_job_ready")
def email_bulk_job_ready(event: Event) -> None:
    job = BulkJob.objects.filter(public_id=event.payload["bulk_job"]).first()
    if job is not None:
        notify_bulk_ready(bulk_job_id=job.pk)
