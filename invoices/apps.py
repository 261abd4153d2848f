from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig

if TYPE_CHECKING:
    from tenants.models import Tenant


class InvoicesConfig(AppConfig):
    name = "invoices"

    def ready(self) -> None:
        from tenants.signals import document_details_changed

        document_details_changed.connect(_drafts_print_the_new_details, dispatch_uid="invoices-drafts")


def _drafts_print_the_new_details(sender: object, *, tenant: Tenant, **kwargs: object) -> None:
    """The workspace's printed details changed: so did its drafts' documents."""
    from invoices.services.invoices import drafts_mark_changed
    from tenants.scoping import tenant_scope

    with tenant_scope(tenant):
        drafts_mark_changed()
