"""The invoice builder: one form, the header and its lines, posted whole.

Every button is a submit button with `name="op"`: without JavaScript the page posts, the server
applies the operation (add, remove, move a line, fill it from the catalog, create a client)
and renders the form again; with htmx the same buttons post the same form and only the part
that changed is swapped. Totals are always the server's: the live preview posts the form to
`invoice_builder_totals`, which calls the same calculation service that stores them.
Nothing is written until "Save draft" (or "Preview" / "Review & finalize", which save first).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import ApplicationError
from invoices import limits, selectors, services
from invoices.forms import (
    LINE_PREFIX,
    InvoiceHeaderForm,
    LineForm,
    QuickClientForm,
    new_line_key,
    tax_rate_choices,
)
from invoices.models import CatalogItem, Client, DiscountType, Invoice, TaxRate
from invoices.money import is_currency
from invoices.services.common import tenant_today
from invoices.templatetags.invoice_tags import money
from invoices.views._helpers import found_or_404, writer_required
from invoices.views.builder_lines import (
    LINE_FIELDS,
    catalog_options,
    line_row,
    render_line_updates,
    render_lines,
)
from invoices.views.client_picker import quick_client_create
from tenants.scoping import current_tenant

HEADER_FIELDS = tuple(InvoiceHeaderForm.base_fields)
OP = re.compile(r"^(add|remove|up|down|pick)-([0-9a-f]{1,24})$|^(add|new-client|clear-client)$")
SAVE_OPS = {"save", "preview", "finalize"}


# --- the builder's state -------------------------------------------------------------------


@dataclass
class Builder:
    """The header and line forms of one builder page, bound to posted (or saved) data."""

    header: InvoiceHeaderForm
    lines: list[LineForm]
    tax_rates: list[TaxRate]
    catalog: list[CatalogItem]
    client: Client | None
    quick_client: QuickClientForm
    invoice: Invoice | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def currency(self) -> str:
        chosen = self.header.data.get("currency") or ""
        if is_currency(chosen):
            return chosen
        if self.client is not None:
            return self.client.currency
        return ""

    def is_valid(self) -> bool:
        # Every form validates, so every error shows at once.
        results = [self.header.is_valid(), *(line.is_valid() for line in self.lines)]
        return all(results)

    def filled_lines(self) -> list[tuple[int, LineForm]]:
        return [(index, line) for index, line in enumerate(self.lines) if not line.is_blank()]

    def line_data(self) -> list[dict[str, Any]]:
        """What the services take, from valid forms; blank lines are left out."""
        result = []
        for _index, line in self.filled_lines():
            data = line.cleaned_data
            result.append(
                {
                    "description": data["description"],
                    "quantity": data["quantity"],
                    "unit": data["unit"],
                    "unit_price": data["unit_price"],
                    "discount": data["discount"] or "0",
                    "tax_rates": list(data["tax_rates"]),
                    "catalog_item": data["catalog_item"] or None,
                    "metadata": data["metadata"],
                }
            )
        return result

    def add_service_error(self, error: ApplicationError) -> None:
        """Put a service's error beside its field: ("lines", 2, "unit_price") counts filled lines only."""
        at_line = _line_error(error)
        if at_line:
            filled = self.filled_lines()
            position, name = at_line
            if position < len(filled):
                form = filled[position][1]
                form.add_error(name if name in form.fields else None, error.message)
                return
        if error.field in self.header.fields:
            self.header.add_error(error.field, error.message)
            return
        self.errors.append(error.message)

    def has_errors(self) -> bool:
        return bool(self.errors or self.header.errors or any(line.errors for line in self.lines))


def _raw_lines(data: QueryDict | MultiValueDict) -> list[dict[str, Any]]:
    try:
        count = int(data.get(f"{LINE_PREFIX}-TOTAL_FORMS", "0"))
    except ValueError:
        count = 0
    lines = []
    for index in range(max(0, min(count, limits.MAX_LINES))):
        prefix = f"{LINE_PREFIX}-{index}-"
        line = {name: data.get(prefix + name, "") for name in LINE_FIELDS}
        line["tax_rates"] = data.getlist(prefix + "tax_rates")
        line["key"] = line["key"] if re.fullmatch(r"[0-9a-f]{1,24}", line["key"] or "") else new_line_key()
        lines.append(line)
    return lines


def _blank_line(tax_rates: list[str] | None = None) -> dict[str, Any]:
    return {
        "key": new_line_key(),
        "catalog_item": "",
        "description": "",
        "quantity": "1",
        "unit": "",
        "unit_price": "",
        "discount": "",
        "metadata": "",
        "tax_rates": tax_rates or [],
    }


def _to_data(header: dict[str, Any], lines: list[dict[str, Any]]) -> MultiValueDict:
    data = MultiValueDict()
    for name, value in header.items():
        data.setlist(name, value if isinstance(value, list) else [value])
    data[f"{LINE_PREFIX}-TOTAL_FORMS"] = str(len(lines))
    for index, line in enumerate(lines):
        prefix = f"{LINE_PREFIX}-{index}-"
        for name in LINE_FIELDS:
            data[prefix + name] = line.get(name, "")
        data.setlist(prefix + "tax_rates", list(line.get("tax_rates", [])))
    return data


def _header_values(data: QueryDict | MultiValueDict) -> dict[str, Any]:
    values = {name: data.get(name, "") for name in HEADER_FIELDS}
    for name in QuickClientForm.base_fields:
        values[name] = data.get(name, "")
    return values


def _invoice_data(invoice: Invoice) -> MultiValueDict:
    header = {
        "client": invoice.client.public_id,
        "currency": invoice.currency,
        "issue_date": invoice.issue_date.isoformat(),
        "due_date": invoice.due_date.isoformat(),
        "buyer_reference": invoice.buyer_reference,
        "discount_type": invoice.discount_type,
        "discount_value": f"{invoice.discount_value.normalize():f}" if invoice.discount_value else "",
        "notes": invoice.notes,
        "terms": invoice.terms,
    }
    lines = [
        {
            "key": new_line_key(),
            "catalog_item": line.catalog_item.public_id if line.catalog_item else "",
            "description": line.description,
            "quantity": f"{line.quantity.normalize():f}",
            "unit": line.unit,
            "unit_price": _plain(line.unit_price, invoice.currency),
            "discount": _plain(line.discount, invoice.currency) if line.discount else "",
            "metadata": json.dumps(line.metadata) if line.metadata else "",
            "tax_rates": [tax.tax_rate.public_id for tax in line.line_taxes.all()],
        }
        for line in invoice.lines.all()
    ]
    return _to_data(header, lines or [_blank_line()])


def _plain(amount: Any, currency: str) -> str:
    from invoices.money import quantize_money

    return str(quantize_money(amount, currency))


def _new_data(request: HttpRequest) -> MultiValueDict:
    header: dict[str, Any] = {"discount_type": DiscountType.AMOUNT, "issue_date": tenant_today().isoformat()}
    wanted = request.GET.get("client", "")
    if wanted and selectors.client_get(public_id=wanted):
        header["client"] = wanted
    return _to_data(header, [_blank_line()])


def _builder(data: QueryDict | MultiValueDict, invoice: Invoice | None = None) -> Builder:
    raw_lines = _raw_lines(data)
    wanted_rates = {rate for line in raw_lines for rate in line["tax_rates"]}
    # Archived rates stay offered on the lines that already carry them.
    rates = list(
        TaxRate.objects.filter(Q(archived_at__isnull=True) | Q(public_id__in=wanted_rates)).order_by(
            "name", "pk"
        )
    )
    choices = tax_rate_choices(rates)
    shared = LineForm.shared_fields(choices)
    # Bound to the normalized lines (each with a valid key), not to the raw post.
    line_data = _to_data({}, raw_lines)
    client = None
    client_id = data.get("client") or ""
    if client_id:
        client = selectors.client_get(public_id=client_id)
    return Builder(
        header=InvoiceHeaderForm(data),
        lines=[
            LineForm(line_data, prefix=f"{LINE_PREFIX}-{index}", shared_fields=shared)
            for index in range(len(raw_lines))
        ],
        tax_rates=rates,
        catalog=list(selectors.catalog_item_list()[: limits.BUILDER_CATALOG_CHOICES]),
        client=client,
        # Unbound (values kept as initial): it is validated only when "Create client" is pressed.
        quick_client=QuickClientForm(
            initial={
                "new_client_name": data.get("new_client_name", ""),
                "new_client_email": data.get("new_client_email", ""),
                "new_client_currency": data.get("new_client_currency") or current_tenant().default_currency,
            }
        ),
        invoice=invoice,
    )


# --- operations on the unsaved form ------------------------------------------------------------


def _apply_op(request: HttpRequest, op: str, data: QueryDict) -> tuple[MultiValueDict, dict[str, Any]]:
    """The form data after `op`, and hints for the page (which line to focus, errors)."""
    header = _header_values(data)
    lines = _raw_lines(data)
    hints: dict[str, Any] = {}
    match = OP.match(op)
    action, key = (match[1] or match[3], match[2]) if match else ("", None)
    index = next((i for i, line in enumerate(lines) if line["key"] == key), None)
    if action == "add":
        if len(lines) < limits.MAX_LINES:
            lines.append(_blank_line())
            hints["focus"] = lines[-1]["key"]
    elif action == "remove" and index is not None:
        lines.pop(index)
        if not lines:
            lines.append(_blank_line())
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
                unit_price=_plain(item.unit_price, item.currency),
                tax_rates=[tax.tax_rate.public_id for tax in item.item_taxes.select_related("tax_rate")],
                quantity=lines[index]["quantity"] or "1",
            )
            hints["focus"] = lines[index]["key"]
    elif action == "new-client":
        client, form = quick_client_create(request, data)
        hints["quick_client_form"] = form
        if client is not None:
            header["client"] = client.public_id
            for name in QuickClientForm.base_fields:
                header[name] = ""
            messages.success(request, _("Client %(name)s created.") % {"name": client.name})
    elif action == "clear-client":
        header["client"] = ""
    return _to_data(header, lines), hints


# --- rendering ---------------------------------------------------------------------------------


def _context(request: HttpRequest, builder: Builder, **extra: Any) -> dict[str, Any]:
    invoice = builder.invoice
    action = (
        reverse("invoice_edit", args=[request.tenant.slug, invoice.public_id])
        if invoice
        else reverse("invoice_new", args=[request.tenant.slug])
    )
    return {
        "builder": builder,
        "invoice": invoice,
        "action": action,
        "quick_client": extra.pop("quick_client_form", None) or builder.quick_client,
        "line_count": len(builder.lines),
        "noscript_clients": [] if builder.client else list(selectors.client_list()[:200]),
        **extra,
    }


def _live_totals(builder: Builder) -> tuple[Any, str | None]:
    """The server's totals of what is on the form, or the first reason it has none.

    While the user types, a service error is reported in the totals panel only; it lands on
    its field when they save (see `_save`), not on a half-typed line.
    """
    currency = builder.currency or builder.header.data.get("currency") or ""
    if not currency:
        return None, _("Choose a client (or a currency) to see the totals.")
    if not builder.is_valid():
        return None, _("Fix the highlighted fields to see the totals.")
    try:
        totals = services.invoice_calculate(
            currency=currency,
            lines=builder.line_data(),
            discount_type=builder.header.cleaned_data["discount_type"],
            discount_value=builder.header.cleaned_data["discount_value"] or "0",
        )
    except ApplicationError as error:
        return None, _line_message(builder, error)
    return totals, None


def _line_error(error: ApplicationError) -> tuple[int, str] | None:
    """The position among the lines sent and the field of an error at ("lines", 2, "unit_price")."""
    match error.path:
        case (prefix, int(position), str(name)) if prefix == LINE_PREFIX:
            return position, name
    return None


def _line_message(builder: Builder, error: ApplicationError) -> str:
    at_line = _line_error(error)
    if at_line:
        filled = builder.filled_lines()
        position = at_line[0]
        number = filled[position][0] + 1 if position < len(filled) else position + 1
        return _("Line %(number)d: %(message)s") % {"number": number, "message": error.message}
    return error.message


def _totals_context(builder: Builder, totals: Any, error: str | None) -> dict[str, Any]:
    """Totals with each tax's rate, and each line's amount keyed by the line (filled lines only)."""
    rates = {rate.pk: rate for rate in builder.tax_rates}
    amounts: dict[int, Any] = {}
    if totals is not None:
        for (index, _line), amount in zip(builder.filled_lines(), totals.line_amounts, strict=True):
            amounts[index] = amount
    chosen = {rate.public_id: rate for rate in builder.tax_rates}
    # A picker per line while the invoice is short; one shared list (a datalist) when it is long.
    options = (
        catalog_options(builder.catalog)
        if len(builder.lines) <= limits.BUILDER_CATALOG_SELECT_MAX_LINES
        else ""
    )
    rows = [
        line_row(line, index, amounts.get(index), chosen, options) for index, line in enumerate(builder.lines)
    ]
    return {
        "totals": totals,
        "totals_error": error,
        "tax_rows": [(rates.get(tax.rate.key), tax) for tax in totals.taxes] if totals else [],
        "rows": rows,
        "catalog_select": bool(options),
    }


def _render(
    request: HttpRequest, builder: Builder, *, partial: str | None = None, **extra: Any
) -> HttpResponse:
    totals, error = _live_totals(builder)
    context = _context(request, builder, **extra)
    context.update(_totals_context(builder, totals, error))
    context["lines_html"] = render_lines(
        context["rows"],
        action=context["action"],
        tenant_slug=request.tenant.slug,
        has_catalog=bool(builder.catalog),
        catalog_select=context["catalog_select"],
        focus=context.get("focus"),
        money=_money_of(totals),
    )
    return render(request, partial or "invoices/builder.html", context)


def _money_of(totals: Any) -> Any:
    currency = totals.currency if totals is not None else ""
    return lambda amount: money(amount, currency)


def _save(request: HttpRequest, builder: Builder) -> Invoice | None:
    if not builder.is_valid():
        return None
    header = builder.header.cleaned_data
    if not header.get("client"):
        builder.header.add_error("client", _("Choose the client to bill, or create one."))
        return None
    fields = {
        "client": header["client"],
        "lines": builder.line_data(),
        "currency": header.get("currency") or None,
        "issue_date": header.get("issue_date"),
        "due_date": header.get("due_date"),
        "discount_type": header["discount_type"],
        "discount_value": header.get("discount_value") or "0",
        "notes": header.get("notes", ""),
        "terms": header.get("terms", ""),
        "buyer_reference": header.get("buyer_reference", ""),
    }
    try:
        with transaction.atomic():
            if builder.invoice is None:
                return services.invoice_create_draft(actor=request.membership, **fields)
            return services.invoice_update_draft(actor=request.membership, invoice=builder.invoice, **fields)
    except ApplicationError as error:
        builder.add_service_error(error)
        return None


def _handle(request: HttpRequest, invoice: Invoice | None) -> HttpResponse:
    if request.method != "POST":
        data = _invoice_data(invoice) if invoice else _new_data(request)
        return _render(request, _builder(data, invoice))
    op = request.POST.get("op", "save")
    if op in SAVE_OPS:
        builder = _builder(request.POST, invoice)
        saved = _save(request, builder)
        if saved is None:
            messages.error(request, _("The draft was not saved: check the highlighted fields."))
            return _render(request, builder)
        slug = request.tenant.slug
        if op == "finalize":
            return redirect("invoice_finalize", slug, saved.public_id)
        if op == "preview":
            return redirect("document_preview", slug, saved.public_id)
        messages.success(request, _("Draft saved."))
        return redirect("invoice_edit", slug, saved.public_id)
    data, hints = _apply_op(request, op, request.POST)
    builder = _builder(data, invoice)
    if request.htmx:
        return _render(request, builder, partial="invoices/_builder_lines_response.html", **hints)
    return _render(request, builder, **hints)


@writer_required
def invoice_new(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    return _handle(request, None)


@writer_required
def invoice_edit(request: HttpRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    invoice = found_or_404(selectors.invoice_get(public_id=public_id))
    if not invoice.is_draft:
        messages.info(
            request, _("%(number)s is finalized: it can no longer be edited.") % {"number": invoice}
        )
        return redirect("invoice_detail", tenant_slug, public_id)
    return _handle(request, invoice)


@require_POST
@writer_required
def invoice_builder_totals(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    """The live totals: the posted form through the same calculation the draft is saved with."""
    builder = _builder(request.POST)
    totals, error = _live_totals(builder)
    context = _totals_context(builder, totals, error)
    context["line_updates_html"] = render_line_updates(context["rows"], money=_money_of(totals))
    return render(request, "invoices/_builder_totals_response.html", context)
