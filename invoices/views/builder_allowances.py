"""The invoice builder's allowances and charges (EN 16931 BG-20/BG-21, and BG-27/BG-28 kept).

Document-level rows are posted as `ac-N-kind`, `ac-N-amount`, `ac-N-percentage`,
`ac-N-reason`, `ac-N-reason_code` and `ac-N-tax_rates` (several), with `ac-TOTAL_FORMS`;
"+ Add allowance or charge" (`op=ac-add`) and each row's remove button (`op=ac-remove-N`)
post the form like the line buttons do. A row left blank is ignored, like a blank line.
They are checked and saved by the same services as the API's (`invoices.services.allowances`).

A line's own are rows of the same shape under each line (`builder_line_allowances.py`):
the rows, their checks, their view and the reason codes here serve both levels.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from invoices import codelists
from invoices.models import Invoice, TaxRate
from invoices.money import quantize_money
from invoices.services.allowances import MAX_PER_LEVEL, AllowanceChargeData, document_rows
from invoices.services.draft_discount import draft_discount_as_allowances

AC_PREFIX = "ac"
AC_FIELDS = ("kind", "amount", "percentage", "reason", "reason_code")
AC_OP = re.compile(r"^ac-(add)$|^ac-(remove)-(\d{1,3})$")
CHARGE = "charge"


def _text(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f}"


def row_of(item: AllowanceChargeData, currency: str) -> dict[str, Any]:
    amount = item.amount
    return {
        "kind": CHARGE if item.charge else "allowance",
        "amount": "" if amount is None else str(quantize_money(Decimal(amount), currency)),
        "percentage": _text(None if item.percentage is None else Decimal(item.percentage)),
        "reason": item.reason,
        "reason_code": item.reason_code,
        "base_amount": ""
        if item.base_amount is None
        else str(quantize_money(Decimal(item.base_amount), currency)),
        "tax_rates": [rate if isinstance(rate, str) else rate.public_id for rate in item.tax_rates],
    }


def blank_row() -> dict[str, Any]:
    return {
        "kind": "allowance",
        "amount": "",
        "percentage": "",
        "reason": "",
        "reason_code": "",
        "tax_rates": [],
    }


def invoice_rows(invoice: Invoice) -> list[dict[str, Any]]:
    """A draft's document-level allowances and charges as builder rows, its old invoice-wide
    discount first (as the allowance rows it amounts to: see `services.draft_discount`)."""
    items = [*draft_discount_as_allowances(invoice)]
    items += [AllowanceChargeData.from_row(row) for row in document_rows(invoice)]
    return [row_of(item, invoice.currency) for item in items]


def raw_rows(
    data: QueryDict | MultiValueDict,
    prefix: str = AC_PREFIX,
    fields: tuple[str, ...] = AC_FIELDS,
    limit: int = MAX_PER_LEVEL,
) -> list[dict[str, Any]]:
    """The posted rows `<prefix>-N-<field>` as plain values (at most `limit`)."""
    try:
        count = int(data.get(f"{prefix}-TOTAL_FORMS", "0"))
    except ValueError:
        count = 0
    rows = []
    for index in range(max(0, min(count, limit))):
        at = f"{prefix}-{index}-"
        row = {name: (data.get(at + name) or "").strip() for name in fields}
        row["tax_rates"] = data.getlist(at + "tax_rates")
        rows.append(row)
    return rows


def put_rows(
    data: MultiValueDict,
    rows: list[dict[str, Any]],
    prefix: str = AC_PREFIX,
    fields: tuple[str, ...] = AC_FIELDS,
) -> None:
    data[f"{prefix}-TOTAL_FORMS"] = str(len(rows))
    for index, row in enumerate(rows):
        at = f"{prefix}-{index}-"
        for name in fields:
            data[at + name] = row.get(name, "")
        data.setlist(at + "tax_rates", list(row.get("tax_rates", [])))


def apply_allowance_op(op: str, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Apply "ac-add" / "ac-remove-N" to `rows` in place; the page's hints, or None."""
    match = AC_OP.match(op)
    if not match:
        return None
    if match[1] and len(rows) < MAX_PER_LEVEL:
        rows.append(blank_row())
        return {"ac_focus": len(rows) - 1}
    if match[2] and int(match[3]) < len(rows):
        rows.pop(int(match[3]))
    return {"ac_focus_add": True}


def is_blank(row: dict[str, Any]) -> bool:
    return not any(row[name] for name in ("amount", "percentage", "reason", "reason_code"))


class Rows:
    """Posted allowance or charge rows, with the errors placed on them (by row index)."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.errors: dict[int, dict[str, list[str]]] = {}

    def filled(self) -> list[tuple[int, dict[str, Any]]]:
        return [(index, row) for index, row in enumerate(self.rows) if not is_blank(row)]

    def add_error(self, index: int, name: str, message: str) -> None:
        self.errors.setdefault(index, {}).setdefault(name, []).append(message)

    def service_item(self, index: int, row: dict[str, Any]) -> dict[str, Any] | None:
        """A row as the services take it (without tax rates), or None with its error placed."""
        if row["kind"] not in ("allowance", CHARGE):
            self.add_error(index, "kind", _("Choose an allowance or a charge."))
            return None
        percentage = row["percentage"].rstrip("%").strip()
        return {
            "charge": row["kind"] == CHARGE,
            "amount": row["amount"] or None,
            "percentage": percentage or None,
            # Set through the API; it goes with a percentage only.
            "base_amount": (row.get("base_amount") or None) if percentage else None,
            "reason": row["reason"],
            "reason_code": row["reason_code"],
        }


class AllowanceRows(Rows):
    """The posted document-level rows, with the errors placed on them."""

    def __init__(self, data: QueryDict | MultiValueDict) -> None:
        super().__init__(raw_rows(data))

    def service_data(self, line_rate_sets: set[frozenset[str]]) -> list[dict[str, Any]] | None:
        """The rows as the services take them, or None (errors placed) when a row lacks the
        tax rates it must name: with one set of rates on the lines, a row without rates takes
        those; with several, it must choose (none then means the untaxed lines, as in the API,
        when some lines carry no tax)."""
        result = []
        for index, row in self.filled():
            rates = list(row["tax_rates"])
            if not rates and len(line_rate_sets) > 1 and frozenset() not in line_rate_sets:
                self.add_error(
                    index,
                    "tax_rates",
                    _("The lines have several tax rates: choose the ones this falls under."),
                )
                continue
            if not rates and len(line_rate_sets) == 1:
                (only,) = line_rate_sets
                rates = sorted(only)
            item = self.service_item(index, row)
            if item is not None:
                result.append({**item, "tax_rates": rates})
        return None if self.errors else result

    def place(self, error: ApplicationError) -> bool:
        """Put a service's error at ("allowances_charges", i, name) on its row (i counts the
        filled rows only)."""
        match error.path:
            case ("allowances_charges", int(position), str(name)):
                filled = self.filled()
                if position < len(filled):
                    self.add_error(filled[position][0], name, error.message)
                    return True
        return False

    def message(self, error: ApplicationError) -> str | None:
        """A service's error on a row as the totals panel says it: "Allowance or charge 2: …"."""
        match error.path:
            case ("allowances_charges", int(position), *_rest):
                filled = self.filled()
                number = filled[position][0] + 1 if position < len(filled) else position + 1
                return _("Allowance or charge %(number)d: %(message)s") % {
                    "number": number,
                    "message": error.message,
                }
        return None


def reason_codes() -> list[tuple[str, str]]:
    """Every reason code a row may give (UNTDID 5189 for allowances, 7161 for charges): their
    codes do not overlap, so one list serves both kinds."""
    allowance, charge = _("allowance"), _("charge")
    return [(code.code, f"{code.name} ({allowance})") for code in codelists.allowance_reasons()] + [
        (code.code, f"{code.name} ({charge})") for code in codelists.charge_reasons()
    ]


def view_row(
    rows: Rows,
    index: int,
    amount: Any,
    *,
    title: str,
    remove: str,
    prefix: str = AC_PREFIX,
    tax_rates: list[TaxRate] | None = None,
) -> dict[str, Any]:
    """One row as `_builder_allowance_row.html` reads it: values, errors, its rates'
    checkboxes (document level), the amount the server computed and its names."""
    row = rows.rows[index]
    chosen = set(row["tax_rates"])
    return {
        "prefix": prefix,
        "index": index,
        "p": f"{prefix}-{index}",
        "values": row,
        "errors": rows.errors.get(index, {}),
        "charge": row["kind"] == CHARGE,
        "label": reason_label(row["kind"] == CHARGE, row["reason"], row["reason_code"]) or title,
        "title": title,
        "remove": remove,
        "rates": [(rate.public_id, str(rate), rate.public_id in chosen) for rate in tax_rates or []],
        "amount": amount,
    }


def view_rows(
    rows: AllowanceRows, tax_rates: list[TaxRate], results: list[Any] | None
) -> list[dict[str, Any]]:
    """The document-level rows as the template reads them (amounts: filled rows only)."""
    amounts = iter(results or [])
    return [
        view_row(
            rows,
            index,
            None if is_blank(row) or results is None else next(amounts, None),
            title=_("Allowance or charge %(n)d") % {"n": index + 1},
            remove=_("Remove allowance or charge %(n)s") % {"n": index + 1},
            tax_rates=tax_rates,
        )
        for index, row in enumerate(rows.rows)
    ]


def reason_label(charge: bool, reason: str, code: str) -> str:
    """As the documents print it (`allowance_display.label`): the reason, or the code's name."""
    if reason:
        return reason
    codes = codelists.charge_reasons() if charge else codelists.allowance_reasons()
    return codes.name(code) if code in codes else code
