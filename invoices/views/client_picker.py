"""The builder's client picker (htmx): search the workspace's clients, pick one, or create one
on the spot. Without JavaScript the builder's own form does the same through its operations
(`invoices.views.builder`), with `quick_client_create` below."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from core.errors import ApplicationError
from invoices import selectors, services
from invoices.forms import QuickClientForm
from invoices.models import Client
from invoices.views._helpers import found_or_404, writer_required
from tenants.requests import TenantRequest


def quick_client_create(request: TenantRequest, data: QueryDict) -> tuple[Client | None, QuickClientForm]:
    form = QuickClientForm(data)
    if not form.is_valid():
        return None, form
    try:
        with transaction.atomic():
            client = services.client_create(
                actor=request.membership,
                name=form.cleaned_data["new_client_name"],
                emails=form.cleaned_data["new_client_email"],
                currency=form.cleaned_data["new_client_currency"],
            )
    except ApplicationError as error:
        name = {"name": "new_client_name", "emails": "new_client_email", "currency": "new_client_currency"}
        form.add_error(name.get(error.field or ""), error.message)
        return None, form
    return client, form


@require_GET
@writer_required
def invoice_builder_client_search(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    query = request.GET.get("client_q", "")[:100]
    return render(
        request,
        "invoices/_client_results.html",
        {"clients": selectors.client_search(query=query, limit=8), "query": query},
    )


def _picker(
    request: TenantRequest, client: Client | None, form: QuickClientForm | None = None
) -> HttpResponse:
    form = form or QuickClientForm(initial={"new_client_currency": request.tenant.default_currency})
    response = render(
        request,
        "invoices/_client_picker.html",
        {"builder": {"client": client}, "quick_client": form, "noscript_clients": []},
    )
    if client is not None:
        # The items section listens for this and refreshes the totals (currency may change).
        # After the settle, not on arrival: the totals request must carry the new picker's
        # client field, which is in the page only once the response is swapped in (on arrival
        # the totals were computed without it and stayed on "Choose a client…").
        response["HX-Trigger-After-Settle"] = "clientChanged"
    return response


@require_GET
@writer_required
def invoice_builder_client_pick(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    """The picker with the chosen client (from the search results), or empty ("Change")."""
    wanted = request.GET.get("client", "")
    client = found_or_404(selectors.client_get(public_id=wanted)) if wanted else None
    return _picker(request, client)


@require_POST
@writer_required
def invoice_builder_client_create(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    """ "Create client" in the builder, with htmx: the picker with the new client, or the errors."""
    client, form = quick_client_create(request, request.POST)
    return _picker(request, client, None if client else form)
