"""An invoice's lines with their tax rates, allowances and charges, loaded in a few queries
whatever their number.

Django's `prefetch_related("lines__line_taxes__tax_rate")` builds a queryset for every line
to cache its taxes on: about a millisecond a line, seconds for an invoice of 5,000 lines
(`invoices.limits.MAX_LINES`). This reads the lines, all their taxes and the few rates they
name in three queries and caches them where `prefetch_related` would, so
`invoice.lines.all()` and `line.line_taxes.all()` read memory.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from invoices.models import AllowanceCharge, Invoice, InvoiceLine, InvoiceLineTax, TaxRate
from invoices.services.allowances import rows_cache, taxes_with_rates


def _cached(queryset: models.QuerySet, rows: list[Any]) -> models.QuerySet:
    queryset._result_cache = rows
    # Django's own flag (what prefetch_related sets once done); django-stubs leave it out.
    queryset._prefetch_done = True  # type: ignore[attr-defined]
    return queryset


def _copies(template: models.QuerySet, groups: list[list[Any]]) -> list[models.QuerySet]:
    """A shallow copy of `template` holding each group of rows.

    Building a queryset costs tens of microseconds (it clones its SQL query), too much once a
    line. The copies share the template's query, which no QuerySet method changes in place
    (`.filter()` and the rest clone it first), so each reads as the template would.
    """
    state = template.__dict__
    cls = type(template)
    copies = []
    for rows in groups:
        copy = cls.__new__(cls)
        copy.__dict__.update(state, _result_cache=rows, _prefetch_done=True)
        copies.append(copy)
    return copies


def prefetch_lines(invoice: Invoice) -> list[InvoiceLine]:
    """The invoice's lines (with catalog items and tax rates), cached on it and returned.

    The invoice's `lines` cache is a real queryset (a `.filter()` on it queries as usual);
    each line's `line_taxes` cache is an empty queryset holding its rows, for reading only.
    """
    lines = list(InvoiceLine.objects.filter(invoice=invoice).select_related("catalog_item"))
    by_pk = {line.pk: line for line in lines}
    taxes: dict[int, list[InvoiceLineTax]] = {pk: [] for pk in by_pk}
    # The rates are few (an invoice's thousands of taxes name two or three): one instance each.
    line_taxes = list(InvoiceLineTax.objects.filter(line__invoice=invoice).order_by("pk"))
    rates = TaxRate.objects.in_bulk({tax.tax_rate_id for tax in line_taxes})
    for tax in line_taxes:
        tax.line = by_pk[tax.line_id]
        tax.tax_rate = rates[tax.tax_rate_id]
        taxes[tax.line_id].append(tax)
    empty = InvoiceLineTax._base_manager.none()
    for line, cached in zip(lines, _copies(empty, [taxes[line.pk] for line in lines]), strict=True):
        line.invoice = invoice
        _prefetch_cache(line)["line_taxes"] = cached
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


def adopt_lines(invoice: Invoice, source: Invoice) -> bool:
    """Move what `prefetch_lines` read on `source` to `invoice`, the same row read again, and
    say whether there was anything to move (else the caller reads the lines itself).

    Finalizing reads the lines to check them, then answers with them: reading 5,000 lines
    and their taxes a second time would cost a tenth of a second. Only a full read moves: the
    lines and the allowances and charges, both dropped by whatever writes lines
    (`store_lines`, `store_allowances_charges`).
    """
    lines_cache = getattr(source, "_prefetched_objects_cache", {}).get("lines")
    rows = source.__dict__.get("_allowances_charges")
    if source.pk != invoice.pk or lines_cache is None or rows is None:
        return False
    lines = list(lines_cache)
    for line in lines:
        line.invoice = invoice
    for row in rows:
        row.invoice = invoice
    rows_cache(invoice, rows)
    _prefetch_cache(invoice)["lines"] = _cached(InvoiceLine.objects.filter(invoice=invoice), lines)
    return True


def _prefetch_cache(instance: models.Model) -> dict[str, models.QuerySet]:
    """The instance's `prefetch_related` cache, made empty if it has none yet."""
    cache = getattr(instance, "_prefetched_objects_cache", None)
    if cache is None:
        # Where Django's prefetch_related keeps its caches; django-stubs leave it out.
        cache = instance._prefetched_objects_cache = {}  # type: ignore[attr-defined]
    return cache
