"""What the documents pipeline announces, through the outbox (events/), in the transaction
that changes the document or the bulk job: outgoing webhooks listen to a ready document, the
email app to a finished bulk job. The pipeline never names them.
"""

from __future__ import annotations

from documents.models import BulkJob, InvoiceDocument
from events.services import event_record

# {"document": {"object": "document", "id", "invoice", "format", "size"},
#  "document_version": "<document id>:<content version>" (one version, one event)}
DOCUMENT_READY = "document.ready"
# {"bulk_job": <public id>, "status": "ready" | "failed"}
BULK_JOB_FINISHED = "document.bulk_job_finished"


def document_ready_publish(*, document: InvoiceDocument, invoice_public_id: str) -> None:
    event_record(
        topic=DOCUMENT_READY,
        payload={
            "document": {
                "object": "document",
                "id": document.public_id,
                "invoice": invoice_public_id,
                "format": document.format,
                "size": document.size,
            },
            "document_version": f"{document.pk}:{document.content_version}",
        },
    )


def bulk_job_finished_publish(*, job: BulkJob) -> None:
    event_record(topic=BULK_JOB_FINISHED, payload={"bulk_job": job.public_id, "status": job.status})
