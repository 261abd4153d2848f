"""Money: a statement's balances equal the sum of the documents and payments, for random
histories of invoices, payments and credit notes (hypothesis), through the real services.

For any split date: the opening balance is what was invoiced before it, less credit notes and
payments before it; opening plus the period's movements is the closing balance; and the
closing balance of all time is what the domain itself says is owed: Σ balance due, less the
stand-alone credit notes (issue #16), which move no invoice's balance; that is also the net of
`invoices.selectors.client_balances` (each credit note counted once).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from invoices import selectors
from invoices import services as invoicing
from invoices.models import Invoice, InvoiceKind, InvoiceStatus, Payment
from invoices.tests.factories import ClientFactory, line, writer
from portal.statement import statement_build
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db

START = date(2025, 1, 1)
cents = st.integers(min_value=1, max_value=500_000).map(lambda n: Decimal(n) / 100)
days = st.integers(min_value=0, max_value=360)
step = st.tuples(
    st.sampled_from(["invoice", "invoice", "pay", "pay", "credit", "void", "standalone"]),
    cents,
    days,
    st.floats(min_value=0.05, max_value=1.0),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=st.lists(step, min_size=1, max_size=12), split=days)
def test_statement_balances_equal_documents_and_payments(tenant, history, split) -> None:
    with tenant_scope(tenant):
        actor = writer()
        client = ClientFactory(currency="EUR")
        open_invoices: list[Invoice] = []
        for action, amount, day, share in history:
            on = START + timedelta(days=day)
            if action == "standalone":
                invoicing.credit_note_create_standalone(
                    actor=actor,
                    client=client,
                    currency="EUR",
                    lines=[line("Goodwill", "1", str(amount))],
                    issue_date=on,
                )
                continue
            unpaid = [i for i in open_invoices if i.balance_due > 0 and i.status != InvoiceStatus.VOID]
            if action == "invoice" or not unpaid:
                draft = invoicing.invoice_create_draft(
                    actor=actor, client=client, issue_date=on, lines=[line("Work", "1", str(amount))]
                )
                open_invoices.append(invoicing.invoice_finalize(actor=actor, invoice=draft))
                continue
            target = unpaid[day % len(unpaid)]
            part = max(Decimal("0.01"), (target.balance_due * Decimal(str(share))).quantize(Decimal("0.01")))
            if action == "pay":
                invoicing.payment_record(
                    actor=actor, invoice=target, amount=str(part), paid_on=max(on, target.issue_date)
                )
            elif action == "credit":
                invoicing.credit_note_create(
                    actor=actor,
                    invoice=target,
                    lines=[line("Credit", "1", str(part))],
                    issue_date=max(on, target.issue_date),
                )
            elif not target.payments.exists() and not target.credit_notes.exists():
                invoicing.invoice_void(actor=actor, invoice=target)
            open_invoices = list(Invoice.objects.filter(client=client, kind=InvoiceKind.INVOICE))

        documents = Invoice.objects.filter(client=client).exclude(status=InvoiceStatus.VOID)
        split_on = START + timedelta(days=split)
        before = (
            sum(
                (d.total for d in documents if d.kind == InvoiceKind.INVOICE and d.issue_date < split_on),
                Decimal(0),
            )
            - sum(
                (d.total for d in documents if d.kind == InvoiceKind.CREDIT_NOTE and d.issue_date < split_on),
                Decimal(0),
            )
            - sum(
                (p.amount for p in Payment.objects.filter(invoice__client=client, paid_on__lt=split_on)),
                Decimal(0),
            )
        )
        end = START + timedelta(days=400)
        statement = statement_build(client=client, currency="EUR", start=split_on, end=end)
        assert statement.opening == before
        movements = sum((e.debit - e.credit for e in statement.entries), Decimal(0))
        assert statement.closing == statement.opening + movements
        if statement.entries:
            assert statement.entries[-1].balance == statement.closing
        owed = sum((i.balance_due for i in documents if i.kind == InvoiceKind.INVOICE), Decimal(0))
        standalone = sum(
            (
                d.total
                for d in documents
                if d.kind == InvoiceKind.CREDIT_NOTE and d.credit_note_for_id is None
            ),
            Decimal(0),
        )
        owed -= standalone
        assert statement.closing == owed
        balances = selectors.client_balances(clients=[client], today=end).get(client.pk, [])
        assert sum((b.net for b in balances), Decimal(0)) == owed
        assert sum((b.credit for b in balances), Decimal(0)) == standalone
        whole = statement_build(client=client, currency="EUR", start=START - timedelta(days=1), end=end)
        assert whole.opening == 0
        assert whole.closing == owed
