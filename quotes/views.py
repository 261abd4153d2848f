"""The workspace's quote pages under /t/<slug>/quotes/: list, builder (`quotes/builder.py`),
detail, sending, invoicing an accepted quote, the PDF. Thin: forms check shape, services decide."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import ApplicationError
from core.web import call_service
from invoices.views._helpers import found_or_404, writer_required
from quotes import invoicing, selectors, services
from quotes.builder import quote_builder, quote_builder_totals  # noqa: F401 (the builder's URLs)
from quotes.forms import BillingForm, SendQuoteForm, contact_choices
from quotes.models import Quote
from quotes.rendering import quote_pdf_filename, render_quote_pdf
from tenants.requests import TenantRequest


def _quote(public_id: str) -> Quote:
    return found_or_404(selectors.quote_get(public_id=public_id))


def quote_list(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    status = request.GET.get("status", "")
    return render(
        request,
        "quotes/quote_list.html",
        {"quotes": selectors.quote_list(status=status)[:200], "status": status},
    )


@writer_required
def quote_new(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    return quote_builder(request, None)


@writer_required
def quote_edit(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    quote = _quote(public_id)
    if not quote.is_draft:
        messages.error(request, _("A sent quote cannot be edited."))
        return redirect("quote_detail", tenant_slug, public_id)
    return quote_builder(request, quote)


def quote_detail(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    quote = _quote(public_id)
    send_form = SendQuoteForm(contacts=contact_choices(quote.client_id))
    return render(
        request,
        "quotes/quote_detail.html",
        {
            "quote": quote,
            "events": quote.events.select_related("actor")[:50],
            "billings": selectors.quote_billings(quote=quote),
            "invoiced_net": invoicing.invoiced_net(quote),
            "send_form": send_form,
            "billing_form": BillingForm(),
        },
    )


@require_POST
@writer_required
def quote_send(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    quote = _quote(public_id)
    contacts = request.POST.getlist("contacts")
    if call_service(request, services.quote_send, actor=request.membership, quote=quote, contacts=contacts):
        messages.success(request, _("The quote is on its way."))
    return redirect("quote_detail", tenant_slug, public_id)


@require_POST
@writer_required
def quote_delete(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    quote = _quote(public_id)
    try:
        services.quote_delete_draft(actor=request.membership, quote=quote)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("quote_detail", tenant_slug, public_id)
    messages.success(request, _("Draft quote deleted."))
    return redirect("quote_list", tenant_slug)


BILLING_ACTIONS = {
    "full": lambda actor, quote, post: invoicing.quote_invoice_full(actor=actor, quote=quote),
    "deposit": lambda actor, quote, post: invoicing.quote_invoice_deposit(
        actor=actor, quote=quote, percent=post.get("percent") or None, amount=post.get("amount") or None
    ),
    "progress": lambda actor, quote, post: invoicing.quote_invoice_progress(
        actor=actor, quote=quote, percent=post.get("percent")
    ),
    "final": lambda actor, quote, post: invoicing.quote_invoice_final(actor=actor, quote=quote),
}


@require_POST
@writer_required
def quote_invoice(request: TenantRequest, tenant_slug: str, public_id: str, kind: str) -> HttpResponse:
    quote = _quote(public_id)
    action = BILLING_ACTIONS.get(kind)
    if action is None:
        return redirect("quote_detail", tenant_slug, public_id)
    invoice = call_service(request, action, actor=request.membership, quote=quote, post=request.POST)
    if invoice is None:
        return redirect("quote_detail", tenant_slug, public_id)
    messages.success(request, _("Draft invoice made from the quote."))
    return redirect("invoice_detail", tenant_slug, invoice.public_id)


def quote_pdf(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    quote = _quote(public_id)
    response = HttpResponse(render_quote_pdf(quote), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{quote_pdf_filename(quote)}"'
    return response
