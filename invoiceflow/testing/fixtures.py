"""Every harness fixture, for the root conftest's one import line."""

from invoiceflow.testing.celery_worker import celery_worker
from invoiceflow.testing.s3 import s3_server, s3_storage

__all__ = ["celery_worker", "s3_server", "s3_storage"]
