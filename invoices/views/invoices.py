"""Invoice list, detail page, print preview and the actions a finalized invoice offers."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.web import call_service
from invoices import selectors, services
from invoices.forms import CreditNoteForm, InvoiceFilterForm, PaymentForm, ReasonForm, tax_rate_choices
from invoices.models import Invoice, InvoiceKind, InvoiceStatus
from invoices.money import quantize_money
from invoices.services.payments import PAYABLE_STATUSES
from invoices.summary import document_context
from invoices.views._helpers import CappedPaginator, found_or_404, submit_form, writer_required
from invoices.views.seller import legal_gap_links
from tenants import roles
from tenants.requests import TenantRequest

PAGE_SIZE = 25


def _invoice(public_id: str) -> Invoice:
    return found_or_404(selectors.invoice_get(public_id=public_id))


# --- list ------------------------------------------------------------------------------------


def invoice_list(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    form = InvoiceFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = {
            "status": data["status"] or None,
            "client": data["client"] or None,
            "date_from": data["date_from"],
            "date_to": data["date_to"],
            "search": data["q"],
            "sort": data["sort"] or "-issue_date",
        }
    queryset = selectors.invoice_list(kind=None, **filters)
    page = CappedPaginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    # The filter keeps its other values when paging or re-sorting.
    params = request.GET.copy()
    params.pop("page", None)
    chosen_client = None
    if filters.get("client"):
        chosen_client = selectors.client_get(public_id=filters["client"])
    return render(
        request,
        "invoices/invoice_list.html",
        {
            "form": form,
            "page": page,
            "querystring": params.urlencode(),
            "filtered": any(value for key, value in filters.items() if key != "sort"),
            "chosen_client": chosen_client,
            "sort": filters.get("sort", "-issue_date"),
        },
    )


# --- detail ----------------------------------------------------------------------------------


def _actions(invoice: Invoice, membership: Any) -> dict[str, bool]:
    """Which actions the page offers: by status, and none at all to viewers."""
    if not roles.can_write(membership):
        return {}
    status, is_invoice = invoice.status, invoice.kind == InvoiceKind.INVOICE
    unpaid = status in (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID)
    return {
        "edit": status == InvoiceStatus.DRAFT,
        "finalize": status == InvoiceStatus.DRAFT and is_invoice,
        "delete": status == InvoiceStatus.DRAFT,
        "pay": is_invoice and status in PAYABLE_STATUSES,
        "void": status not in (InvoiceStatus.DRAFT, InvoiceStatus.VOID)
        and (not is_invoice or (status != InvoiceStatus.PAID and not invoice.amount_paid)),
        "uncollectible": is_invoice and unpaid,
        "credit": is_invoice and status in PAYABLE_STATUSES and invoice.balance_due > 0,
        "duplicate": is_invoice,
        # Void is withheld once money came in; the page says why instead of hiding it silently.
        "void_blocked_by_payments": is_invoice and unpaid and bool(invoice.amount_paid),
    }


def invoice_detail(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    invoice = _invoice(public_id)
    return _detail(request, invoice)


def _detail(request: TenantRequest, invoice: Invoice, status: int = 200, **forms: Any) -> HttpResponse:
    actions = _actions(invoice, request.membership)
    context = document_context(invoice=invoice, tenant=request.tenant)
    context.update(
        {
            "actions": actions,
            "timeline": selectors.invoice_timeline(invoice=invoice),
            "payments": list(invoice.payments.all()),
            "credit_notes": list(invoice.credit_notes.all()),
            "payment_form": forms.get("payment_form")
            or PaymentForm(initial={"amount": str(quantize_money(invoice.balance_due, invoice.currency))}),
            "credit_form": forms.get("credit_form")
            or CreditNoteForm(tax_choices=_invoice_tax_choices(invoice)),
            "void_form": ReasonForm(),
            "open_panel": forms.get("open_panel", ""),
            "next_number": selectors.number_preview(on=invoice.issue_date)
            if actions.get("finalize")
            else None,
        }
    )
    return render(request, "invoices/invoice_detail.html", context, status=status)


def _invoice_tax_choices(invoice: Invoice) -> list[tuple[str, str]]:
    rates = {
        tax.tax_rate.public_id: tax.tax_rate for line in invoice.lines.all() for tax in line.line_taxes.all()
    }
    return tax_rate_choices(rates.values())


def invoice_preview(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    """The old "Preview & print" address: the preview is now the PDF's own HTML (document_preview).
    Looked up first, so another tenant's id is still a 404, not a redirect."""
    invoice = _invoice(public_id)
    return redirect("document_preview", tenant_slug, invoice.public_id)


# --- actions ---------------------------------------------------------------------------------


@writer_required
def invoice_finalize(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    """GET: the confirmation page (the document and the number it will get). POST: finalize."""
    invoice = _invoice(public_id)
    if not invoice.is_draft:
        messages.info(request, _("%(number)s is already finalized.") % {"number": invoice.number})
        return redirect("invoice_detail", tenant_slug, public_id)
    if request.method == "POST":
        done = call_service(request, services.invoice_finalize, actor=request.membership, invoice=invoice)
        if done:
            messages.success(request, _("Invoice %(number)s finalized.") % {"number": done.number})
            return redirect("invoice_detail", tenant_slug, public_id)
    context = document_context(invoice=invoice, tenant=request.tenant)
    context["next_number"] = selectors.number_preview(on=invoice.issue_date)
    # What the law of the seller's country still asks this invoice to state, each with its page.
    context["legal_gaps"] = legal_gap_links(invoice, services.invoice_legal_gaps(invoice), back=request.path)
    # The service refuses a draft with no lines: the page says so instead of offering a button
    # that can only fail.
    context["has_lines"] = invoice.lines.exists()
    return render(request, "invoices/invoice_finalize.html", context)


@require_POST
@writer_required
def invoice_void(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    invoice = _invoice(public_id)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    if call_service(request, services.invoice_void, actor=request.membership, invoice=invoice, reason=reason):
        messages.success(request, _("%(number)s is void.") % {"number": invoice.number})
    return redirect("invoice_detail", tenant_slug, public_id)


@require_POST
@writer_required
def invoice_mark_uncollectible(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    invoice = _invoice(public_id)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    if call_service(
        request, services.invoice_mark_uncollectible, actor=request.membership, invoice=invoice, reason=reason
    ):
        messages.success(request, _("%(number)s is marked uncollectible.") % {"number": invoice.number})
    return redirect("invoice_detail", tenant_slug, public_id)


@require_POST
@writer_required
def invoice_record_payment(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    invoice = _invoice(public_id)
    form = PaymentForm(request.POST)
    if form.is_valid():
        payment = submit_form(
            form,
            services.payment_record,
            actor=request.membership,
            invoice=invoice,
            amount=form.cleaned_data["amount"],
            paid_on=form.cleaned_data["paid_on"],
            method=form.cleaned_data["method"],
            reference=form.cleaned_data["reference"],
        )
        if payment:
            messages.success(request, _("Payment recorded."))
            return redirect("invoice_detail", tenant_slug, public_id)
    messages.error(request, _("The payment was not recorded: check the form below."))
    return _detail(request, invoice, payment_form=form, open_panel="pay")


@require_POST
@writer_required
def invoice_credit_note(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    invoice = _invoice(public_id)
    form = CreditNoteForm(request.POST, tax_choices=_invoice_tax_choices(invoice))
    if form.is_valid():
        data = form.cleaned_data
        lines = None
        if data["mode"] == CreditNoteForm.PARTIAL:
            lines = [
                {
                    "description": data["description"],
                    "quantity": "1",
                    "unit_price": data["amount"],
                    "tax_rates": list(data["tax_rates"]),
                }
            ]
        note = submit_form(
            form,
            services.credit_note_create,
            actor=request.membership,
            invoice=invoice,
            lines=lines,
            reason=data["reason"],
        )
        if note:
            messages.success(request, _("Credit note %(number)s issued.") % {"number": note.number})
            return redirect("invoice_detail", tenant_slug, note.public_id)
    messages.error(request, _("The credit note was not issued: check the form below."))
    return _detail(request, invoice, credit_form=form, open_panel="credit")


@require_POST
@writer_required
def invoice_duplicate(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    invoice = _invoice(public_id)
    copy = call_service(request, services.invoice_duplicate, actor=request.membership, invoice=invoice)
    if copy:
        messages.success(request, _("A copy was created as a new draft."))
        return redirect("invoice_edit", tenant_slug, copy.public_id)
    return redirect("invoice_detail", tenant_slug, public_id)


@require_POST
@writer_required
def invoice_delete(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    invoice = _invoice(public_id)
    call_service(request, services.invoice_delete_draft, actor=request.membership, invoice=invoice)
    # The service returns nothing: whether the draft is gone tells success from a refusal.
    if selectors.invoice_get(public_id=public_id) is None:
        messages.success(request, _("The draft was deleted."))
        return redirect("invoice_list", tenant_slug)
    return redirect("invoice_detail", tenant_slug, public_id)
