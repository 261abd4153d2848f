"""Reads: invoice filters (with derived overdue), client balances, the dashboard, and their
query counts, which must not grow with the data."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from invoices import selectors, services
from invoices.models import InvoiceStatus
from invoices.tests.factories import ClientFactory, line, make_invoice, writer
from tenants.models import Tenant
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = date(2026, 5, 20)


def test_invoice_list_filters(in_tenant: Tenant) -> None:
    actor = writer()
    acme = ClientFactory(name="Acme Rockets")
    initech = ClientFactory(name="Initech")
    draft = make_invoice(actor=actor, client=acme, issue_date=date(2026, 5, 1))
    overdue = make_invoice(
        actor=actor, client=acme, issue_date=date(2026, 3, 1), due_date=date(2026, 4, 1), finalize=True
    )
    current = make_invoice(
        actor=actor, client=initech, issue_date=date(2026, 5, 10), due_date=date(2026, 6, 10), finalize=True
    )
    paid = make_invoice(
        actor=actor, client=initech, issue_date=date(2026, 2, 1), due_date=date(2026, 2, 2), finalize=True
    )
    services.payment_record(actor=actor, invoice=paid, amount="100", paid_on=date(2026, 2, 2))

    def listed(**filters: object) -> set[int]:
        return {invoice.pk for invoice in selectors.invoice_list(today=TODAY, **filters)}

    assert listed() == {draft.pk, overdue.pk, current.pk, paid.pk}
    assert listed(status="overdue") == {overdue.pk}  # derived from the due date, not stored
    assert listed(status=InvoiceStatus.OPEN) == {overdue.pk, current.pk}
    assert listed(status=InvoiceStatus.PAID) == {paid.pk}
    assert listed(status=InvoiceStatus.DRAFT) == {draft.pk}
    assert listed(client=acme.public_id) == {draft.pk, overdue.pk}
    assert listed(client=initech) == {current.pk, paid.pk}
    assert listed(date_from=date(2026, 3, 1), date_to=date(2026, 5, 1)) == {overdue.pk, draft.pk}
    assert listed(search="initech") == {current.pk, paid.pk}
    assert listed(search=current.number) == {current.pk}
    assert [i.pk for i in selectors.invoice_list(sort="number", status=InvoiceStatus.OPEN)] == [
        overdue.pk,
        current.pk,
    ]
    assert overdue.is_overdue(TODAY)
    assert not current.is_overdue(TODAY)


def test_invoice_list_never_shows_another_tenant(tenant: Tenant, other_tenant: Tenant) -> None:
    with tenant_scope(other_tenant):
        make_invoice(client=ClientFactory(name="Shared Name"), finalize=True)
    with tenant_scope(tenant):
        mine = make_invoice(client=ClientFactory(name="Shared Name"), finalize=True)
        assert [i.pk for i in selectors.invoice_list(search="Shared")] == [mine.pk]
        assert selectors.invoice_get(public_id=mine.public_id) == mine
    with tenant_scope(other_tenant):
        assert selectors.invoice_get(public_id=mine.public_id) is None


def test_client_balances_say_what_each_client_owes(in_tenant: Tenant) -> None:
    actor = writer()
    acme = ClientFactory(name="Acme")
    yen = ClientFactory(name="Tokyo", currency="JPY")
    late = make_invoice(
        actor=actor,
        client=acme,
        due_date=TODAY - timedelta(days=1),
        issue_date=TODAY - timedelta(days=30),
        finalize=True,
    )
    services.payment_record(actor=actor, invoice=late, amount="40", paid_on=TODAY - timedelta(days=2))
    make_invoice(actor=actor, client=acme, issue_date=TODAY, finalize=True)
    make_invoice(actor=actor, client=acme)  # drafts owe nothing
    make_invoice(actor=actor, client=yen, lines=[line(unit_price="5000")], issue_date=TODAY, finalize=True)

    balances = selectors.client_balances(today=TODAY)
    assert balances[acme.pk] == [
        selectors.Balance(
            "EUR",
            outstanding=D("160.00"),
            overdue=D("60.00"),
            invoiced=D("200.00"),
            paid=D("40.00"),
            open_count=2,
        )
    ]
    assert balances[yen.pk] == [
        selectors.Balance("JPY", outstanding=D(5000), overdue=D(0), invoiced=D(5000), paid=D(0), open_count=1)
    ]
    assert set(selectors.client_balances(clients=[yen], today=TODAY)) == {yen.pk}


def test_dashboard_totals_per_currency(in_tenant: Tenant) -> None:
    actor = writer()
    eur = ClientFactory()
    usd = ClientFactory(currency="USD")
    late = make_invoice(
        actor=actor, client=eur, issue_date=date(2026, 3, 1), due_date=date(2026, 4, 1), finalize=True
    )
    make_invoice(
        actor=actor, client=eur, issue_date=date(2026, 5, 2), due_date=date(2026, 6, 1), finalize=True
    )
    paid = make_invoice(actor=actor, client=usd, issue_date=date(2026, 5, 3), finalize=True)
    services.payment_record(actor=actor, invoice=paid, amount="100", paid_on=date(2026, 5, 4))
    services.payment_record(actor=actor, invoice=late, amount="25", paid_on=date(2026, 4, 15))
    old = make_invoice(actor=actor, client=eur, issue_date=date(2025, 1, 1), finalize=True)  # > 12 months ago
    services.invoice_void(
        actor=actor, invoice=make_invoice(actor=actor, client=eur, issue_date=date(2026, 5, 5), finalize=True)
    )

    board = selectors.dashboard(today=TODAY)
    assert board.outstanding == {"EUR": D("275.00")}  # 75 + 100 + 100 (old)
    assert board.overdue == {"EUR": D("175.00")}  # late (75) and old (100)
    assert board.overdue_count == 2
    assert board.paid_this_month == {"USD": D("100.00")}
    assert (board.months[0], board.months[-1]) == (date(2025, 6, 1), date(2026, 5, 1))
    assert len(board.months) == 12
    eur_points = {p.month: (p.invoiced, p.paid) for p in board.monthly["EUR"]}
    assert eur_points[date(2026, 3, 1)] == (D("100.00"), D(0))
    assert eur_points[date(2026, 4, 1)] == (D(0), D("25.00"))
    assert eur_points[date(2026, 5, 1)] == (D("100.00"), D(0))  # the void one does not count
    assert board.monthly["USD"][-1].invoiced == board.monthly["USD"][-1].paid == D("100.00")
    assert old.issue_date < board.months[0]
    assert board.currencies == ["EUR", "USD"]


def _queries(func) -> int:
    with CaptureQueriesContext(connection) as captured:
        func()
    return len(captured)


def test_query_counts_do_not_grow_with_the_data(in_tenant: Tenant) -> None:
    actor = writer()
    clients = [ClientFactory(), ClientFactory(currency="JPY")]

    def add_invoices(count: int) -> None:
        for n in range(count):
            client = clients[n % 2]
            unit = "10" if client.currency == "JPY" else "10.00"
            invoice = make_invoice(
                actor=actor,
                client=client,
                lines=[line(unit_price=unit)],
                issue_date=TODAY - timedelta(days=40 * n % 300),
                finalize=True,
            )
            if n % 3 == 0:
                services.payment_record(actor=actor, invoice=invoice, amount=unit, paid_on=TODAY)

    def read_everything() -> None:
        selectors.dashboard(today=TODAY)
        selectors.recent_activity()
        list(selectors.invoice_list(status="overdue", today=TODAY)[:25])
        page = list(selectors.client_list()[:25])
        selectors.client_balances(clients=page, today=TODAY)

    add_invoices(2)
    small = _queries(read_everything)
    add_invoices(20)
    large = _queries(read_everything)
    assert small == large
    assert large <= 8
