"""`manage.py seed_demo` fills the demo workspace with sample data once, through the services."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db.models import Sum

from core.errors import ApplicationError
from invoices import checks, selectors, services
from invoices.models import (
    CatalogItem,
    Client,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Payment,
    TaxRate,
)
from invoices.services import LineData
from invoices.services.common import tenant_today
from invoices.tests.factories import ClientFactory
from tenants.models import Tenant, User
from tenants.scoping import tenant_scope
from tenants.tests.factories import TenantFactory


def seed_demo() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def demo_tenant() -> Tenant:
    return Tenant.objects.get(slug="demo-studio")


def row_counts() -> tuple[int, ...]:
    return (
        Client.objects.count(),
        TaxRate.objects.count(),
        CatalogItem.objects.count(),
        Invoice.objects.count(),
        Payment.objects.count(),
    )


def test_seed_demo_fills_the_demo_workspace_with_sample_data(db: None) -> None:
    output = seed_demo()

    assert "Sample data added: 5 clients, 3 tax rates, 6 catalog items, 12 invoices (2 drafts)" in output
    assert mail.outbox == []
    with tenant_scope(demo_tenant()):
        today = tenant_today()
        clients = list(Client.objects.all())
        assert {(c.country, c.currency, c.language) for c in clients} == {
            ("US", "USD", "en"),
            ("FR", "EUR", "fr"),
            ("DE", "EUR", "de"),
            ("ES", "EUR", "es"),
            ("GB", "GBP", "en"),
        }
        for client in clients:
            assert client.address_line1
            assert client.city
            assert all(email.endswith((".example.com", ".example.org")) for email in client.emails)
        assert Decimal("8.8750") in set(TaxRate.objects.values_list("percentage", flat=True))

        invoices = Invoice.objects.filter(kind=InvoiceKind.INVOICE)
        statuses = [invoice.status for invoice in invoices]
        assert statuses.count(InvoiceStatus.DRAFT) == 2
        assert statuses.count(InvoiceStatus.PAID) >= 3
        assert statuses.count(InvoiceStatus.PARTIALLY_PAID) == 1
        assert statuses.count(InvoiceStatus.OPEN) >= 2
        assert 1 <= selectors.invoice_list(status=selectors.OVERDUE).count() <= 2
        # Issued over the last four months, none in the future.
        issue_dates = [invoice.issue_date for invoice in invoices]
        assert min(issue_dates) >= today - timedelta(days=125)
        assert max(issue_dates) <= today
        assert Payment.objects.filter(paid_on__gt=today).count() == 0

        board = selectors.dashboard()
        assert board.overdue_count >= 1
        months_with_invoices = {
            point.month for points in board.monthly.values() for point in points if point.invoiced
        }
        assert len(months_with_invoices) >= 4

        partial = invoices.get(status=InvoiceStatus.PARTIALLY_PAID)
        assert Decimal(0) < partial.amount_paid < partial.total
        assert partial.amount_paid == partial.payments.aggregate(total=Sum("amount"))["total"]
        assert partial.balance_due == partial.total - partial.amount_paid

        note = Invoice.objects.get(kind=InvoiceKind.CREDIT_NOTE)
        credited = note.credit_note_for
        assert note.number.startswith("CN-")
        assert (note.currency, note.client_id) == (credited.currency, credited.client_id)
        assert credited.amount_credited == note.total > 0
        assert credited.status == InvoiceStatus.PAID
        assert credited.amount_paid + credited.amount_credited == credited.total
        assert credited.balance_due == 0

        # Every stored total is what the calculator makes of the invoice's own lines.
        for invoice in Invoice.objects.prefetch_related("lines__line_taxes__tax_rate"):
            lines = [LineData.from_line(line) for line in invoice.lines.all()]
            totals = services.invoice_calculate(
                currency=invoice.currency,
                lines=lines,
                discount_type=invoice.discount_type,
                discount_value=invoice.discount_value,
            )
            assert (invoice.subtotal, invoice.tax_total, invoice.total) == (
                totals.subtotal,
                totals.tax_total,
                totals.total,
            )
            if invoice.kind == InvoiceKind.INVOICE and invoice.status != InvoiceStatus.DRAFT:
                assert invoice.balance_due == invoice.total - invoice.amount_paid - invoice.amount_credited


def test_running_seed_demo_again_adds_nothing(db: None) -> None:
    seed_demo()
    with tenant_scope(demo_tenant()):
        before = row_counts()
    output = seed_demo()
    assert "Sample data: the workspace already has" in output
    assert "password:" in output
    assert (User.objects.count(), Tenant.objects.count()) == (1, 1)
    with tenant_scope(demo_tenant()):
        assert row_counts() == before


def test_a_demo_workspace_already_in_use_gets_no_sample_data(db: None) -> None:
    tenant = TenantFactory(name="Demo Studio", slug="demo-studio")
    with tenant_scope(tenant):
        ClientFactory(name="A client someone entered")
    output = seed_demo()
    assert "nothing added" in output
    with tenant_scope(tenant):
        assert list(Client.objects.values_list("name", flat=True)) == ["A client someone entered"]
        assert not Invoice.objects.exists()


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 7, 15, 15, 0, tzinfo=UTC),
        # Four months back from January cross New Year: two yearly periods per series.
        datetime(2027, 1, 20, 15, 0, tzinfo=UTC),
    ],
)
def test_sample_numbers_are_gapless_and_follow_the_issue_dates(db: None, now: datetime) -> None:
    with time_machine.travel(now, tick=False):
        seed_demo()
    with tenant_scope(demo_tenant()):
        series: dict[tuple[str, str], list[Invoice]] = defaultdict(list)
        for invoice in Invoice.objects.exclude(status=InvoiceStatus.DRAFT).order_by("sequence"):
            series[(invoice.kind, invoice.number_period)].append(invoice)
        # 10 sample invoices and a credit note, and the deposit invoice of the quotes app's
        # accepted sample quote (quotes/demo.py, registered with demo_sample_data_register).
        assert sum(len(numbered) for numbered in series.values()) == 12
        for (kind, period), numbered in series.items():
            assert [invoice.sequence for invoice in numbered] == list(range(1, len(numbered) + 1))
            prefix = "INV" if kind == InvoiceKind.INVOICE else "CN"
            assert [invoice.number for invoice in numbered] == [
                f"{prefix}-{period}-{invoice.sequence:05}" for invoice in numbered
            ]
            dates = [invoice.issue_date for invoice in numbered]
            assert dates == sorted(dates)
        periods = {period for kind, period in series if kind == InvoiceKind.INVOICE}
        assert len(periods) == (2 if now.month == 1 else 1)


def test_a_refused_sample_keeps_the_login_and_leaves_no_half_made_data(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    finalized = 0

    def plan_allows_five(*, tenant: Tenant) -> None:
        nonlocal finalized
        finalized += 1
        if finalized > 5:
            raise ApplicationError("This month's finalized invoices are used.", code="plan_limit")

    monkeypatch.setitem(checks._finalize_checks, "plans.monthly_allowance", plan_allows_five)
    output = seed_demo()
    assert "No sample data added: This month's finalized invoices are used." in output
    assert "password:" in output
    assert User.objects.filter(email="demo@invoiceflow.localhost").exists()
    with tenant_scope(demo_tenant()):
        assert row_counts() == (0, 0, 0, 0, 0)

    monkeypatch.undo()
    assert "Sample data added" in seed_demo()  # the next run tries again
