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
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import ApplicationError
from invoices import selectors, services
from invoices.forms import (
    InvoiceHeaderForm,
    LineForm,
    QuickClientForm,
    new_line_key,
)
from invoices.models import CatalogItem, Client, DiscountType, Invoice, TaxRate
from invoices.money import is_currency, price_text
from invoices.services.common import tenant_today
from invoices.views._helpers import found_or_404, writer_required
from invoices.views.builder_allowances import (
    AllowanceRows,
    apply_allowance_op,
    invoice_rows,
    put_rows,
    raw_rows,
    reason_codes,
)
from invoices.views.builder_line_allowances import (
    LAC_FIELDS,
    LAC_PREFIX,
    LINE_ALLOWANCES,
    LineAllowanceRows,
    allowances_context,
    apply_line_allowance_op,
    filled_keys,
    grouped,
    invoice_line_rows,
    line_html,
    raw_line_rows,
)
from invoices.views.builder_lines import blank_line, render_line_updates, render_lines
from invoices.views.builder_shared import (
    apply_line_op,
    bind_lines,
    catalog_choices,
    filled_lines,
    line_message,
    lines_data,
    money_of,
    place_line_error,
    raw_lines,
    totals_context,
)
from invoices.views.builder_units import unit_options
from invoices.views.client_picker import quick_client_create
from tenants.requests import TenantRequest
from tenants.scoping import current_tenant

HEADER_FIELDS = tuple(InvoiceHeaderForm.base_fields)
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
    allowances: AllowanceRows
    line_allowances: LineAllowanceRows
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
        if self.line_allowances.unreadable:
            message = _("The lines' allowances and charges could not be read: reload the draft.")
            if message not in self.errors:
                self.errors.append(message)
            return False
        return all(results) and self.line_allowances.check(self.lines)

    def line_rate_sets(self) -> set[frozenset[str]]:
        return {frozenset(line.cleaned_data["tax_rates"]) for _index, line in self.filled_lines()}

    def document_data(self) -> list[dict[str, Any]] | None:
        """The document-level allowances and charges as the services take them (valid forms),
        or None when a row's errors were placed."""
        return self.allowances.service_data(self.line_rate_sets())

    def discount(self) -> tuple[str, str]:
        """The old invoice-wide discount, honoured only when a post still carries it (a page
        opened before the builder edited allowances); the builder's page no longer shows it."""
        data = self.header.cleaned_data
        return data.get("discount_type") or DiscountType.AMOUNT, data.get("discount_value") or "0"

    def filled_lines(self) -> list[tuple[int, LineForm]]:
        return filled_lines(self.lines)

    def line_data(self) -> list[dict[str, Any]]:
        """What the services take, from valid forms; blank lines are left out."""
        result = []
        on_lines = self.line_allowances.service_data() or {}
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
                    "unit_code": data["unit_code"],
                    "base_quantity": data["base_quantity"] or "1",
                    "gross_price": data["gross_price"] or None,
                    "period_start": data["period_start"],
                    "period_end": data["period_end"],
                    "allowances_charges": on_lines.get(data["key"], []),
                }
            )
        return result

    def add_service_error(self, error: ApplicationError) -> None:
        """Put a service's error beside its field: ("lines", 2, "unit_price") counts filled lines only."""
        if (
            self.line_allowances.place(error, filled_keys(self.lines))
            or place_line_error(self, error)
            or self.allowances.place(error)
        ):
            return
        if error.field in self.header.fields:
            self.header.add_error(error.field, error.message)
            return
        self.errors.append(error.message)

    def has_errors(self) -> bool:
        return bool(
            self.errors
            or self.header.errors
            or self.allowances.errors
            or self.line_allowances.errors
            or any(line.errors for line in self.lines)
        )


def _header_values(data: QueryDict | MultiValueDict) -> dict[str, Any]:
    values = {name: data.get(name, "") for name in HEADER_FIELDS}
    for name in QuickClientForm.base_fields:
        values[name] = data.get(name, "")
    values[LINE_ALLOWANCES] = data.get(LINE_ALLOWANCES, "")
    return values


def _invoice_data(invoice: Invoice) -> MultiValueDict:
    header = {
        "client": invoice.client.public_id,
        "currency": invoice.currency,
        "issue_date": invoice.issue_date.isoformat(),
        "due_date": invoice.due_date.isoformat(),
        "buyer_reference": invoice.buyer_reference,
        "notes": invoice.notes,
        "terms": invoice.terms,
    }
    invoice_lines = list(invoice.lines.all())
    keys = [new_line_key() for _line in invoice_lines]
    lines = [
        {
            "key": key,
            "catalog_item": line.catalog_item.public_id if line.catalog_item else "",
            "description": line.description,
            "quantity": f"{line.quantity.normalize():f}",
            "unit": line.unit,
            "unit_price": price_text(line.unit_price, invoice.currency),
            "unit_code": line.unit_code,
            "base_quantity": f"{line.base_quantity.normalize():f}" if line.base_quantity != 1 else "",
            "gross_price": price_text(line.gross_price, invoice.currency)
            if line.gross_price is not None
            else "",
            "period_start": line.period_start.isoformat() if line.period_start else "",
            "period_end": line.period_end.isoformat() if line.period_end else "",
            "discount": _plain(line.discount, invoice.currency) if line.discount else "",
            "metadata": json.dumps(line.metadata) if line.metadata else "",
            "tax_rates": [tax.tax_rate.public_id for tax in line.line_taxes.all()],
        }
        for key, line in zip(keys, invoice_lines, strict=True)
    ]
    data = lines_data(header, lines or [blank_line()])
    # The old invoice-wide discount comes as the allowance rows it amounts to, and is saved so.
    put_rows(data, invoice_rows(invoice))
    put_rows(data, invoice_line_rows(invoice, keys), LAC_PREFIX, LAC_FIELDS)
    return data


def _plain(amount: Any, currency: str) -> str:
    from invoices.money import quantize_money

    return str(quantize_money(amount, currency))


def _new_data(request: TenantRequest) -> MultiValueDict:
    header: dict[str, Any] = {"issue_date": tenant_today().isoformat()}
    wanted = request.GET.get("client", "")
    if wanted and selectors.client_get(public_id=wanted):
        header["client"] = wanted
    return lines_data(header, [blank_line()])


def _builder(data: QueryDict | MultiValueDict, invoice: Invoice | None = None) -> Builder:
    lines, rates = bind_lines(data)
    client = None
    client_id = data.get("client") or ""
    if client_id:
        client = selectors.client_get(public_id=client_id)
    return Builder(
        header=InvoiceHeaderForm(data),
        lines=lines,
        tax_rates=rates,
        catalog=catalog_choices(),
        client=client,
        # Unbound (values kept as initial): it is validated only when "Create client" is pressed.
        quick_client=QuickClientForm(
            initial={
                "new_client_name": data.get("new_client_name", ""),
                "new_client_email": data.get("new_client_email", ""),
                "new_client_currency": data.get("new_client_currency") or current_tenant().default_currency,
            }
        ),
        allowances=AllowanceRows(data),
        line_allowances=LineAllowanceRows(data, [line.posted_key for line in lines]),
        invoice=invoice,
    )


# --- operations on the unsaved form ------------------------------------------------------------


def _apply_op(request: TenantRequest, op: str, data: QueryDict) -> tuple[MultiValueDict, dict[str, Any]]:
    """The form data after `op`, and hints for the page (which line to focus, errors)."""
    header = _header_values(data)
    lines = raw_lines(data)
    rows = raw_rows(data)
    keys = [line["key"] for line in lines]
    try:
        line_rows: list[dict[str, Any]] | None = raw_line_rows(data, keys)
        header.pop(LINE_ALLOWANCES, None)
    except ValueError:
        line_rows = None  # an older page's unreadable JSON: kept as posted, refused on save

    def result() -> MultiValueDict:
        combined = lines_data(header, lines)
        put_rows(combined, rows)
        if line_rows is not None:
            # A removed line's rows go with it.
            kept = grouped(line_rows, [line["key"] for line in lines])
            put_rows(combined, kept, LAC_PREFIX, LAC_FIELDS)
        return combined

    line_hints = apply_line_op(op, lines)
    if line_hints is None and line_rows is not None:
        line_hints = apply_line_allowance_op(op, line_rows, keys)
    if line_hints is not None:
        return result(), line_hints
    row_hints = apply_allowance_op(op, rows)
    if row_hints is not None:
        return result(), row_hints
    hints: dict[str, Any] = {}
    if op == "new-client":
        client, form = quick_client_create(request, data)
        hints["quick_client_form"] = form
        if client is not None:
            header["client"] = client.public_id
            for name in QuickClientForm.base_fields:
                header[name] = ""
            messages.success(request, _("Client %(name)s created.") % {"name": client.name})
    elif op == "clear-client":
        header["client"] = ""
    return result(), hints


# --- rendering ---------------------------------------------------------------------------------


def _context(request: TenantRequest, builder: Builder, **extra: Any) -> dict[str, Any]:
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
        "reason_codes": reason_codes(),
        "unit_options": unit_options(),
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
    document = builder.document_data()
    if document is None:
        index, errors = next(iter(builder.allowances.errors.items()))
        message = next(iter(errors.values()))[0]
        return None, _("Allowance or charge %(number)d: %(message)s") % {
            "number": index + 1,
            "message": message,
        }
    discount_type, discount_value = builder.discount()
    try:
        totals = services.invoice_calculate(
            currency=currency,
            lines=builder.line_data(),
            discount_type=discount_type,
            discount_value=discount_value,
            allowances_charges=document,
        )
    except ApplicationError as error:
        return None, (
            builder.line_allowances.message(error, filled_keys(builder.lines))
            or builder.allowances.message(error)
            or line_message(builder, error)
        )
    return totals, None


def _render(
    request: TenantRequest, builder: Builder, *, partial: str | None = None, **extra: Any
) -> HttpResponse:
    totals, error = _live_totals(builder)
    context = _context(request, builder, **extra)
    context.update(totals_context(builder, totals, error))
    context.update(allowances_context(builder, totals))
    rows_html = line_html(
        context["line_allowance_rows"],
        {"action": context["action"], "totals": totals, "lac_focus": context.get("lac_focus")},
    )
    context["lines_html"] = render_lines(
        context["rows"],
        action=context["action"],
        tenant_slug=request.tenant.slug,
        has_catalog=bool(builder.catalog),
        catalog_select=context["catalog_select"],
        focus=context.get("focus"),
        money=money_of(totals),
        unit_codes=True,
        line_allowances=rows_html,
        focus_allowance_add=context.get("lac_focus_add"),
    )
    return render(request, partial or "invoices/builder.html", context)


def _save(request: TenantRequest, builder: Builder) -> Invoice | None:
    if not builder.is_valid():
        return None
    header = builder.header.cleaned_data
    if not header.get("client"):
        builder.header.add_error("client", _("Choose the client to bill, or create one."))
        return None
    document = builder.document_data()
    if document is None:
        return None
    discount_type, discount_value = builder.discount()
    fields = {
        "client": header["client"],
        "lines": builder.line_data(),
        "currency": header.get("currency") or None,
        "issue_date": header.get("issue_date"),
        "due_date": header.get("due_date"),
        "discount_type": discount_type,
        "discount_value": discount_value,
        "allowances_charges": document,
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


def _handle(request: TenantRequest, invoice: Invoice | None) -> HttpResponse:
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
    if request.htmx and op.startswith("ac-"):
        return _render(request, builder, partial="invoices/_builder_allowances_response.html", **hints)
    if request.htmx:
        return _render(request, builder, partial="invoices/_builder_lines_response.html", **hints)
    return _render(request, builder, **hints)


@writer_required
def invoice_new(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    return _handle(request, None)


@writer_required
def invoice_edit(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    invoice = found_or_404(selectors.invoice_get(public_id=public_id))
    if not invoice.is_draft:
        messages.info(
            request, _("%(number)s is finalized: it can no longer be edited.") % {"number": invoice}
        )
        return redirect("invoice_detail", tenant_slug, public_id)
    return _handle(request, invoice)


@require_POST
@writer_required
def invoice_builder_totals(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    """The live totals: the posted form through the same calculation the draft is saved with."""
    builder = _builder(request.POST)
    totals, error = _live_totals(builder)
    context = totals_context(builder, totals, error)
    context.update(allowances_context(builder, totals))
    context["line_updates_html"] = render_line_updates(
        context["rows"], money=money_of(totals), extra_fields=("unit_code",)
    )
    return render(request, "invoices/_builder_totals_allowances_response.html", context)
