"""Clients: the list with what each owes, a client's page, create, edit, archive."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.web import call_service
from invoices import selectors, services
from invoices.forms import ClientForm, ClientSearchForm
from invoices.models import Client
from invoices.selectors import Balance
from invoices.views._helpers import (
    CappedPaginator,
    found_or_404,
    redirect_back,
    submit_form,
    writer_required,
)
from tenants.requests import TenantRequest

PAGE_SIZE = 25


def _client(public_id: str) -> Client:
    return found_or_404(selectors.client_get(public_id=public_id))


@dataclass(frozen=True)
class ClientRow:
    """A row of the client list: the client and, per currency, what it owes and what is late."""

    client: Client
    owed: list[Balance]
    late: list[Balance]


def client_list(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    form = ClientSearchForm(request.GET or None)
    search, archived = "", False
    if form.is_bound and form.is_valid():
        search, archived = form.cleaned_data["q"], form.cleaned_data["archived"]
    page = CappedPaginator(
        selectors.client_list(search=search, include_archived=archived), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    # What each client of this page owes, in one query.
    balances = selectors.client_balances(clients=page.object_list)
    rows = [
        ClientRow(
            client=client,
            owed=[b for b in balances.get(client.pk, []) if b.outstanding],
            late=[b for b in balances.get(client.pk, []) if b.overdue],
        )
        for client in page.object_list
    ]
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "invoices/client_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "querystring": params.urlencode(),
            "searching": bool(search),
        },
    )


def client_detail(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    client = _client(public_id)
    invoices = CappedPaginator(selectors.invoice_list(client=client, kind=None), 20).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "invoices/client_detail.html",
        {
            "client": client,
            "page": invoices,
            "balances": selectors.client_balances(clients=[client]).get(client.pk, []),
        },
    )


@writer_required
def client_create(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    tenant = request.tenant
    form = ClientForm(
        request.POST or None,
        initial={
            "currency": tenant.default_currency,
            "language": tenant.locale,
            "payment_terms_days": services.company_profile_get().payment_terms_days,
        },
    )
    if request.method == "POST" and form.is_valid():
        client = submit_form(form, services.client_create, actor=request.membership, **form.cleaned_data)
        if client:
            messages.success(request, _("Client %(name)s added.") % {"name": client.name})
            return redirect("client_detail", tenant_slug, client.public_id)
    return render(request, "invoices/client_form.html", {"form": form, "client": None})


@writer_required
def client_edit(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    client = _client(public_id)
    form = ClientForm(request.POST or None, initial=ClientForm.initial_for(client))
    if request.method == "POST" and form.is_valid():
        updated = submit_form(
            form, services.client_update, actor=request.membership, client=client, **form.cleaned_data
        )
        if updated:
            messages.success(request, _("Client saved."))
            return redirect_back(request, tenant_slug, "client_detail", public_id)
    return render(request, "invoices/client_form.html", {"form": form, "client": client})


@require_POST
@writer_required
def client_archive(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    client = _client(public_id)
    if call_service(request, services.client_archive, actor=request.membership, client=client):
        messages.success(request, _("%(name)s is archived.") % {"name": client.name})
    return redirect("client_detail", tenant_slug, public_id)


@require_POST
@writer_required
def client_unarchive(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    client = _client(public_id)
    if call_service(request, services.client_unarchive, actor=request.membership, client=client):
        messages.success(request, _("%(name)s is active again.") % {"name": client.name})
    return redirect("client_detail", tenant_slug, public_id)
