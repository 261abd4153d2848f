"""Writes for invoicing. Keyword-only, typed, named `<entity>_<action>`; each raises
`core.errors.ApplicationError` (with `field` set where one field is at fault) and
changes nothing when it does. Every service runs in the current tenant's scope and resolves
the objects it is given (instances or public ids) within that tenant only.

Import from here: `from invoices import services; services.invoice_finalize(...)`.
"""

from invoices.services.catalog import (
    catalog_item_archive,
    catalog_item_create,
    catalog_item_update,
    client_archive,
    client_create,
    client_delete,
    client_unarchive,
    client_update,
    tax_rate_archive,
    tax_rate_create,
    tax_rate_update,
)
from invoices.services.contacts import (
    contact_create,
    contact_delete,
    contact_make_primary,
    contact_update,
    contacts_resolve,
)
from invoices.services.credit_notes import (
    credit_note_create,
    credit_note_create_standalone,
    invoice_duplicate,
)
from invoices.services.invoices import (
    invoice_create_draft,
    invoice_delete_draft,
    invoice_finalize,
    invoice_mark_sent,
    invoice_mark_uncollectible,
    invoice_recalculate_draft,
    invoice_record_view,
    invoice_update_draft,
    invoice_void,
)
from invoices.services.lines import LineData, invoice_calculate
from invoices.services.numbering import number_series_update, number_take
from invoices.services.payments import (
    invoice_recompute_status,
    payment_delete,
    payment_record,
    payment_record_external,
)
from invoices.services.refunds import dispute_upsert_external, refund_upsert_external
from invoices.services.seller import (
    bank_account_create,
    bank_account_delete,
    bank_account_set_default,
    bank_account_update,
    company_profile_get,
    company_profile_update,
    default_bank_account,
    invoice_legal_gaps,
)

__all__ = [
    "LineData",
    "bank_account_create",
    "bank_account_delete",
    "bank_account_set_default",
    "bank_account_update",
    "catalog_item_archive",
    "catalog_item_create",
    "catalog_item_update",
    "client_archive",
    "client_create",
    "client_delete",
    "client_unarchive",
    "client_update",
    "company_profile_get",
    "company_profile_update",
    "contact_create",
    "contact_delete",
    "contact_make_primary",
    "contact_update",
    "contacts_resolve",
    "credit_note_create",
    "credit_note_create_standalone",
    "default_bank_account",
    "dispute_upsert_external",
    "invoice_calculate",
    "invoice_create_draft",
    "invoice_delete_draft",
    "invoice_duplicate",
    "invoice_finalize",
    "invoice_legal_gaps",
    "invoice_mark_sent",
    "invoice_mark_uncollectible",
    "invoice_recalculate_draft",
    "invoice_recompute_status",
    "invoice_record_view",
    "invoice_update_draft",
    "invoice_void",
    "number_series_update",
    "number_take",
    "payment_delete",
    "payment_record",
    "payment_record_external",
    "refund_upsert_external",
    "tax_rate_archive",
    "tax_rate_create",
    "tax_rate_update",
]
