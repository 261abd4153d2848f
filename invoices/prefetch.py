"""An invoice's lines with their tax rates, loaded in two queries.

Django's `prefetch_related("lines__line_taxes__tax_rate")` builds a queryset for every line
to cache its taxes on: about a millisecond a line, seconds for an invoice of 5,000 lines
(`invoices.limits.MAX_LINES`). This reads the lines and all their taxes in two queries and
caches them where `prefetch_related` would, so `invoice.lines.all()` and
`line.line_taxes.all()` read memory.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from invoices.models import AllowanceCharge, Invoice, InvoiceLine, InvoiceLineTax
from invoices.services.allowances import rows_cache, taxes_with_rates


def _cached(queryset: models.QuerySet, rows: list[Any]) -> models.QuerySet:
    queryset._result_cache = rows
    # Django's own flag (what prefetch_related sets once done); django-stubs leave it out.
    queryset._prefetch_done = True  # type: ignore[attr-defined]
    return queryset


def prefetch_lines(invoice: Invoice) -> list[InvoiceLine]:
    """The invoice's lines (with catalog items and tax rates), cached on it and returned.

    The invoice's `lines` cache is a real queryset (a `.filter()` on it queries as usual);
    each line's `line_taxes` cache is an empty queryset holding its rows, for reading only.
    """
    lines = list(InvoiceLine.objects.filter(invoice=invoice).select_related("catalog_item"))
    by_pk = {line.pk: line for line in lines}
    taxes: dict[int, list[InvoiceLineTax]] = {pk: [] for pk in by_pk}
    for tax in InvoiceLineTax.objects.filter(line__invoice=invoice).select_related("tax_rate").order_by("pk"):
        tax.line = by_pk[tax.line_id]
        taxes[tax.line_id].append(tax)
    for line in lines:
        line.invoice = invoice
        _prefetch_cache(line)["line_taxes"] = _cached(InvoiceLineTax._base_manager.none(), taxes[line.pk])
    # Allowances and charges of both levels (with a document one's taxes): two more queries.
    rows = list(AllowanceCharge.objects.filter(invoice=invoice).prefetch_related(taxes_with_rates()))
    for row in rows:
        row.invoice = invoice
    rows_cache(invoice, rows)
    of_line: dict[int, list[AllowanceCharge]] = {pk: [] for pk in by_pk}
    for row in rows:
        if row.line_id is not None:
            of_line[row.line_id].append(row)
    for line in lines:
        rows_cache(line, of_line[line.pk])
    _prefetch_cache(invoice)["lines"] = _cached(InvoiceLine.objects.filter(invoice=invoice), lines)
    return lines


def _prefetch_cache(instance: models.Model) -> dict[str, models.QuerySet]:
    """The instance's `prefetch_related` cache, made empty if it has none yet."""
    cache = getattr(instance, "_prefetched_objects_cache", None)
    if cache is None:
        # Where Django's prefetch_related keeps its caches; django-stubs leave it out.
        cache = instance._prefetched_objects_cache = {}  # type: ignore[attr-defined]
    return cache
