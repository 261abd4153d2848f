"""Catalog items, tax rates and document numbering settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.web import call_service
from invoices import selectors, services
from invoices.forms import CatalogItemForm, NumberSeriesForm, TaxRateForm, tax_rate_choices
from invoices.models import (
    CatalogItem,
    NumberCounter,
    NumberSeries,
    SeriesKind,
    TaxRate,
    render_number,
    validate_number_pattern,
)
from invoices.services.common import tenant_today
from invoices.views._helpers import found_or_404, manager_required, submit_form, writer_required
from tenants.requests import TenantRequest

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def catalog(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    return render(
        request,
        "invoices/catalog.html",
        {
            "items": list(selectors.catalog_item_list()),
            "tax_rates": list(selectors.tax_rate_list()),
        },
    )


# --- tax rates -------------------------------------------------------------------------------


def _tax_rate(public_id: str) -> TaxRate:
    return found_or_404(TaxRate.objects.filter(public_id=public_id).first())


def _tax_rate_fields(form: TaxRateForm) -> dict[str, Any]:
    return dict(form.cleaned_data)


@writer_required
def tax_rate_create(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    form = TaxRateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        rate = submit_form(form, services.tax_rate_create, actor=request.membership, **_tax_rate_fields(form))
        if rate:
            messages.success(request, _("Tax rate %(name)s added.") % {"name": rate})
            return redirect("catalog", tenant_slug)
    return render(request, "invoices/tax_rate_form.html", {"form": form, "rate": None})


@writer_required
def tax_rate_edit(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    rate = _tax_rate(public_id)
    initial = {
        "name": rate.name,
        "percentage": f"{rate.percentage.normalize():f}",
        "inclusive": rate.inclusive,
        "compound": rate.compound,
        "category": rate.category,
        "exemption_reason": rate.exemption_reason,
        "exemption_code": rate.exemption_code,
    }
    form = TaxRateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = submit_form(
            form, services.tax_rate_update, actor=request.membership, tax_rate=rate, **_tax_rate_fields(form)
        )
        if saved:
            messages.success(request, _("Tax rate saved. Drafts using it were recalculated."))
            return redirect("catalog", tenant_slug)
    return render(request, "invoices/tax_rate_form.html", {"form": form, "rate": rate})


@require_POST
@writer_required
def tax_rate_archive(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    rate = _tax_rate(public_id)
    if call_service(request, services.tax_rate_archive, actor=request.membership, tax_rate=rate):
        messages.success(request, _("%(name)s is archived: new lines no longer offer it.") % {"name": rate})
    return redirect("catalog", tenant_slug)


# --- catalog items ---------------------------------------------------------------------------


def _item(public_id: str) -> CatalogItem:
    return found_or_404(CatalogItem.objects.filter(public_id=public_id).first())


def _rate_choices() -> list[tuple[str, str]]:
    return tax_rate_choices(selectors.tax_rate_list())


@writer_required
def catalog_item_create(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    form = CatalogItemForm(
        request.POST or None,
        tax_choices=_rate_choices(),
        initial={"currency": request.tenant.default_currency},
    )
    if request.method == "POST" and form.is_valid():
        item = submit_form(form, services.catalog_item_create, actor=request.membership, **form.cleaned_data)
        if item:
            messages.success(request, _("%(name)s added to the catalog.") % {"name": item.name})
            return redirect("catalog", tenant_slug)
    return render(request, "invoices/catalog_item_form.html", {"form": form, "item": None})


@writer_required
def catalog_item_edit(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    item = _item(public_id)
    initial = {
        "name": item.name,
        "description": item.description,
        "unit": item.unit,
        "unit_price": str(item.unit_price.normalize()),
        "currency": item.currency,
        "tax_rates": [tax.tax_rate.public_id for tax in item.item_taxes.select_related("tax_rate")],
    }
    form = CatalogItemForm(request.POST or None, tax_choices=_rate_choices(), initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = submit_form(
            form, services.catalog_item_update, actor=request.membership, item=item, **form.cleaned_data
        )
        if saved:
            messages.success(request, _("%(name)s saved.") % {"name": saved.name})
            return redirect("catalog", tenant_slug)
    return render(request, "invoices/catalog_item_form.html", {"form": form, "item": item})


@require_POST
@writer_required
def catalog_item_archive(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    item = _item(public_id)
    if call_service(request, services.catalog_item_archive, actor=request.membership, item=item):
        messages.success(request, _("%(name)s is archived.") % {"name": item.name})
    return redirect("catalog", tenant_slug)


# --- numbering -------------------------------------------------------------------------------


def _series_forms(
    data: QueryDict | None = None,
) -> list[tuple[str, StrOrPromise, NumberSeriesForm, NumberSeries, str]]:
    result: list[tuple[str, StrOrPromise, NumberSeriesForm, NumberSeries, str]] = []
    for kind, label in SeriesKind.choices:
        series = selectors.number_series_get(kind=kind)
        form = NumberSeriesForm(
            data if data is not None and data.get("kind") == kind else None,
            prefix=kind,
            initial={"pattern": series.pattern, "reset": series.reset},
        )
        result.append((kind, label, form, series, selectors.number_preview(kind=kind)))
    return result


@manager_required
def numbering_settings(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    """Owners and admins set each series' pattern and when it restarts."""
    series_forms = _series_forms(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        form = next((entry[2] for entry in series_forms if entry[0] == kind), None)
        if form is not None and form.is_valid():
            saved = submit_form(
                form,
                services.number_series_update,
                actor=request.membership,
                kind=kind,
                pattern=form.cleaned_data["pattern"],
                reset=form.cleaned_data["reset"],
            )
            if saved:
                messages.success(request, _("Numbering saved."))
                return redirect("numbering_settings", tenant_slug)
    return render(request, "invoices/numbering.html", {"series_forms": series_forms})


@require_GET
@manager_required
def numbering_preview(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    """Live preview of a pattern as typed: what the next number would look like."""
    kind = request.GET.get("kind", SeriesKind.INVOICE)
    pattern = request.GET.get(f"{kind}-pattern", "")[:40]
    example: str | None
    message: str | None
    try:
        validate_number_pattern(pattern)
    except ValidationError as error:
        example, message = None, error.messages[0]
    else:
        example, message = render_number(pattern, sequence=_next_sequence(kind), on=tenant_today()), None
    return render(
        request, "invoices/_number_preview.html", {"example": example, "error": message, "kind": kind}
    )


def _next_sequence(kind: str) -> int:
    """The sequence the next document of `kind` would take this period (nothing is taken)."""
    series = selectors.number_series_get(kind=kind)
    if series.pk is None:
        return 1
    counter = NumberCounter.objects.filter(series=series, period=series.period_for(tenant_today())).first()
    return counter.next_value if counter else 1
