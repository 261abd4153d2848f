"""Moved to `invoices.services.common` (public: other apps use it). This name stays only until
the branches started before the move have landed; import `invoices.services.common`."""

from invoices.services.common import (
    check_writer,
    full_clean,
    raise_validation,
    record_event,
    resolve,
    tenant_today,
)

__all__ = ["check_writer", "full_clean", "raise_validation", "record_event", "resolve", "tenant_today"]
