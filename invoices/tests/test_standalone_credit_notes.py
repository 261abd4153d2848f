"""Stand-alone credit notes (issue #16): their own lines, no preceding invoice, numbered in the
credit-note series, a credit to the client counted once, no invoice's balance touched."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.errors import ApplicationError
from invoices import selectors, services
from invoices.models import Invoice, InvoiceKind, InvoiceStatus, NumberCounter, SeriesKind
from invoices.services.common import tenant_today
from invoices.tests.factories import ClientFactory, TaxRateFactory, line, make_invoice, writer
from portal.statement import statement_build
from tenants.models import Role, Tenant
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db
D = Decimal


def _credit_notes() -> int:
    return Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).count()


def test_a_standalone_credit_note_is_numbered_issued_and_totalled(in_tenant: Tenant) -> None:
    actor = writer()
    vat = TaxRateFactory(percentage=D(20))
    client = ClientFactory()
    invoice = make_invoice(actor=actor, client=client, finalize=True)
    note = services.credit_note_create_standalone(
        actor=actor,
        client=client.public_id,
        currency="eur",
        lines=[line("Goodwill", "2", "25.00", tax_rates=[vat]), line("Returned part", "1", "10.00")],
        reason="  Late delivery  ",
        issue_date=date(2026, 5, 4),
        allowances_charges=[{"amount": "5.00", "reason": "Loyalty", "tax_rates": [vat]}],
    )
    assert note.kind == InvoiceKind.CREDIT_NOTE
    assert note.credit_note_for is None
    assert note.number == "CN-2026-00001"
    assert (note.status, note.currency, note.issue_date) == (InvoiceStatus.OPEN, "EUR", date(2026, 5, 4))
    assert note.notes == "Late delivery"
    # 50.00 at 20 % less a 5.00 allowance at 20 % = 45.00 + 9.00 VAT, and 10.00 with no tax.
    assert (note.subtotal, note.tax_total, note.total, note.balance_due) == (
        D("60.00"),
        D("9.00"),
        D("64.00"),
        D("0.00"),
    )
    assert note.lines.count() == 2
    assert note.client_snapshot["name"] == client.name
    # The next one takes the next number of the same series; the invoice series did not move.
    second = services.credit_note_create_standalone(
        actor=actor,
        client=client,
        currency="EUR",
        lines=[line(unit_price="1.00")],
        issue_date=date(2026, 5, 5),
    )
    assert second.number == "CN-2026-00002"
    invoice.refresh_from_db()
    assert (invoice.balance_due, invoice.amount_credited, invoice.status) == (D(100), D(0), "open")
    assert make_invoice(actor=actor, finalize=True).number.endswith("-00002")


def test_it_is_a_credit_to_the_client_counted_once(in_tenant: Tenant) -> None:
    actor = writer()
    client = ClientFactory()
    today = tenant_today()
    invoice = make_invoice(actor=actor, client=client, finalize=True, issue_date=today)  # 100.00 owed
    against = services.credit_note_create(actor=actor, invoice=invoice, lines=[line(unit_price="30.00")])
    alone = services.credit_note_create_standalone(
        actor=actor, client=client, currency="EUR", lines=[line(unit_price="45.00")], issue_date=today
    )
    invoice.refresh_from_db()
    assert invoice.balance_due == D("70.00")  # only the note against it
    [balance] = selectors.client_balances(clients=[client], today=today)[client.pk]
    assert (balance.outstanding, balance.credit, balance.net, balance.invoiced, balance.open_count) == (
        D("70.00"),
        D("45.00"),
        D("25.00"),
        D("100.00"),
        1,
    )
    statement = statement_build(client=client, currency="EUR", start=today, end=today)
    credits = sorted(e.credit for e in statement.entries if e.credit)
    assert credits == sorted([against.total, alone.total])
    assert statement.closing == D("25.00") == balance.net
    # A void stand-alone note no longer counts (nor in the statement).
    services.invoice_void(actor=actor, invoice=alone)
    [balance] = selectors.client_balances(clients=[client], today=today)[client.pk]
    assert (balance.credit, balance.net) == (D("0.00"), D("70.00"))
    assert statement_build(client=client, currency="EUR", start=today, end=today).closing == D("70.00")
    invoice.refresh_from_db()
    assert invoice.balance_due == D("70.00")


@pytest.mark.parametrize(
    ("kwargs", "field", "code"),
    [
        ({"lines": []}, ("lines",), "no_lines"),
        ({"currency": "XYZ"}, ("currency",), "invalid"),
        ({"currency": ""}, ("currency",), "invalid"),
        ({"lines": [line(unit_price="1.2345678")]}, ("lines", 0, "unit_price"), "invalid"),
        ({"lines": [line(unit_price="0.00")]}, ("lines",), "invalid"),
        ({"client": "cl_nope"}, ("client",), "not_found"),
        (
            {"allowances_charges": [{"amount": "5.00", "tax_rates": []}]},
            ("allowances_charges", 0, "reason"),
            "invalid",
        ),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(
    in_tenant: Tenant, kwargs: dict, field: tuple, code: str
) -> None:
    actor = writer()
    arguments = {"client": ClientFactory(), "currency": "EUR", "lines": [line()], **kwargs}
    with pytest.raises(ApplicationError) as error:
        services.credit_note_create_standalone(actor=actor, **arguments)
    assert (error.value.path, error.value.code) == (field, code)
    assert _credit_notes() == 0
    assert not NumberCounter.objects.filter(series__kind=SeriesKind.CREDIT_NOTE, next_value__gt=1).exists()


def test_a_viewer_is_refused_and_another_workspaces_client_is_not_found(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    with tenant_scope(other_tenant):
        foreign = ClientFactory()
    with tenant_scope(tenant):
        viewer = writer(Role.VIEWER)
        with pytest.raises(ApplicationError) as error:
            services.credit_note_create_standalone(
                actor=viewer, client=ClientFactory(), currency="EUR", lines=[line()]
            )
        assert error.value.code == "forbidden"
        for client in (foreign, foreign.public_id):
            with pytest.raises(ApplicationError) as error:
                services.credit_note_create_standalone(
                    actor=writer(), client=client, currency="EUR", lines=[line()]
                )
            assert (error.value.path, error.value.code) == (("client",), "not_found")
        assert _credit_notes() == 0
    with tenant_scope(other_tenant):
        assert _credit_notes() == 0
