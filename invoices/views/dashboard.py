"""The workspace's home page: what is owed, what is late, what came in, and the last year."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from invoices import selectors
from invoices.charts import monthly_chart
from tenants import roles
from tenants.requests import TenantRequest


def _checklist(request: TenantRequest) -> list[dict[str, object]] | None:
    """A new workspace's first steps, with the page of each; None once all are done (or for
    viewers, who can take none of them). The company and bank pages are the managers' own."""
    if not roles.can_write(request.membership):
        return None
    progress = selectors.onboarding()
    if progress.complete:
        return None
    slug, manager = request.tenant.slug, roles.can_manage_tenant(request.membership)
    here = reverse("dashboard", args=[slug])
    return [
        {
            "key": "company",
            "label": _("Add your company details: legal name, address, VAT number"),
            "done": progress.company_profile,
            "url": f"{reverse('company_settings', args=[slug])}?next={here}" if manager else "",
        },
        {
            "key": "bank",
            "label": _("Add the bank account clients pay into"),
            "done": progress.bank_account,
            "url": f"{reverse('bank_account_create', args=[slug])}?next={here}" if manager else "",
        },
        {
            "key": "client",
            "label": _("Add your first client"),
            "done": progress.first_client,
            "url": reverse("client_create", args=[slug]),
        },
        {
            "key": "invoice",
            "label": _("Create and finalize your first invoice"),
            "done": progress.first_invoice,
            "url": reverse("invoice_new", args=[slug]),
        },
    ]


def dashboard(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    # "/" takes the user back to the workspace they last opened.
    if request.user.last_tenant_id != request.tenant.pk:
        request.user.last_tenant = request.tenant
        request.user.save(update_fields=["last_tenant"])
    summary = selectors.dashboard()
    currencies = sorted(summary.monthly, key=lambda code: (code != request.tenant.default_currency, code))
    currency = request.GET.get("currency", "")
    if currency not in summary.monthly:
        currency = currencies[0] if currencies else ""
    chart = monthly_chart(summary.monthly[currency], currency, summary.months) if currency else None
    return render(
        request,
        "invoices/dashboard.html",
        {
            "summary": summary,
            "outstanding": sorted(summary.outstanding.items()),
            "overdue": sorted(summary.overdue.items()),
            "paid_this_month": sorted(summary.paid_this_month.items()),
            "chart": chart,
            "chart_currencies": currencies,
            "activity": selectors.recent_activity(limit=8),
            "checklist": _checklist(request),
            "late": list(selectors.invoice_list(status=selectors.OVERDUE, sort="due_date")[:5]),
        },
    )
