"""What the invoice builder shares with the other documents built from lines (quotes).

The posted lines (`raw_lines`, `lines_data`), their forms (`bind_lines`), the line operations
(add, remove, move, fill from the catalog: `apply_line_op`), a service's error placed on its
line (`place_line_error`, `line_message`) and the totals panel (`totals_context`). A builder
keeps its header its own; its lines, their error boxes and the totals are these, rendered by
`builder_lines.py` and the `_builder_lines*.html` / `_builder_totals*.html` partials.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Protocol

from django.db.models import Q
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from invoices import limits
from invoices.forms import LINE_PREFIX, LineForm, new_line_key, tax_rate_choices
from invoices.models import CatalogItem, TaxRate
from invoices.money import quantize_money
from invoices.templatetags.invoice_tags import money
from invoices.views.builder_lines import LINE_DETAILS, LINE_FIELDS, blank_line, catalog_options, line_row

LINE_OP = re.compile(r"^(add|remove|up|down|pick)-([0-9a-f]{1,24})$|^(add)$")


class LineState(Protocol):
    """What the shared pieces read of a builder: its line forms, the rates and catalog offered."""

    lines: list[LineForm]
    tax_rates: list[TaxRate]
    catalog: list[CatalogItem]

    def filled_lines(self) -> list[tuple[int, LineForm]]: ...


def filled_lines(lines: list[LineForm]) -> list[tuple[int, LineForm]]:
    return [(index, line) for index, line in enumerate(lines) if not line.is_blank()]


def raw_lines(data: QueryDict | MultiValueDict) -> list[dict[str, Any]]:
    """The posted lines as plain values (at most `limits.MAX_LINES`), each with a valid key."""
    try:
        count = int(data.get(f"{LINE_PREFIX}-TOTAL_FORMS", "0"))
    except ValueError:
        count = 0
    lines = []
    for index in range(max(0, min(count, limits.MAX_LINES))):
        prefix = f"{LINE_PREFIX}-{index}-"
        line = {name: data.get(prefix + name, "") for name in (*LINE_FIELDS, *LINE_DETAILS)}
        line["tax_rates"] = data.getlist(prefix + "tax_rates")
        line["key"] = line["key"] if re.fullmatch(r"[0-9a-f]{1,24}", line["key"] or "") else new_line_key()
        lines.append(line)
    return lines


def lines_data(header: dict[str, Any], lines: list[dict[str, Any]]) -> MultiValueDict:
    """Form data of a header's values and lines, as the builder posts them."""
    data: MultiValueDict[str, Any] = MultiValueDict()
    for name, value in header.items():
        data.setlist(name, value if isinstance(value, list) else [value])
    data[f"{LINE_PREFIX}-TOTAL_FORMS"] = str(len(lines))
    for index, line in enumerate(lines):
        prefix = f"{LINE_PREFIX}-{index}-"
        for name in (*LINE_FIELDS, *LINE_DETAILS):
            data[prefix + name] = line.get(name, "")
        data.setlist(prefix + "tax_rates", list(line.get("tax_rates", [])))
    return data


def bind_lines(data: QueryDict | MultiValueDict) -> tuple[list[LineForm], list[TaxRate]]:
    """The line forms bound to the posted lines, and the tax rates they may choose from."""
    raw = raw_lines(data)
    wanted_rates = {rate for line in raw for rate in line["tax_rates"]}
    # Archived rates stay offered on the lines that already carry them.
    rates = list(
        TaxRate.objects.filter(Q(archived_at__isnull=True) | Q(public_id__in=wanted_rates)).order_by(
            "name", "pk"
        )
    )
    shared = LineForm.shared_fields(tax_rate_choices(rates))
    # Bound to the normalized lines (each with a valid key), not to the raw post.
    bound = lines_data({}, raw)
    forms = [
        LineForm(bound, prefix=f"{LINE_PREFIX}-{index}", shared_fields=shared) for index in range(len(raw))
    ]
    return forms, rates


def catalog_choices() -> list[CatalogItem]:
    from invoices import selectors

    return list(selectors.catalog_item_list()[: limits.BUILDER_CATALOG_CHOICES])


def apply_line_op(op: str, lines: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Apply a line operation ("add", "remove-<key>", "up-<key>", "down-<key>", "pick-<key>") to
    `lines` in place; the page's hints (the line to focus), or None when `op` is not one."""
    match = LINE_OP.match(op)
    if not match:
        return None
    action, key = match[1] or match[3], match[2]
    hints: dict[str, Any] = {}
    index = next((i for i, line in enumerate(lines) if line["key"] == key), None)
    if action == "add":
        if len(lines) < limits.MAX_LINES:
            lines.append(blank_line())
            hints["focus"] = lines[-1]["key"]
    elif action == "remove" and index is not None:
        lines.pop(index)
        if not lines:
            lines.append(blank_line())
        hints["focus_add"] = True
    elif action in ("up", "down") and index is not None:
        other = index - 1 if action == "up" else index + 1
        if 0 <= other < len(lines):
            lines[index], lines[other] = lines[other], lines[index]
    elif action == "pick" and index is not None:
        item = CatalogItem.objects.filter(public_id=lines[index]["catalog_item"]).first()
        if item is not None:
            lines[index].update(
                description=item.name + (f"\n{item.description}" if item.description else ""),
                unit=item.unit,
                unit_price=str(quantize_money(item.unit_price, item.currency)),
                tax_rates=[tax.tax_rate.public_id for tax in item.item_taxes.select_related("tax_rate")],
                quantity=lines[index]["quantity"] or "1",
            )
            hints["focus"] = lines[index]["key"]
    return hints


def line_error(error: ApplicationError) -> tuple[int, str] | None:
    """The position among the lines sent and the field of an error at ("lines", 2, "unit_price")."""
    match error.path:
        case (prefix, int(position), str(name)) if prefix == LINE_PREFIX:
            return position, name
    return None


def place_line_error(state: LineState, error: ApplicationError) -> bool:
    """Put a service's line error beside its field (positions count filled lines only)."""
    at_line = line_error(error)
    if not at_line:
        return False
    filled = state.filled_lines()
    position, name = at_line
    if position >= len(filled):
        return False
    form = filled[position][1]
    form.add_error(name if name in form.fields else None, error.message)
    return True


def line_message(state: LineState, error: ApplicationError) -> str:
    """A service's error as the totals panel says it: "Line 3: …"."""
    at_line = line_error(error)
    if at_line:
        filled = state.filled_lines()
        position = at_line[0]
        number = filled[position][0] + 1 if position < len(filled) else position + 1
        return _("Line %(number)d: %(message)s") % {"number": number, "message": error.message}
    return error.message


def totals_context(state: LineState, totals: Any, error: str | None) -> dict[str, Any]:
    """Totals with each tax's rate, and each line's amount keyed by the line (filled lines only)."""
    rates = {rate.pk: rate for rate in state.tax_rates}
    amounts: dict[int, Any] = {}
    if totals is not None:
        for (index, _line), amount in zip(state.filled_lines(), totals.line_amounts, strict=True):
            amounts[index] = amount
    chosen = {rate.public_id: rate for rate in state.tax_rates}
    # A picker per line while the document is short; one shared list (a datalist) when it is long.
    options = (
        catalog_options(state.catalog) if len(state.lines) <= limits.BUILDER_CATALOG_SELECT_MAX_LINES else ""
    )
    rows = [
        line_row(line, index, amounts.get(index), chosen, options) for index, line in enumerate(state.lines)
    ]
    return {
        "totals": totals,
        "totals_error": error,
        "tax_rows": [(rates.get(tax.rate.key), tax) for tax in totals.taxes] if totals else [],
        "rows": rows,
        "catalog_select": bool(options),
    }


def money_of(totals: Any) -> Callable[[Any], str]:
    currency = totals.currency if totals is not None else ""
    return lambda amount: money(amount, currency)
