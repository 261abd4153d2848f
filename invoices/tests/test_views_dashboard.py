"""The workspace dashboard: totals per currency, recent activity and the 12-month chart."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client as HttpClient

from invoices import services
from invoices.charts import monthly_chart, nice_step
from invoices.selectors import MonthPoint
from invoices.tests.factories import ClientFactory, line, make_invoice
from invoices.tests.pages import Books, books_fixture, html  # noqa: F401
from invoices.tests.seed import seed_year
from tenants.models import Membership, Tenant
from tenants.scoping import tenant_scope


@pytest.mark.parametrize("who", ["owner_client", "member_client", "viewer_client"])
def test_members_see_the_dashboard(request: pytest.FixtureRequest, books: Books, who: str) -> None:
    response = request.getfixturevalue(who).get(books.url("dashboard"))
    assert response.status_code == 200
    assert ("+ New invoice" in html(response)) is (who != "viewer_client")


def test_an_outsider_gets_404(outsider_client: HttpClient, books: Books) -> None:
    response = outsider_client.get(books.url("dashboard"))
    assert response.status_code == 404
    assert "Northwind" not in html(response)


def test_the_dashboard_remembers_the_workspace(owner_client: HttpClient, books: Books, owner: object) -> None:
    owner_client.get(books.url("dashboard"))
    owner.refresh_from_db()
    assert owner.last_tenant_id == books.tenant.pk


def test_totals_per_currency(owner_client: HttpClient, books: Books, owner_membership: Membership) -> None:
    today = date.today()
    with tenant_scope(books.tenant):
        dollars = ClientFactory(name="Yankee Doodle Inc", currency="USD", payment_terms_days=5)
        late = make_invoice(
            actor=owner_membership,
            client=dollars,
            issue_date=today - timedelta(days=40),
            lines=[line(unit_price="1000.00")],
            finalize=True,
        )
        services.payment_record(actor=owner_membership, invoice=late, amount="250.00", paid_on=today)
        services.payment_record(actor=owner_membership, invoice=books.open, amount="100.00", paid_on=today)
    page = html(owner_client.get(books.url("dashboard")))
    assert re.search(r'data-testid="outstanding-EUR">€500.00<', page)  # 600 - 100
    assert re.search(r'data-testid="outstanding-USD">\$750.00<', page)
    assert re.search(r'data-testid="overdue-USD">\$750.00<', page)
    assert 'data-testid="overdue-EUR"' not in page  # due in 30 days
    assert re.search(r'data-testid="paid-EUR">€100.00<', page)
    assert re.search(r'data-testid="paid-USD">\$250.00<', page)
    assert "1 invoice past its due date" in page
    activity = page.split('data-testid="activity"')[1]
    assert activity.index("recorded a payment of $250.00") < activity.index("finalized")


def test_the_chart_is_an_accessible_inline_svg(
    owner_client: HttpClient, books: Books, owner_membership: Membership
) -> None:
    with tenant_scope(books.tenant):
        services.payment_record(actor=owner_membership, invoice=books.open, amount="600.00")
    page = html(owner_client.get(books.url("dashboard")))
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert 'role="img"' in svg
    assert "aria-labelledby" in svg
    assert "style=" not in page  # the CSP forbids inline styles
    assert "<script>" not in page
    assert len(re.findall(r'class="chart__bar chart__bar--invoiced"', svg)) == 12
    assert len(re.findall(r'class="chart__bar chart__bar--paid"', svg)) == 12
    month = date.today().strftime("%B %Y")
    assert f"<title>{month} — invoiced €600.00</title>" in svg
    assert f"<title>{month} — paid €600.00</title>" in svg
    assert "€600.00" in page.split("Show as a table")[1]  # the same figures as a table


def test_the_chart_picks_a_currency(
    owner_client: HttpClient, books: Books, owner_membership: Membership
) -> None:
    with tenant_scope(books.tenant):
        make_invoice(
            actor=owner_membership,
            client=ClientFactory(currency="JPY"),
            lines=[line(unit_price="5000")],
            finalize=True,
        )
    default = html(owner_client.get(books.url("dashboard")))
    assert "per month, EUR" in default  # the workspace's currency first
    assert 'href="?currency=JPY"' in default
    yen = html(owner_client.get(books.url("dashboard") + "?currency=JPY"))
    assert "per month, JPY" in yen
    assert "invoiced ¥5,000</title>" in yen
    assert "per month, EUR" in html(owner_client.get(books.url("dashboard") + "?currency=NOPE"))


def test_an_empty_workspace_gets_a_friendly_dashboard(owner_client: HttpClient, tenant: Tenant) -> None:
    page = html(owner_client.get(f"/t/{tenant.slug}/"))
    assert "The chart fills in as you finalize invoices" in page
    assert "No activity yet" in page
    assert "Nothing is overdue" in page


def test_the_dashboard_takes_the_same_number_of_queries_for_5_and_50_invoices(
    owner_client: HttpClient, tenant: Tenant, owner_membership: Membership, django_assert_max_num_queries
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with tenant_scope(tenant):
        seed_year(actor=owner_membership, invoices=5, seed=1)
    with CaptureQueriesContext(connection) as small:
        assert owner_client.get(f"/t/{tenant.slug}/").status_code == 200
    with tenant_scope(tenant):
        seed_year(actor=owner_membership, invoices=45, seed=2)
    with django_assert_max_num_queries(len(small)):
        assert owner_client.get(f"/t/{tenant.slug}/").status_code == 200


# --- the chart's layout --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("maximum", "step"),
    [("0", "1"), ("7", "2"), ("95", "25"), ("1000", "250"), ("12345.67", "5000"), ("0.3", "0.1")],
)
def test_nice_steps(maximum: str, step: str) -> None:
    assert nice_step(Decimal(maximum)) == Decimal(step)


def test_bars_scale_to_the_largest_month_and_sit_on_the_baseline() -> None:
    months = [date(2026, m, 1) for m in range(1, 13)]
    points = [MonthPoint(month=date(2026, 3, 1), invoiced=Decimal("800.00"), paid=Decimal("200.00"))]
    chart = monthly_chart(points, "EUR", months)
    invoiced = [bar for bar in chart.bars if bar.series == "invoiced"]
    paid = [bar for bar in chart.bars if bar.series == "paid"]
    assert [bar.height > 0 for bar in invoiced] == [month.month == 3 for month in months]
    march_invoiced, march_paid = invoiced[2], paid[2]
    assert march_invoiced.height == 4 * march_paid.height  # 800 vs 200, same scale
    for bar in chart.bars:
        assert bar.y + bar.height == chart.baseline
        assert isinstance(bar.y, Decimal)  # no float, even for pixels
    assert [tick.label for tick in chart.ticks] == ["€0", "€200", "€400", "€600", "€800"]
    assert chart.months[2].label == "Mar"
    assert not chart.empty
    assert monthly_chart([], "EUR", months).empty
