"""Signals the tenants app sends; other apps receive them without tenants importing them."""

from django.dispatch import Signal

# The workspace's details printed on documents changed (name, country, logo, brand colour).
# Sent inside the changing transaction with `tenant`; invoices marks its drafts changed, since
# drafts print the workspace as it is now (finalized invoices keep their snapshot).
document_details_changed = Signal()
