"""Celery tasks of the invoices app. Each takes ids (the tenant's included), calls one service,
acknowledges late (a task whose worker dies is re-delivered), and is idempotent. Their results
are not stored (the document rows say what happened): one broker round trip less per PDF.

The document tasks enter the tenant's scope themselves, several times (see
`services.document_process`), instead of `run_in_tenant_scope`: that decorator holds one
transaction for the whole task, and the page must see *processing* while the PDF renders.
"""

from __future__ import annotations

import logging

from botocore.exceptions import BotoCoreError
from celery import shared_task
from celery.signals import worker_process_init, worker_process_shutdown
from django.db import DatabaseError
from django.utils.translation import gettext as _

from documents import bulk, services
from tenants.models import Tenant

logger = logging.getLogger(__name__)

# Storage or database hiccups: worth retrying, with exponential backoff (2, 4, 8… s, ≤ 60 s).
TRANSIENT = (services.TransientDocumentError, BotoCoreError, DatabaseError, ConnectionError, TimeoutError)
MAX_RETRIES = 5


def _backoff(retries: int) -> int:
    return min(60, 2 ** (retries + 1))


@shared_task(
    bind=True, name="invoices.render_document", acks_late=True, reject_on_worker_lost=True, ignore_result=True
)
def render_document(self, *, tenant_id: int, document_id: int) -> str:
    """Render one requested PDF and store it (see services.document_process)."""
    tenant = Tenant.objects.get(pk=tenant_id)
    try:
        return services.document_process(tenant=tenant, document_id=document_id)
    except TRANSIENT as error:
        # In-process (eager, the embedded default) there is no queue to wait in: report at once.
        if self.request.is_eager or self.request.retries >= MAX_RETRIES:
            logger.exception("giving up on document %s", document_id)
            services.document_mark_failed(
                tenant=tenant,
                document_id=document_id,
                reason=_("The file could not be stored (storage unavailable). Try again in a few minutes."),
            )
            return "failed"
        raise self.retry(
            exc=error, countdown=_backoff(self.request.retries), max_retries=MAX_RETRIES
        ) from error


@shared_task(
    bind=True, name="invoices.build_bulk_zip", acks_late=True, reject_on_worker_lost=True, ignore_result=True
)
def build_bulk_zip(self, *, tenant_id: int, job_id: int) -> str:
    """Build the ZIP of a bulk job's PDFs and store it (see bulk.bulk_zip_build)."""
    tenant = Tenant.objects.get(pk=tenant_id)
    try:
        return bulk.bulk_zip_build(tenant=tenant, job_id=job_id)
    except TRANSIENT as error:
        if self.request.is_eager or self.request.retries >= MAX_RETRIES:
            bulk.bulk_job_mark_failed(
                tenant=tenant, job_id=job_id, reason=_("The archive could not be stored. Try again later.")
            )
            return "failed"
        raise self.retry(
            exc=error, countdown=_backoff(self.request.retries), max_retries=MAX_RETRIES
        ) from error
    except Exception:
        logger.exception("building bulk archive %s failed", job_id)
        bulk.bulk_job_mark_failed(
            tenant=tenant, job_id=job_id, reason=_("The archive could not be built. Try again.")
        )
        return "failed"


@worker_process_init.connect
def _warm_pdf_renderer(**kwargs: object) -> None:
    """Load WeasyPrint, the fonts and the stylesheet when a worker process starts, so the
    first PDF it renders is as fast as the rest (a cold render costs ~0.6 s more), and tune
    the process's garbage collector for rendering (see render.prepare_rendering_process)."""
    try:
        from documents.render import prepare_rendering_process

        prepare_rendering_process()
    except Exception:  # a worker that cannot warm up still renders, only slower the first time
        logger.warning("could not warm up the PDF renderer", exc_info=True)


@worker_process_init.connect
def _compile_einvoice_rules(**kwargs: object) -> None:
    """Compile the e-invoice rule sets (Saxon stylesheets, XML schemas) once when a worker
    process starts, instead of on its first e-invoice (about 3 s on this machine)."""
    try:
        from einvoicing.validation import warm_up

        warm_up()
    except Exception:  # the first e-invoice compiles them, only slower
        logger.warning("could not compile the e-invoice rules", exc_info=True)


@worker_process_shutdown.connect
def _send_pending_statuses(**kwargs: object) -> None:
    """A worker process that stops (a deploy, a scale-down) first sends the statuses it
    published last, such as the "ready" of its final PDF, instead of leaving the page to poll."""
    from documents import live

    live.flush_pending()
