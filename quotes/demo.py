"""The demo workspace's quotes (`manage.py seed_demo`, registered in `quotes/apps.py` with
`invoices.demo.demo_sample_data_register`): a quote sent and awaiting the client's answer, and
one the client accepted, which made its 30 % deposit invoice (finalized, unpaid). Written
through the quote services, as a member and a client would; nothing is emailed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from invoices import services as invoice_services
from invoices.demo import DemoWorkspace
from quotes import services
from quotes.models import OnAccept, QuoteInvoice

DEPOSIT_PERCENT = Decimal("30")


def demo_quotes_create(workspace: DemoWorkspace) -> str:
    actor, today = workspace.actor, workspace.today
    sent = services.quote_create_draft(
        actor=actor,
        client=workspace.clients["thistle"],
        issue_date=today - timedelta(days=3),
        lines=[
            workspace.line("thistle", "discovery", "1"),
            workspace.line("thistle", "design", "40"),
            workspace.line("thistle", "development", "60"),
        ],
        notes="Online shop: discovery, design and build.",
    )
    services.quote_send(actor=actor, quote=sent, email=False)
    accepted = services.quote_create_draft(
        actor=actor,
        client=workspace.clients["hudson"],
        issue_date=today - timedelta(days=12),
        lines=[
            workspace.line("hudson", "development", "80"),
            workspace.line("hudson", "hosting", "12"),
        ],
        on_accept=OnAccept.DEPOSIT,
        deposit_percent=DEPOSIT_PERCENT,
        notes="Customer portal, with a year of hosting.",
    )
    accepted = services.quote_send(actor=actor, quote=accepted, email=False)
    accepted = services.quote_accept(quote_pk=accepted.pk, name="Dana Whitfield", ip=None)
    # Accepting made the deposit invoice (a draft): issued, as the member would.
    for billing in QuoteInvoice.objects.filter(quote=accepted).select_related("invoice"):
        invoice_services.invoice_finalize(actor=actor, invoice=billing.invoice)
    return "2 quotes (1 sent, 1 accepted with its deposit invoice)"
