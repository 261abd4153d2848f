"""Settings → Company (who sells) and Settings → Bank accounts (where clients pay): owners and
admins only, as the rest of the workspace's settings."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.web import call_service
from invoices import selectors, services
from invoices.legal import Requirement
from invoices.models import BankAccount, Invoice
from invoices.seller_forms import BankAccountForm, CompanyProfileForm
from invoices.views._helpers import found_or_404, manager_required, redirect_back, submit_form
from tenants.requests import TenantRequest


@manager_required
def company_settings(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    profile = services.company_profile_get()
    form = CompanyProfileForm(request.POST or None, initial=CompanyProfileForm.initial_for(profile))
    if request.method == "POST" and form.is_valid():
        saved = submit_form(
            form, services.company_profile_update, actor=request.membership, **form.cleaned_data
        )
        if saved:
            messages.success(request, _("Company details saved."))
            return redirect_back(request, tenant_slug, "company_settings")
    return render(request, "invoices/company_settings.html", {"form": form, "profile": profile})


def _account_list(request: TenantRequest) -> HttpResponse:
    return render(request, "invoices/_bank_account_list.html", {"accounts": selectors.bank_account_list()})


def _account(public_id: str) -> BankAccount:
    return found_or_404(selectors.bank_account_get(public_id=public_id))


@manager_required
def bank_account_list(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    return render(request, "invoices/bank_accounts.html", {"accounts": selectors.bank_account_list()})


@manager_required
def bank_account_create(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    tenant = request.tenant
    form = BankAccountForm(
        request.POST or None, initial={"currency": tenant.default_currency, "country": tenant.country}
    )
    if request.method == "POST" and form.is_valid():
        account = submit_form(
            form, services.bank_account_create, actor=request.membership, **form.cleaned_data
        )
        if account:
            messages.success(request, _("Bank account %(account)s added.") % {"account": account.display})
            return redirect_back(request, tenant_slug, "bank_account_list")
    return render(request, "invoices/bank_account_form.html", {"form": form, "account": None})


@manager_required
def bank_account_edit(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    account = _account(public_id)
    form = BankAccountForm(request.POST or None, initial=BankAccountForm.initial_for(account))
    if request.method == "POST" and form.is_valid():
        saved = submit_form(
            form, services.bank_account_update, actor=request.membership, account=account, **form.cleaned_data
        )
        if saved:
            messages.success(request, _("Bank account saved."))
            return redirect("bank_account_list", tenant_slug)
    return render(request, "invoices/bank_account_form.html", {"form": form, "account": account})


@require_POST
@manager_required
def bank_account_set_default(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    account = _account(public_id)
    if call_service(request, services.bank_account_set_default, actor=request.membership, account=account):
        messages.success(
            request,
            _("%(account)s is now the default for %(currency)s.")
            % {"account": account.display, "currency": account.currency},
        )
    return _account_list(request) if request.htmx else redirect("bank_account_list", tenant_slug)


@require_POST
@manager_required
def bank_account_delete(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    account = _account(public_id)
    deleted = call_service(request, services.bank_account_delete, actor=request.membership, account=account)
    if deleted:
        messages.success(request, _("Bank account %(account)s deleted.") % {"account": deleted})
    return _account_list(request) if request.htmx else redirect("bank_account_list", tenant_slug)


# --- what an invoice must still state: each gap with the page that fills it ----------------------

_PROFILE_ANCHORS = {"seller.name": "", "seller.address": "#address", "seller.vat_id": "#tax-ids"}


def legal_gap_links(invoice: Invoice, gaps: list[Requirement], *, back: str) -> list[tuple[Requirement, str]]:
    """(requirement, the URL of the page that fills it): the company page for the seller's
    details, the client's page for the buyer's, the tax rates for an exemption reason. The
    seller's and client's pages come back to `back` once saved."""
    slug = invoice.tenant.slug
    query = urlencode({"next": back})
    links = []
    for gap in gaps:
        if gap.name.startswith("seller."):
            url = f"{reverse('company_settings', args=[slug])}?{query}{_PROFILE_ANCHORS.get(gap.name, '')}"
        elif gap.name.startswith("buyer."):
            url = f"{reverse('client_edit', args=[slug, invoice.client.public_id])}?{query}"
        else:
            url = reverse("catalog", args=[slug])
        links.append((gap, url))
    return links
