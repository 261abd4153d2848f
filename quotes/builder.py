"""The quote builder: the invoice builder's lines, line operations, error boxes and live totals
(`invoices.views.builder_shared`, `builder_lines`, the `invoices/_builder_*.html` partials),
under a quote's own header.

As for invoices, every button is a submit button with `name="op"`: without JavaScript the page
posts and the server applies the operation (add, remove, move a line, fill it from the catalog)
and renders the form again; with htmx only the lines are swapped. Totals are always the
server's: the live preview posts the form to `quote_builder_totals`, which runs the invoice
engine (`invoices.services.invoice_calculate`) the saved quote is computed with. Nothing is
written until "Save draft".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import ApplicationError
from invoices import services as invoice_services
from invoices.forms import LineForm
from invoices.models import CatalogItem, Client, DiscountType, TaxRate
from invoices.views._helpers import writer_required
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
from quotes import services
from quotes.forms import QuoteHeaderForm, contact_choices
from quotes.models import Quote
from tenants.requests import TenantRequest

HEADER_FIELDS = tuple(QuoteHeaderForm.base_fields)


@dataclass
class QuoteBuilder:
    """The header and line forms of one quote builder page, bound to posted (or saved) data."""

    data: QueryDict | MultiValueDict
    lines: list[LineForm]
    tax_rates: list[TaxRate]
    catalog: list[CatalogItem]
    client: Client | None
    quote: Quote | None = None

    def filled_lines(self) -> list[tuple[int, LineForm]]:
        return filled_lines(self.lines)

    def lines_valid(self) -> bool:
        # Every form validates, so every error shows at once.
        results = [line.is_valid() for line in self.lines]
        return all(results)

    def line_payload(self) -> list[dict[str, Any]]:
        """What the quote services take, from valid forms; blank lines are left out."""
        return [
            {
                "description": line.cleaned_data["description"],
                "quantity": line.cleaned_data["quantity"] or "1",
                "unit": line.cleaned_data["unit"],
                "unit_price": line.cleaned_data["unit_price"],
                "discount": line.cleaned_data["discount"] or "0",
                "tax_rates": list(line.cleaned_data["tax_rates"]),
            }
            for _index, line in self.filled_lines()
        ]


def _clients() -> list[tuple[str, str]]:
    return [("", "—"), *((c.public_id, c.name) for c in Client.objects.filter(archived_at__isnull=True))]


def _quote_data(quote: Quote) -> MultiValueDict:
    header = {
        "client": quote.client.public_id,
        "contact": quote.contact.public_id if quote.contact else "",
        "issue_date": quote.issue_date.isoformat() if quote.issue_date else "",
        "valid_until": quote.valid_until.isoformat() if quote.valid_until else "",
        "discount_type": quote.discount_type,
        "discount_value": f"{quote.discount_value.normalize():f}" if quote.discount_value else "",
        "on_accept": quote.on_accept,
        "deposit_percent": f"{quote.deposit_percent.normalize():f}" if quote.deposit_percent else "",
        "notes": quote.notes,
        "terms": quote.terms,
    }
    lines = [{**blank_line(), **line, "tax_rates": list(line.get("tax_rates", []))} for line in quote.lines]
    for line in lines:
        if line.get("discount") in ("0", "0.00"):
            line["discount"] = ""
    return lines_data(header, lines or [blank_line()])


def _new_data(request: TenantRequest) -> MultiValueDict:
    header = {"client": request.GET.get("client", ""), "discount_type": DiscountType.AMOUNT}
    return lines_data(header, [blank_line()])


def _builder(data: QueryDict | MultiValueDict, quote: Quote | None = None) -> QuoteBuilder:
    lines, rates = bind_lines(data)
    client_id = data.get("client") or ""
    client = Client.objects.filter(public_id=client_id).first() if client_id else None
    return QuoteBuilder(
        data=data, lines=lines, tax_rates=rates, catalog=catalog_choices(), client=client, quote=quote
    )


def _live_totals(builder: QuoteBuilder) -> tuple[Any, str | None]:
    """The engine's totals of what is on the form, or the first reason it has none."""
    if builder.client is None:
        return None, _("Choose a client to see the totals.")
    if not builder.lines_valid():
        return None, _("Fix the highlighted fields to see the totals.")
    discount_type = builder.data.get("discount_type") or DiscountType.AMOUNT
    if discount_type not in DiscountType.values:
        return None, _("Choose a discount type.")
    try:
        totals = invoice_services.invoice_calculate(
            currency=builder.client.currency,
            lines=builder.line_payload(),
            discount_type=discount_type,
            discount_value=builder.data.get("discount_value") or "0",
        )
    except ApplicationError as error:
        return None, line_message(builder, error)
    return totals, None


def _render(
    request: TenantRequest,
    builder: QuoteBuilder,
    header: QuoteHeaderForm,
    *,
    partial: str | None = None,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    quote = builder.quote
    slug = request.tenant.slug
    action = (
        reverse("quote_edit", args=[slug, quote.public_id]) if quote else reverse("quote_new", args=[slug])
    )
    totals, error = _live_totals(builder)
    context: dict[str, Any] = {
        "builder": builder,
        "quote": quote,
        "header": header,
        "action": action,
        "contacts": contact_choices(builder.client.pk if builder.client else None),
        **extra,
    }
    context.update(totals_context(builder, totals, error))
    context["lines_html"] = render_lines(
        context["rows"],
        action=action,
        tenant_slug=slug,
        has_catalog=bool(builder.catalog),
        catalog_select=context["catalog_select"],
        focus=context.get("focus"),
        money=money_of(totals),
    )
    return render(request, partial or "quotes/quote_form.html", context, status=status)


def _unbound_header(data: QueryDict | MultiValueDict) -> QuoteHeaderForm:
    """The header as typed, without errors: it is validated when the quote is saved."""
    return QuoteHeaderForm(initial={name: data.get(name, "") for name in HEADER_FIELDS}, clients=_clients())


def _save(request: TenantRequest, builder: QuoteBuilder, header: QuoteHeaderForm) -> Quote | None:
    header_valid = header.is_valid()
    if not (builder.lines_valid() and header_valid):
        return None
    data = dict(header.cleaned_data)
    fields = {key: data[key] for key in ("issue_date", "valid_until", "discount_type", "notes", "terms")}
    fields.update(
        discount_value=data["discount_value"] or "0",
        on_accept=data["on_accept"],
        deposit_percent=data["deposit_percent"] or None,
        contact=data["contact"] or None,
        lines=builder.line_payload(),
    )
    try:
        if builder.quote is None:
            return services.quote_create_draft(actor=request.membership, client=data["client"], **fields)
        return services.quote_update_draft(
            actor=request.membership, quote=builder.quote, client=data["client"], **fields
        )
    except ApplicationError as error:
        if not place_line_error(builder, error):
            header.add_error(error.field if error.field in header.fields else None, error.message)
        return None


def quote_builder(request: TenantRequest, quote: Quote | None) -> HttpResponse:
    if request.method != "POST":
        data = _quote_data(quote) if quote else _new_data(request)
        return _render(request, _builder(data, quote), _unbound_header(data))
    op = request.POST.get("op", "save")
    if op == "save":
        builder = _builder(request.POST, quote)
        header = QuoteHeaderForm(request.POST, clients=_clients())
        saved = _save(request, builder, header)
        if saved is None:
            messages.error(request, _("The quote was not saved: check the highlighted fields."))
            return _render(request, builder, header, status=400)
        messages.success(request, _("Quote saved."))
        return redirect("quote_detail", request.tenant.slug, saved.public_id)
    header_values = {name: request.POST.get(name, "") for name in HEADER_FIELDS}
    lines = raw_lines(request.POST)
    hints = apply_line_op(op, lines) or {}
    data = lines_data(header_values, lines)
    builder = _builder(data, quote)
    partial = "invoices/_builder_lines_response.html" if request.htmx else None
    return _render(request, builder, _unbound_header(data), partial=partial, **hints)


@require_POST
@writer_required
def quote_builder_totals(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    """The live totals: the posted form through the engine the quote is saved with."""
    builder = _builder(request.POST)
    totals, error = _live_totals(builder)
    context = totals_context(builder, totals, error)
    context["line_updates_html"] = render_line_updates(context["rows"], money=money_of(totals))
    return render(request, "invoices/_builder_totals_response.html", context)
