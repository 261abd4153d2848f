"""Quotes through their services: drafts computed by the invoice engine, numbering at sending,
the client's answer on the timeline, expiry, and what an accepted quote is invoiced as."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import ApplicationError
from invoices import services as invoice_services
from invoices.models import ClientContact, InvoiceStatus
from invoices.tests.factories import ClientFactory, TaxRateFactory, line, writer
from quotes import invoicing, services
from quotes.models import BillingKind, OnAccept, Quote, QuoteEvent, QuoteInvoice, QuoteStatus
from quotes.tasks import expire_due
from quotes.tests.factories import make_quote
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_tenant(tenant):
    with tenant_scope(tenant):
        yield tenant


def test_a_draft_is_computed_by_the_invoice_engine(in_tenant) -> None:
    vat, reduced = TaxRateFactory(percentage=Decimal("20")), TaxRateFactory(percentage=Decimal("5.5"))
    quote = make_quote(
        lines=[
            line("Design", "2", "100.00", tax_rates=[vat]),
            line("Books", "3", "10.00", tax_rates=[reduced]),
        ],
        discount_type="percent",
        discount_value="10",
    )
    preview = invoice_services.invoice_calculate(
        currency="EUR",
        lines=[
            line("Design", "2", "100.00", tax_rates=[vat]),
            line("Books", "3", "10.00", tax_rates=[reduced]),
        ],
        discount_type="percent",
        discount_value="10",
    )
    assert (quote.subtotal, quote.discount_amount, quote.tax_total, quote.total) == (
        preview.subtotal,
        preview.discount,
        preview.tax_total,
        preview.total,
    )
    assert quote.status == QuoteStatus.DRAFT
    assert quote.number is None
    assert quote.valid_until == quote.issue_date + timedelta(days=30)
    assert [t["percentage"] for t in quote.tax_breakdown] == ["20.0000", "5.5000"]


def test_bad_input_is_refused_with_the_field(in_tenant) -> None:
    with pytest.raises(ApplicationError) as error:
        make_quote(lines=[line("X", "1", "abc")])
    assert error.value.dotted_field == "lines.0.unit_price"
    with pytest.raises(ApplicationError) as error:
        make_quote(issue_date=date(2026, 5, 1), valid_until=date(2026, 4, 1))
    assert error.value.field == "valid_until"


def test_sending_numbers_quotes_from_their_own_series(in_tenant, mailoutbox) -> None:
    actor = writer()
    client = ClientFactory(name="Boulangerie Martin")
    ClientContact.objects.create(client=client, name="Paul Martin", email="paul@martin.test", is_primary=True)
    invoice = invoice_services.invoice_create_draft(actor=actor, client=client, lines=[line()])
    invoice_services.invoice_finalize(actor=actor, invoice=invoice)
    first = make_quote(actor=actor, client=client, issue_date=date.today(), send=True)
    second = make_quote(actor=actor, client=client, issue_date=date.today(), send=True)
    year = date.today().year
    assert (first.number, second.number) == (f"QUO-{year}-00001", f"QUO-{year}-00002")
    assert first.status == QuoteStatus.SENT
    sent = QuoteEvent.objects.get(quote=first, verb="sent")
    assert sent.data["to"] == ["paul@martin.test"]


def test_marking_a_quote_sent_without_email_numbers_it_and_emails_nobody(
    in_tenant, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    actor = writer()
    client = ClientFactory(name="Boulangerie Martin")
    ClientContact.objects.create(client=client, name="Paul Martin", email="paul@martin.test", is_primary=True)
    quote = make_quote(actor=actor, client=client)
    with django_capture_on_commit_callbacks(execute=True):
        quote = services.quote_send(actor=actor, quote=quote, email=False)
    assert quote.status == QuoteStatus.SENT
    assert quote.number.startswith("QUO-")
    assert QuoteEvent.objects.get(quote=quote, verb="sent").data["to"] == []
    assert mailoutbox == []


def test_a_draft_cannot_be_edited_once_sent(in_tenant) -> None:
    actor = writer()
    quote = make_quote(actor=actor, send=True)
    with pytest.raises(ApplicationError) as error:
        services.quote_update_draft(actor=actor, quote=quote, notes="changed")
    assert error.value.code == "not_draft"


def test_accepting_records_name_time_and_ip_and_answers_once(in_tenant) -> None:
    quote = make_quote(send=True)
    with pytest.raises(ApplicationError):
        services.quote_accept(quote_pk=quote.pk, name=" ", ip="203.0.113.9")
    accepted = services.quote_accept(quote_pk=quote.pk, name="  Paul   Martin ", ip="203.0.113.9")
    assert accepted.status == QuoteStatus.ACCEPTED
    assert accepted.accepted_by_name == "Paul Martin"
    event = QuoteEvent.objects.get(quote=quote, verb="accepted")
    assert event.data["name"] == "Paul Martin"
    assert event.data["ip"] == "203.0.113.9"
    assert event.data["at"]
    with pytest.raises(ApplicationError) as again:
        services.quote_decline(quote_pk=quote.pk, reason="too late", ip=None)
    assert again.value.code == "invalid_status"


def test_declining_keeps_the_reason(in_tenant) -> None:
    quote = make_quote(send=True)
    declined = services.quote_decline(quote_pk=quote.pk, reason="Too expensive", ip="198.51.100.1")
    assert declined.status == QuoteStatus.DECLINED
    assert QuoteEvent.objects.get(quote=quote, verb="declined").data["reason"] == "Too expensive"


def test_expiry_is_periodic_and_runs_twice_safely(in_tenant, tenant) -> None:
    today = date.today()
    old = make_quote(issue_date=today - timedelta(days=40), valid_until=today - timedelta(days=10))
    # Sent while it was still valid: the validity date passed since.
    Quote.objects.filter(pk=old.pk).update(valid_until=today + timedelta(days=1))
    services.quote_send(actor=writer(), quote=old)
    Quote.objects.filter(pk=old.pk).update(valid_until=today - timedelta(days=1))
    current = make_quote(send=True)
    draft = make_quote(issue_date=today - timedelta(days=40), valid_until=today - timedelta(days=10))
    result = expire_due()
    assert result["quotes"] == 1
    assert expire_due()["quotes"] == 0
    with tenant_scope(tenant):
        statuses = {q.pk: q.status for q in Quote.objects.all()}
    assert statuses == {old.pk: "expired", current.pk: "sent", draft.pk: "draft"}
    with pytest.raises(ApplicationError) as error:
        services.quote_accept(quote_pk=old.pk, name="Paul Martin", ip=None)
    assert error.value.code == "invalid_status"


def test_deposit_then_final_invoice_deducts_the_deposit(in_tenant) -> None:
    actor = writer()
    vat, reduced = TaxRateFactory(percentage=Decimal("20")), TaxRateFactory(percentage=Decimal("5.5"))
    quote = make_quote(
        actor=actor,
        lines=[
            line("Kitchen", "1", "1000.00", tax_rates=[vat]),
            line("Books", "3", "33.33", tax_rates=[reduced]),
            line("Untaxed fee", "1", "50.00"),
        ],
        discount_type="amount",
        discount_value="100.00",
        send=True,
    )
    services.quote_accept(quote_pk=quote.pk, name="Paul Martin", ip=None)
    deposit = invoicing.quote_invoice_deposit(actor=actor, quote=quote, percent="30")
    assert deposit.total == pytest.approx(quote.total * Decimal("0.3"), abs=Decimal("0.03"))
    invoice_services.invoice_finalize(actor=actor, invoice=deposit)
    progress = invoicing.quote_invoice_progress(actor=actor, quote=quote, percent="20")
    invoice_services.invoice_finalize(actor=actor, invoice=progress)
    with pytest.raises(ApplicationError) as over:
        invoicing.quote_invoice_progress(actor=actor, quote=quote, percent="60")
    assert over.value.code == "over_invoiced"
    final = invoicing.quote_invoice_final(actor=actor, quote=quote)
    deposit.refresh_from_db()
    progress.refresh_from_db()
    # Net and taxes: the quote's, less the two earlier invoices, to the cent.
    assert (
        final.subtotal - final.discount_amount
        == quote.subtotal - quote.discount_amount - deposit.subtotal - progress.subtotal
    )
    assert abs(final.total - (quote.total - deposit.total - progress.total)) <= Decimal("0.02")
    descriptions = [item.description for item in final.lines.all()]
    assert any(deposit.number in d for d in descriptions)
    assert any(progress.number in d for d in descriptions)
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.CONVERTED
    kinds = list(QuoteInvoice.objects.filter(quote=quote).values_list("kind", flat=True))
    assert kinds == [BillingKind.DEPOSIT, BillingKind.PROGRESS, BillingKind.FINAL]
    final = invoice_services.invoice_finalize(actor=actor, invoice=final)
    assert final.status == InvoiceStatus.OPEN


def test_the_final_invoice_waits_for_earlier_drafts(in_tenant) -> None:
    actor = writer()
    quote = make_quote(actor=actor, send=True)
    services.quote_accept(quote_pk=quote.pk, name="Paul Martin", ip=None)
    invoicing.quote_invoice_deposit(actor=actor, quote=quote, amount="120.00")
    with pytest.raises(ApplicationError) as error:
        invoicing.quote_invoice_final(actor=actor, quote=quote)
    assert error.value.code == "earlier_drafts"


def test_acceptance_can_make_the_deposit_invoice_at_once(in_tenant) -> None:
    actor = writer()
    quote = make_quote(actor=actor, on_accept=OnAccept.DEPOSIT, deposit_percent="40", send=True)
    services.quote_accept(quote_pk=quote.pk, name="Paul Martin", ip="203.0.113.9")
    made = QuoteInvoice.objects.get(quote=quote)
    assert made.kind == BillingKind.DEPOSIT
    assert made.invoice.total == Decimal("480.00")  # 40 % of 1,000 + 20 % VAT
    assert made.invoice.created_by == actor.user


def test_acceptance_can_make_the_whole_invoice_at_once(in_tenant) -> None:
    actor = writer()
    quote = make_quote(actor=actor, on_accept=OnAccept.INVOICE, send=True)
    accepted = services.quote_accept(quote_pk=quote.pk, name="Paul Martin", ip=None)
    assert accepted.status == QuoteStatus.CONVERTED
    invoice = QuoteInvoice.objects.get(quote=quote).invoice
    assert invoice.total == quote.total == Decimal("1200.00")
    assert invoice.buyer_reference == quote.number


def test_a_quote_of_another_workspace_is_not_found(in_tenant, other_tenant) -> None:
    quote = make_quote()
    with tenant_scope(other_tenant):
        with pytest.raises(ApplicationError) as error:
            services.quote_update_draft(actor=writer(), quote=quote.public_id, notes="x")
        assert error.value.code == "not_found"
    assert timezone.now()
