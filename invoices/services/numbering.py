"""Gapless document numbers: one counter row per tenant, series and period, locked to count."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from invoices.models import (
    DEFAULT_PATTERNS,
    NumberCounter,
    NumberReset,
    NumberSeries,
    SeriesKind,
    render_number,
)
from invoices.services.common import check_writer, full_clean
from tenants.models import Membership, Role
from tenants.permissions import require_role
from tenants.scoping import current_tenant


@dataclass(frozen=True)
class TakenNumber:
    number: str
    sequence: int
    period: str


def default_series(kind: str) -> NumberSeries:
    """An unsaved series with the default pattern, for a tenant that never chose one."""
    return NumberSeries(
        tenant=current_tenant(),
        kind=kind,
        pattern=DEFAULT_PATTERNS[SeriesKind(kind)],
        reset=NumberReset.YEARLY,
    )


def _series(kind: str) -> NumberSeries:
    series = NumberSeries.objects.filter(kind=kind).first()
    if series is None:
        # Two first finalizations of a tenant may race to create the row: ON CONFLICT DO
        # NOTHING lets both proceed, and both then read the one row that exists.
        NumberSeries.objects.bulk_create([default_series(kind)], ignore_conflicts=True)
        series = NumberSeries.objects.get(kind=kind)
    return series


def number_take(*, kind: str, on: date) -> TakenNumber:
    """Take the next number of `kind` for a document dated `on`. Call inside the finalizing
    transaction only: the number is consumed if and only if that transaction commits.

    The counter row is locked with SELECT … FOR UPDATE, so concurrent finalizations of one
    tenant's series queue here, each reading the value the previous one committed. A
    finalization that fails after this point rolls back the increment with everything else:
    the next one reuses the number, hence no gap. The unique constraint on invoice numbers is
    the backstop against duplicates (e.g. a pattern changed to one that repeats numbers).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("number_take must run inside the finalizing transaction.")
    series = _series(kind)
    period = series.period_for(on)
    tenant = current_tenant()
    counter = NumberCounter.objects.select_for_update().filter(series=series, period=period).first()
    if counter is None:
        # A new period (or series): create its counter; a concurrent creator's row wins
        # the conflict and we lock that one instead.
        NumberCounter.objects.bulk_create(
            [NumberCounter(tenant=tenant, series=series, period=period, next_value=1)], ignore_conflicts=True
        )
        counter = NumberCounter.objects.select_for_update().get(series=series, period=period)
    sequence = counter.next_value
    counter.next_value = sequence + 1
    counter.save(update_fields=["next_value"])
    return TakenNumber(
        number=render_number(series.pattern, sequence=sequence, on=on), sequence=sequence, period=period
    )


@transaction.atomic
def number_series_update(*, actor: Membership, kind: str, pattern: str, reset: str) -> NumberSeries:
    """Set the tenant's numbering for `kind`. Owners and admins only.

    Numbers already given are kept; the sequence continues from the counter of the period.
    """
    check_writer(actor)
    require_role(actor, Role.ADMIN, message=_("Only owners and admins can change numbering."))
    if kind not in SeriesKind.values:
        raise ApplicationError(_("Choose invoices or credit notes."), field="kind")
    if reset not in NumberReset.values:
        raise ApplicationError(_("Choose when numbering restarts."), field="reset")
    series = _series(kind)
    series = NumberSeries.objects.select_for_update().get(pk=series.pk)
    series.pattern = pattern.strip()
    series.reset = reset
    full_clean(series)
    series.save()
    return series
