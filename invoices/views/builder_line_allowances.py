"""A line's own allowances and charges in the invoice builder (EN 16931 BG-27/BG-28).

They are rows of the document-level rows' shape (`builder_allowances.py`: the same fields,
checks, view and template, `_builder_allowance_row.html`), shown under their line and posted
as `lac-N-<field>` with `lac-TOTAL_FORMS`, plus `lac-N-line` (the line's builder key, so a row
follows its line when it moves and goes with it when it is removed) and `lac-N-base_amount`
(a percentage's base set through the API, kept hidden). A line's "+ Allowance or charge"
posts `op=lac-add-<key>`, a row's remove button `op=lac-remove-N`. The services check them
as they check the API's, and their errors come back to the row's field.

A page opened before they could be edited posts them as JSON in `line_allowances`; it is
still read, and refused whole (nothing saved) when it cannot be.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Protocol

from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from invoices import limits
from invoices.forms import LINE_PREFIX, LineForm
from invoices.models import Invoice, TaxRate
from invoices.services.allowances import MAX_PER_LEVEL, AllowanceChargeData, rows_of
from invoices.views.builder_allowances import (
    AC_FIELDS,
    CHARGE,
    AllowanceRows,
    Rows,
    blank_row,
    is_blank,
    raw_rows,
    row_of,
    view_row,
    view_rows,
)
from invoices.views.builder_shared import filled_lines

LAC_PREFIX = "lac"
LAC_FIELDS = (*AC_FIELDS, "line", "base_amount")
LAC_OP = re.compile(r"^lac-add-([0-9a-f]{1,24})$|^lac-remove-(\d{1,4})$")
LINE_ALLOWANCES = "line_allowances"  # the JSON an older page posts
# More rows than a post can carry (Django refuses it first: `limits.BUILDER_POST_MAX_FIELDS`):
# a bound on reading a tampered count that never drops a row a page really posted.
MAX_ROWS = limits.BUILDER_POST_MAX_FIELDS // len(LAC_FIELDS)

# (position among all lines, builder key, a discount given) of each filled line, in order.
FilledLines = list[tuple[int, str, bool]]


def filled_keys(lines: list[LineForm]) -> FilledLines:
    """(position, key, a discount given) of each filled line (valid forms), as the rows'
    errors are placed."""
    return [
        (
            index,
            line.posted_key,
            bool((line.cleaned_data.get("discount") or "").strip("0.,")),
        )
        for index, line in filled_lines(lines)
    ]


def invoice_line_rows(invoice: Invoice, keys: list[str]) -> list[dict[str, Any]]:
    """A draft's line allowances and charges as builder rows (`keys`: each line's builder key,
    in order), read with the invoice's own in two queries."""
    by_line: dict[int, list[Any]] = {}
    for row in rows_of(invoice):
        if row.line_id is not None:
            by_line.setdefault(row.line_id, []).append(row)
    out = []
    for key, line in zip(keys, invoice.lines.all(), strict=True):
        for row in sorted(by_line.get(line.pk, []), key=lambda row: row.position):
            out.append({**row_of(AllowanceChargeData.from_row(row), invoice.currency), "line": key})
    return out


def _legacy_rows(text: str) -> list[dict[str, Any]]:
    """The rows an older page posted as JSON keyed by line; ValueError when unreadable."""
    value = json.loads(text)
    if not isinstance(value, dict) or not all(isinstance(items, list) for items in value.values()):
        raise ValueError("Not a mapping of lists.")
    rows = []
    for key, items in value.items():
        for item in items:
            if not isinstance(item, dict):
                raise ValueError("Not a mapping.")
            rows.append(
                {
                    **blank_row(),
                    **{name: str(item.get(name) or "") for name in LAC_FIELDS},
                    "kind": CHARGE if item.get("charge") else "allowance",
                    "line": key,
                }
            )
    return rows


def grouped(rows: list[dict[str, Any]], keys: list[str]) -> list[dict[str, Any]]:
    """The rows under their lines, in the lines' order; a row of no line on the page is dropped."""
    order = {key: position for position, key in enumerate(keys)}
    return sorted((row for row in rows if row["line"] in order), key=lambda row: order[row["line"]])


def raw_line_rows(data: QueryDict | MultiValueDict, keys: list[str]) -> list[dict[str, Any]]:
    """The posted rows of the lines `keys`; ValueError when an older page's JSON is unreadable."""
    legacy = (data.get(LINE_ALLOWANCES) or "").strip()
    if f"{LAC_PREFIX}-TOTAL_FORMS" in data or not legacy:
        return grouped(raw_rows(data, LAC_PREFIX, LAC_FIELDS, MAX_ROWS), keys)
    return grouped(_legacy_rows(legacy), keys)


def apply_line_allowance_op(op: str, rows: list[dict[str, Any]], keys: list[str]) -> dict[str, Any] | None:
    """Apply "lac-add-<key>" / "lac-remove-N" to `rows` in place; the page's hints, or None."""
    match = LAC_OP.match(op)
    if not match:
        return None
    key = match[1]
    if key:
        on_line = sum(1 for row in rows if row["line"] == key)
        if key in keys and on_line < MAX_PER_LEVEL and len(rows) < MAX_ROWS:
            rows.append({**blank_row(), "line": key, "base_amount": ""})
            rows[:] = grouped(rows, keys)
            added = max(index for index, row in enumerate(rows) if row["line"] == key)
            return {"lac_focus": added}
        return {}
    index = int(match[2])
    if index < len(rows):
        return {"lac_focus_add": rows.pop(index)["line"]}
    return {}


class LineAllowanceRows(Rows):
    """The posted rows of every line, with the errors placed on them."""

    def __init__(self, data: QueryDict | MultiValueDict, keys: list[str]) -> None:
        self.unreadable = False
        try:
            rows = raw_line_rows(data, keys)
        except ValueError:
            rows, self.unreadable = [], True
        super().__init__(rows)
        self._data: dict[str, list[dict[str, Any]]] | None = None

    def check(self, lines: list[LineForm]) -> bool:
        """Whether every row can go to the services (the line forms are valid); errors placed."""
        # A blank line is not saved: its allowances and charges would be lost without a word.
        blank = {line.posted_key for line in lines if line.is_blank()}
        for index, row in self.filled():
            if row["line"] in blank and not self.errors.get(index):
                self.add_error(index, "amount", _("Describe the line this applies to."))
        return self.service_data() is not None

    def service_data(self) -> dict[str, list[dict[str, Any]]] | None:
        """Each line's rows as the services take them, by line key, or None (errors placed)."""
        if self._data is None:
            found: dict[str, list[dict[str, Any]]] = {}
            for index, row in self.filled():
                item = self.service_item(index, row)
                if item is not None:
                    found.setdefault(row["line"], []).append(item)
            self._data = found
        return None if self.errors else self._data

    def _at(self, filled: FilledLines, line: int, position: int) -> int | None:
        """The row index of a line's `position`-th filled row (`line` counts filled lines)."""
        if line >= len(filled):
            return None
        key = filled[line][1]
        on_line = [index for index, row in self.filled() if row["line"] == key]
        return on_line[position] if position < len(on_line) else None

    def _excess(self, filled: FilledLines, line: int) -> tuple[int, str] | None:
        """The engine refuses a line taken below zero as "discount"; with no discount given
        it is the line's allowances': their last row and its field."""
        if line >= len(filled) or filled[line][2]:
            return None
        key = filled[line][1]
        mine = [(index, row) for index, row in self.filled() if row["line"] == key and row["kind"] != CHARGE]
        if not mine:
            return None
        index, row = mine[-1]
        return index, "percentage" if row["percentage"] else "amount"

    def _locate(self, error: ApplicationError, filled: FilledLines) -> tuple[int, int, str, str] | None:
        """(line position, row index, field, message) of a service's error on a line's row."""
        match error.path:
            case (prefix, int(line), "allowances_charges", int(position), str(name)) if prefix == LINE_PREFIX:
                index = self._at(filled, line, position)
                if index is not None:
                    return line, index, name, error.message
            case (prefix, int(line), "discount") if prefix == LINE_PREFIX:
                found = self._excess(filled, line)
                if found is not None:
                    message = _("The allowances on a line cannot exceed its amount.")
                    return line, found[0], found[1], message
        return None

    def place(self, error: ApplicationError, filled: FilledLines) -> bool:
        found = self._locate(error, filled)
        if found is None:
            return False
        _line, index, name, message = found
        self.add_error(index, name, message)
        return True

    def message(self, error: ApplicationError, filled: FilledLines) -> str | None:
        """The error as the totals panel says it: "Line 2: Allowance or charge 1: …"."""
        found = self._locate(error, filled)
        if found is None:
            return None
        line, index, _name, message = found
        key = filled[line][1]
        number = [i for i, row in enumerate(self.rows) if row["line"] == key].index(index) + 1
        on_row = _("Allowance or charge %(number)d: %(message)s") % {"number": number, "message": message}
        return _("Line %(number)d: %(message)s") % {"number": filled[line][0] + 1, "message": on_row}


def line_views(
    rows: LineAllowanceRows, keys: list[str], results: Mapping[str, list[Any]]
) -> list[dict[str, Any]]:
    """Every row as `_builder_allowance_row.html` reads it, with its line's key and the amount
    the server computed (`results`: each line's, by key, for its filled rows)."""
    numbers = {key: position + 1 for position, key in enumerate(keys)}
    on_line: dict[str, int] = {}
    amounts = {key: iter(found) for key, found in results.items()}
    out = []
    for index, row in enumerate(rows.rows):
        key = row["line"]
        on_line[key] = on_line.get(key, 0) + 1
        names = {"line": numbers[key], "n": on_line[key]}
        amount = None if is_blank(row) or key not in amounts else next(amounts[key], None)
        view = view_row(
            rows,
            index,
            amount,
            prefix=LAC_PREFIX,
            title=_("Line %(line)s, allowance or charge %(n)s") % names,
            remove=_("Remove allowance or charge %(n)s of line %(line)s") % names,
        )
        out.append({**view, "line": key})
    return out


def line_html(views: list[dict[str, Any]], context: Mapping[str, Any]) -> dict[str, str]:
    """Each line's rows, rendered, by line key (lines without rows have none)."""
    by_line: dict[str, list[dict[str, Any]]] = {}
    for view in views:
        by_line.setdefault(view["line"], []).append(view)
    return {
        key: render_to_string("invoices/_builder_line_allowances.html", {**context, "allowance_rows": found})
        for key, found in by_line.items()
    }


class AllowanceState(Protocol):
    """What `allowances_context` reads of a builder."""

    lines: list[LineForm]
    tax_rates: list[TaxRate]
    allowances: AllowanceRows
    line_allowances: LineAllowanceRows


def _line_results(state: AllowanceState, totals: Any) -> dict[str, list[Any]]:
    """The amounts the server computed for each line's rows, by line key (a line's discount
    comes first among its results, its rows after it)."""
    if totals is None:
        return {}
    counts = Counter(row["line"] for _index, row in state.line_allowances.filled())
    found = {}
    for (_index, line), result in zip(filled_lines(state.lines), totals.lines, strict=True):
        key = line.posted_key
        if counts[key]:
            found[key] = list(result.allowances_charges)[-counts[key] :]
    return found


def allowances_context(state: AllowanceState, totals: Any) -> dict[str, Any]:
    """The rows of the document and of the lines, with the amounts the server computed."""
    filled = len(state.allowances.filled())
    mine, old = None, []
    if totals is not None:
        # The old discount (a post that still carries it) comes first, the rows after it.
        results = list(totals.document_allowances_charges)
        mine, old = results[len(results) - filled :], results[: len(results) - filled]
    keys = [line.posted_key for line in state.lines]
    return {
        "has_allowances": True,
        "allowance_rows": view_rows(state.allowances, state.tax_rates, mine),
        "old_discount": sum((result.amount for result in old), Decimal(0)),
        "line_allowance_rows": line_views(state.line_allowances, keys, _line_results(state, totals)),
        "has_line_allowances": True,
    }
