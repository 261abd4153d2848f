"""Helpers the invoicing services share, and the apps above them use (delivery, billing, documents,
portal): actor checks, tenant-safe lookups, the timeline, dates. Public: import them by name."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from core.errors import ApplicationError, FieldRef
from invoices.events import timeline_event_publish
from invoices.models import EventVerb, Invoice, InvoiceEvent
from tenants.models import Membership, Role, Tenant
from tenants.permissions import require_role
from tenants.scoping import TenantOwnedModel, current_tenant

M = TypeVar("M", bound=TenantOwnedModel)  # resolve() reads the tenant-scoped `objects`


def check_writer(actor: Membership) -> Tenant:
    """The current tenant (one must be entered), once `actor` is shown to be a member of it who
    may write: `require_role(actor, Role.MEMBER)` with the invoicing domain's message."""
    current_tenant()
    return require_role(actor, Role.MEMBER, message=_("Your role can view but not change invoicing data."))


def resolve(model: type[M], value: M | str, *, field: FieldRef, label: str, lock: bool = False) -> M:
    """The current tenant's `model` row named by a public id or an instance.

    Another tenant's row is reported exactly like a missing one: "not found".
    """
    queryset = model.objects.all()  # the scoped manager: current tenant only
    if lock:
        queryset = queryset.select_for_update()
    if isinstance(value, model):
        found = queryset.filter(pk=value.pk).first()
    elif isinstance(value, str) and value:
        found = queryset.filter(public_id=value).first()
    else:
        found = None
    if found is None:
        raise ApplicationError(_("No such %(label)s.") % {"label": label}, field=field, code="not_found")
    return found


def raise_validation(error: ValidationError, *, prefix: str = "") -> None:
    if hasattr(error, "error_dict"):
        name, messages = next(iter(error.message_dict.items()))
        field = None if name == "__all__" else f"{prefix}{name}"
        raise ApplicationError(messages[0], field=field) from error
    raise ApplicationError(error.messages[0]) from error


def full_clean(instance: models.Model, *, exclude: list[str] | None = None, prefix: str = "") -> None:
    try:
        instance.full_clean(exclude=["tenant", *(exclude or [])], validate_unique=False)
    except ValidationError as error:
        raise_validation(error, prefix=prefix)


def tenant_today(tenant: Tenant | None = None) -> date:
    """Today in the tenant's time zone: an invoice issued at 23:30 in Tokyo is dated in Tokyo."""
    tenant = tenant or current_tenant()
    return datetime.now(ZoneInfo(tenant.time_zone or "UTC")).date()


def record_event(
    invoice: Invoice, *, verb: EventVerb, actor: Membership | None = None, **data: Any
) -> InvoiceEvent:
    event = InvoiceEvent.objects.create(
        invoice=invoice, actor=actor.user if actor else None, verb=verb, data=data
    )
    # The one place the domain announces what happened (finalized, sent, paid, ...): an outbox
    # event in this transaction, for the apps above to handle after it commits (invoices/events.py).
    timeline_event_publish(event)
    return event
