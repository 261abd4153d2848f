"""The workspace's home page: what is owed, what is late, what came in, and the last year."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from invoices import selectors
from invoices.charts import monthly_chart


def dashboard(request: HttpRequest, tenant_slug: str) -> HttpResponse:
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
            "late": list(selectors.invoice_list(status=selectors.OVERDUE, sort="due_date")[:5]),
        },
    )
