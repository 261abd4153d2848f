"""Invoice services: drafts, finalization and numbering, void, uncollectible, payments, credit
notes, duplicates, the timeline, and the guards on each."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.utils import IntegrityError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import ApplicationError
from invoices import selectors, services
from invoices.models import (
    EventVerb,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    NumberCounter,
    NumberReset,
    Payment,
    SeriesKind,
)
from invoices.services import LineData
from invoices.services.common import tenant_today
from invoices.tests.factories import ClientFactory, TaxRateFactory, line, make_invoice, writer
from tenants.models import Role, Tenant
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db
D = Decimal


def verbs(invoice: Invoice) -> list[str]:
    return list(invoice.events.order_by("created_at", "pk").values_list("verb", flat=True))


# --- drafts --------------------------------------------------------------------------------------


def test_create_draft_with_lines_stores_totals_and_a_timeline(in_tenant: Tenant) -> None:
    actor = writer()
    vat = TaxRateFactory(percentage=D(20), name="VAT 20")
    reduced = TaxRateFactory(percentage=D("5.5"), name="VAT 5.5")
    client = ClientFactory(payment_terms_days=15)
    invoice = services.invoice_create_draft(
        actor=actor,
        client=client.public_id,
        issue_date=date(2026, 3, 1),
        lines=[
            {"description": "Design", "quantity": "10", "unit_price": "80.00", "tax_rates": [vat.public_id]},
            line("Books", "3", "19.99", tax_rates=[reduced], metadata={"isbn": "978-0"}),
            line("Discounted", "1", "50.00", discount="5.00", tax_rates=[vat, reduced]),
        ],
        buyer_reference="PO-42",
    )
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DRAFT
    assert invoice.number is None
    assert invoice.due_date == date(2026, 3, 16)
    assert invoice.currency == "EUR"
    lines = list(invoice.lines.all())
    assert [li.net_amount for li in lines] == [D("800.00"), D("59.97"), D("45.00")]
    assert lines[1].metadata == {"isbn": "978-0"}
    tax = {t.name: (t.taxable_base, t.tax_amount) for t in invoice.tax_totals.all()}
    assert tax == {"VAT 20": (D("845.00"), D("169.00")), "VAT 5.5": (D("104.97"), D("5.77"))}
    assert invoice.subtotal == D("904.97")
    assert invoice.total == D("1079.74")
    assert invoice.balance_due == 0  # nothing is due on a draft
    assert verbs(invoice) == [EventVerb.CREATED]
    assert invoice.events.get().actor == actor.user


@pytest.mark.parametrize(
    ("bad", "field", "message"),
    [
        ({"quantity": "two"}, ("lines", 1, "quantity"), "not a number"),
        ({"quantity": "1.00001"}, ("lines", 1, "quantity"), "at most 4 decimals"),
        ({"unit_price": "10.001"}, ("lines", 1, "unit_price"), "at most 2 decimals"),
        ({"unit_price": "1234567890123"}, ("lines", 1, "unit_price"), "too many digits"),
        ({"discount": "20.00"}, ("lines", 1, "discount"), "cannot exceed"),
        ({"description": " "}, ("lines", 1, "description"), "Describe"),
        ({"tax_rates": ["tax_nope"]}, ("lines", 1, "tax_rates"), "No such tax rate"),
        ({"quantity": "99999999", "unit_price": "999999999999"}, ("lines", 1, "quantity"), "too large"),
    ],
)
def test_bad_lines_are_refused_field_by_field_and_nothing_is_saved(
    in_tenant: Tenant, bad: dict, field: tuple, message: str
) -> None:
    lines = [line(), {"description": "Second", "quantity": "1", "unit_price": "10.00", **bad}]
    with pytest.raises(ApplicationError) as error:
        services.invoice_create_draft(actor=writer(), client=ClientFactory(), lines=lines)
    assert error.value.path == field
    assert message in error.value.message
    assert not Invoice.objects.exists()
    assert not InvoiceLine.objects.exists()


def test_zero_decimal_currency_refuses_cents(in_tenant: Tenant) -> None:
    client = ClientFactory(currency="JPY")
    with pytest.raises(ApplicationError) as error:
        services.invoice_create_draft(actor=writer(), client=client, lines=[line(unit_price="1000.50")])
    assert (error.value.path, error.value.message) == (
        ("lines", 0, "unit_price"),
        "The unit price takes no decimals.",
    )
    invoice = services.invoice_create_draft(actor=writer(), client=client, lines=[line(unit_price="1000")])
    assert invoice.currency == "JPY"
    assert invoice.total == D(1000)


def test_tax_rate_of_another_tenant_is_not_found(in_tenant: Tenant, other_tenant: Tenant) -> None:
    with tenant_scope(other_tenant):
        foreign = TaxRateFactory()
    with pytest.raises(ApplicationError) as error:
        make_invoice(lines=[line(tax_rates=[foreign.public_id])])
    assert (error.value.path, error.value.code) == (("lines", 0, "tax_rates"), "not_found")
    with pytest.raises(ApplicationError):
        make_invoice(lines=[line(tax_rates=[foreign])])  # an instance is resolved the same way
    assert not Invoice.objects.exists()


def test_due_date_before_issue_date_is_refused(in_tenant: Tenant) -> None:
    with pytest.raises(ApplicationError) as error:
        make_invoice(issue_date=date(2026, 5, 2), due_date=date(2026, 5, 1))
    assert error.value.field == "due_date"


def test_discount_larger_than_subtotal_is_refused(in_tenant: Tenant) -> None:
    with pytest.raises(ApplicationError) as error:
        make_invoice(lines=[line(unit_price="10.00")], discount_value="10.01")
    assert error.value.field == "discount_value"


def test_update_draft_replaces_lines_in_order_and_bumps_the_version(in_tenant: Tenant) -> None:
    actor = writer()
    invoice = make_invoice(actor=actor, lines=[line("A", unit_price="1.00"), line("B", unit_price="2.00")])
    version = invoice.content_version
    services.invoice_update_draft(
        actor=actor,
        invoice=invoice.public_id,
        lines=[line("B", unit_price="2.00"), line("C", unit_price="3.00"), line("A", unit_price="1.00")],
        discount_type="percent",
        discount_value="50",
        notes="Thanks",
    )
    invoice.refresh_from_db()
    assert [li.description for li in invoice.lines.all()] == ["B", "C", "A"]
    assert (invoice.subtotal, invoice.discount_amount, invoice.total) == (D("6.00"), D("3.00"), D("3.00"))
    assert invoice.notes == "Thanks"
    assert invoice.content_version == version + 1
    assert verbs(invoice) == [EventVerb.CREATED, EventVerb.EDITED]


def test_update_draft_to_another_currency_revalidates_kept_lines(in_tenant: Tenant) -> None:
    invoice = make_invoice(lines=[line(unit_price="10.50")])
    with pytest.raises(ApplicationError) as error:
        services.invoice_update_draft(actor=writer(), invoice=invoice, currency="JPY")
    assert error.value.path == ("lines", 0, "unit_price")
    invoice.refresh_from_db()
    assert invoice.currency == "EUR"


def test_invoice_calculate_previews_without_saving(in_tenant: Tenant) -> None:
    vat = TaxRateFactory(percentage=D(20))
    totals = services.invoice_calculate(
        currency="EUR", lines=[line(quantity="3", unit_price="33.33", tax_rates=[vat.public_id])]
    )
    assert (totals.subtotal, totals.tax_total, totals.total) == (D("99.99"), D("20.00"), D("119.99"))
    assert not Invoice.objects.exists()
    with pytest.raises(ApplicationError) as error:
        services.invoice_calculate(currency="EUR", lines=[line(), line(quantity="x")])
    assert error.value.path == ("lines", 1, "quantity")


# --- finalization and numbering -----------------------------------------------------------------


def test_finalize_numbers_snapshots_and_opens(in_tenant: Tenant) -> None:
    actor = writer()
    client = ClientFactory(name="Initech", tax_id="FR123")
    invoice = make_invoice(actor=actor, client=client, issue_date=date(2026, 4, 1))
    version = invoice.content_version
    invoice = services.invoice_finalize(actor=actor, invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.number == "INV-2026-00001"
    assert invoice.status == InvoiceStatus.OPEN
    assert invoice.balance_due == invoice.total == D("100.00")
    assert invoice.client_snapshot["name"] == "Initech"
    assert invoice.client_snapshot["tax_id"] == "FR123"
    assert invoice.seller_snapshot["name"] == in_tenant.name
    assert invoice.finalized_at is not None
    assert invoice.content_version > version
    assert verbs(invoice) == [EventVerb.CREATED, EventVerb.FINALIZED]
    # The snapshot keeps the client as it was.
    services.client_update(actor=actor, client=client, name="Initech Renamed")
    invoice.refresh_from_db()
    assert invoice.client_snapshot["name"] == "Initech"


def test_finalize_with_no_lines_is_refused_and_takes_no_number(in_tenant: Tenant) -> None:
    actor = writer()
    empty = make_invoice(actor=actor, lines=[])
    with pytest.raises(ApplicationError) as error:
        services.invoice_finalize(actor=actor, invoice=empty)
    assert (error.value.field, error.value.code) == ("lines", "no_lines")
    empty.refresh_from_db()
    assert (empty.status, empty.number) == (InvoiceStatus.DRAFT, None)
    other = make_invoice(actor=actor, finalize=True)
    assert other.sequence == 1


def test_a_finalized_invoice_is_immutable(in_tenant: Tenant) -> None:
    actor = writer()
    invoice = make_invoice(actor=actor, finalize=True)
    for call in (
        lambda: services.invoice_update_draft(actor=actor, invoice=invoice, notes="sneaky"),
        lambda: services.invoice_finalize(actor=actor, invoice=invoice),
        lambda: services.invoice_delete_draft(actor=actor, invoice=invoice),
    ):
        with pytest.raises(ApplicationError) as error:
            call()
        assert error.value.code == "not_draft"
    invoice.refresh_from_db()
    assert (invoice.notes, invoice.number) == ("", f"INV-{tenant_today().year}-00001")


def test_a_zero_total_invoice_is_paid_when_finalized(in_tenant: Tenant) -> None:
    invoice = make_invoice(lines=[line(unit_price="0.00")], finalize=True)
    assert invoice.status == InvoiceStatus.PAID
    assert EventVerb.PAID in verbs(invoice)


def test_numbers_restart_every_year_by_default(in_tenant: Tenant) -> None:
    actor = writer()
    numbers = [
        make_invoice(actor=actor, issue_date=day, finalize=True).number
        for day in (date(2025, 12, 30), date(2025, 12, 31), date(2026, 1, 1), date(2025, 12, 31))
    ]
    assert numbers == ["INV-2025-00001", "INV-2025-00002", "INV-2026-00001", "INV-2025-00003"]


def test_custom_pattern_that_never_resets(admin_membership, in_tenant: Tenant) -> None:
    services.number_series_update(
        actor=admin_membership, kind=SeriesKind.INVOICE, pattern="F{YY}/{SEQ}", reset=NumberReset.NEVER
    )
    assert selectors.number_preview(kind=SeriesKind.INVOICE, on=date(2025, 6, 1)) == "F25/1"
    numbers = [
        make_invoice(actor=admin_membership, issue_date=day, finalize=True).number
        for day in (date(2025, 12, 31), date(2026, 1, 1))
    ]
    assert numbers == ["F25/1", "F26/2"]
    assert selectors.number_preview(kind=SeriesKind.INVOICE, on=date(2026, 2, 1)) == "F26/3"
    assert NumberCounter.objects.get().period == ""


@pytest.mark.parametrize(
    ("pattern", "reset", "message"),
    [
        ("INV-{YYYY}", NumberReset.YEARLY, "exactly one {SEQ}"),
        ("INV-{SEQ}-{SEQ}", NumberReset.YEARLY, "exactly one {SEQ}"),
        ("INV-{SEQ:05}", NumberReset.YEARLY, "yearly restart needs the year"),
        ("INV-{DATE}-{SEQ}", NumberReset.NEVER, "Unknown placeholder"),
        ("INV<{SEQ}>", NumberReset.NEVER, "letters, digits"),
    ],
)
def test_number_pattern_validation(
    admin_membership, in_tenant: Tenant, pattern: str, reset: str, message: str
) -> None:
    with pytest.raises(ApplicationError) as error:
        services.number_series_update(
            actor=admin_membership, kind=SeriesKind.INVOICE, pattern=pattern, reset=reset
        )
    assert message in error.value.message


def test_only_admins_change_numbering(member_membership, in_tenant: Tenant) -> None:
    with pytest.raises(ApplicationError, match="owners and admins"):
        services.number_series_update(
            actor=member_membership, kind=SeriesKind.INVOICE, pattern="{SEQ}", reset=NumberReset.NEVER
        )


def test_a_pattern_that_repeats_a_number_is_caught_by_the_unique_constraint(
    admin_membership, in_tenant: Tenant
) -> None:
    day = date(2026, 1, 5)
    services.number_series_update(
        actor=admin_membership, kind=SeriesKind.INVOICE, pattern="{YY}{SEQ}", reset=NumberReset.YEARLY
    )
    assert make_invoice(actor=admin_membership, issue_date=day, finalize=True).number == "261"
    services.number_series_update(
        actor=admin_membership, kind=SeriesKind.INVOICE, pattern="26{SEQ}", reset=NumberReset.NEVER
    )
    draft = make_invoice(actor=admin_membership, issue_date=day)
    with pytest.raises(ApplicationError) as error:
        services.invoice_finalize(actor=admin_membership, invoice=draft)
    assert error.value.code == "number_taken"
    assert "261" in error.value.message
    draft.refresh_from_db()
    assert (draft.status, draft.number) == (InvoiceStatus.DRAFT, None)
    assert not NumberCounter.objects.filter(period="").exists()  # the failed take was rolled back


def test_the_number_is_unique_per_tenant_and_kind_in_the_database(in_tenant: Tenant) -> None:
    invoice = make_invoice(finalize=True)
    clash = make_invoice(finalize=True)
    clash.number = invoice.number
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=clash.pk).update(number=invoice.number)


def test_each_tenant_numbers_on_its_own(tenant: Tenant, other_tenant: Tenant) -> None:
    for current in (tenant, other_tenant, tenant):
        with tenant_scope(current):
            make_invoice(finalize=True)
    with tenant_scope(tenant):
        assert sorted(Invoice.objects.values_list("sequence", flat=True)) == [1, 2]
    with tenant_scope(other_tenant):
        assert list(Invoice.objects.values_list("sequence", flat=True)) == [1]


# --- void and uncollectible ---------------------------------------------------------------------


def test_void_an_open_invoice(in_tenant: Tenant) -> None:
    actor = writer()
    invoice = make_invoice(actor=actor, finalize=True)
    services.invoice_void(actor=actor, invoice=invoice, reason="Sent to the wrong client")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.balance_due) == (InvoiceStatus.VOID, 0)
    assert invoice.number == f"INV-{tenant_today().year}-00001"  # the number stays used: no gap
    assert invoice.events.filter(verb=EventVerb.VOIDED, data__reason="Sent to the wrong client").exists()
    with pytest.raises(ApplicationError, match="already void"):
        services.invoice_void(actor=actor, invoice=invoice)
    with pytest.raises(ApplicationError):
        services.payment_record(actor=actor, invoice=invoice, amount="1")


def test_void_is_refused_for_drafts_and_invoices_with_payments(in_tenant: Tenant) -> None:
    actor = writer()
    with pytest.raises(ApplicationError, match="deleted, not voided"):
        services.invoice_void(actor=actor, invoice=make_invoice(actor=actor))
    paid = make_invoice(actor=actor, finalize=True)
    services.payment_record(actor=actor, invoice=paid, amount="10")
    with pytest.raises(ApplicationError) as error:
        services.invoice_void(actor=actor, invoice=paid)
    assert error.value.code == "has_payments"


def test_uncollectible_then_paid(in_tenant: Tenant) -> None:
    actor = writer()
    invoice = make_invoice(actor=actor, finalize=True)
    with pytest.raises(ApplicationError):
        services.invoice_mark_uncollectible(actor=actor, invoice=make_invoice(actor=actor))
    services.invoice_mark_uncollectible(actor=actor, invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.UNCOLLECTIBLE
    services.payment_record(actor=actor, invoice=invoice, amount="40")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.UNCOLLECTIBLE  # partly recovered, still written off
    services.payment_record(actor=actor, invoice=invoice, amount="60")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert verbs(invoice)[-4:] == [
        EventVerb.MARKED_UNCOLLECTIBLE,
        EventVerb.PAYMENT_RECORDED,
        EventVerb.PAYMENT_RECORDED,
        EventVerb.PAID,
    ]


# --- payments -----------------------------------------------------------------------------------


def test_payments_derive_amount_paid_balance_and_status(in_tenant: Tenant) -> None:
    actor = writer()
    invoice = make_invoice(actor=actor, lines=[line(unit_price="100.00")], finalize=True)
    payment = services.payment_record(actor=actor, invoice=invoice, amount="30.00", reference="TRX-1")
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.balance_due, invoice.status) == (
        D("30.00"),
        D("70.00"),
        InvoiceStatus.PARTIALLY_PAID,
    )
    services.payment_record(actor=actor, invoice=invoice, amount="70", method="cash")
    invoice.refresh_from_db()
    assert (invoice.balance_due, invoice.status) == (0, InvoiceStatus.PAID)
    assert invoice.paid_at is not None
    with pytest.raises(ApplicationError):
        services.payment_record(actor=actor, invoice=invoice, amount="0.01")
    services.payment_delete(actor=actor, payment=payment)
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.balance_due, invoice.status) == (
        D("70.00"),
        D("30.00"),
        InvoiceStatus.PARTIALLY_PAID,
    )
    assert invoice.paid_at is None


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"amount": "100.01"}, "amount", "more than the balance due (€100.00)"),
        ({"amount": "abc"}, "amount", "not a number"),
        ({"amount": "1.001"}, "amount", "at most 2 decimals"),
        ({"amount": "0"}, "amount", "more than zero"),
        ({"amount": "10", "currency": "USD"}, "currency", "record the payment in EUR"),
        ({"amount": "10", "method": "barter"}, "method", "how it was paid"),
        ({"amount": "10", "paid_on": date.today() + timedelta(days=3)}, "paid_on", "future"),
    ],
)
def test_bad_payments_are_refused_and_change_nothing(
    in_tenant: Tenant, kwargs: dict, field: str, message: str
) -> None:
    actor = writer()
    invoice = make_invoice(actor=actor, finalize=True)
    version = Invoice.objects.get(pk=invoice.pk).content_version
    with pytest.raises(ApplicationError) as error:
        services.payment_record(actor=actor, invoice=invoice, **kwargs)
    assert error.value.field == field
    assert message in error.value.message
    assert not Payment.objects.exists()
    invoice.refresh_from_db()
    assert (invoice.status, invoice.balance_due, invoice.content_version) == (
        InvoiceStatus.OPEN,
        D(100),
        version,
    )


def test_payment_on_a_draft_is_refused(in_tenant: Tenant) -> None:
    with pytest.raises(ApplicationError, match="finalized, unpaid"):
        services.payment_record(actor=writer(), invoice=make_invoice(), amount="1")


def test_a_viewer_cannot_record_payments_or_finalize(in_tenant: Tenant) -> None:
    invoice = make_invoice(finalize=True)
    viewer = writer(Role.VIEWER)
    for call in (
        lambda: services.payment_record(actor=viewer, invoice=invoice, amount="1"),
        lambda: services.invoice_finalize(actor=viewer, invoice=make_invoice()),
        lambda: services.invoice_void(actor=viewer, invoice=invoice),
    ):
        with pytest.raises(ApplicationError) as error:
            call()
        assert error.value.code == "forbidden"


def test_another_tenants_invoice_is_not_found(tenant: Tenant, other_tenant: Tenant) -> None:
    with tenant_scope(other_tenant):
        foreign = make_invoice(finalize=True)
    with tenant_scope(tenant):
        actor = writer()
        for call in (
            lambda: services.payment_record(actor=actor, invoice=foreign.public_id, amount="1"),
            lambda: services.invoice_void(actor=actor, invoice=foreign),
            lambda: services.credit_note_create(actor=actor, invoice=foreign.public_id),
            lambda: services.invoice_duplicate(actor=actor, invoice=foreign.public_id),
        ):
            with pytest.raises(ApplicationError) as error:
                call()
            assert error.value.code == "not_found"
    with tenant_scope(other_tenant):
        foreign.refresh_from_db()
        assert (foreign.status, foreign.amount_paid) == (InvoiceStatus.OPEN, 0)


def test_processor_payments_are_recorded_once(in_tenant: Tenant) -> None:
    invoice = make_invoice(finalize=True)
    first = services.payment_record_external(
        invoice=invoice.public_id, amount="60.00", currency="eur", external_id="pi_123"
    )
    again = services.payment_record_external(
        invoice=invoice, amount="60.00", currency="EUR", external_id="pi_123"
    )
    assert again == first
    assert Payment.objects.count() == 1
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.status) == (D("60.00"), InvoiceStatus.PARTIALLY_PAID)
    # Money that arrived is recorded even above the balance; the balance stops at zero.
    services.payment_record_external(invoice=invoice, amount="50.00", currency="EUR", external_id="pi_456")
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.balance_due, invoice.status) == (D("110.00"), 0, InvoiceStatus.PAID)
    assert invoice.events.filter(verb=EventVerb.PAYMENT_RECORDED, actor=None).count() == 2


def test_processor_payments_are_refused_for_drafts_and_other_currencies(in_tenant: Tenant) -> None:
    with pytest.raises(ApplicationError) as error:
        services.payment_record_external(
            invoice=make_invoice(finalize=True), amount="1", currency="USD", external_id="pi_1"
        )
    assert error.value.field == "currency"
    with pytest.raises(ApplicationError):
        services.payment_record_external(
            invoice=make_invoice(), amount="1", currency="EUR", external_id="pi_2"
        )
    assert not Payment.objects.exists()


# --- credit notes -------------------------------------------------------------------------------


def test_credit_note_has_its_own_series_and_reduces_the_balance(in_tenant: Tenant) -> None:
    actor = writer()
    vat = TaxRateFactory(percentage=D(20))
    invoice = make_invoice(actor=actor, lines=[line(unit_price="100.00", tax_rates=[vat])], finalize=True)
    note = services.credit_note_create(
        actor=actor,
        invoice=invoice,
        lines=[line("Refund hours", unit_price="25.00", tax_rates=[vat])],
        reason="Late",
    )
    invoice.refresh_from_db()
    assert note.kind == InvoiceKind.CREDIT_NOTE
    assert note.number == f"CN-{tenant_today().year}-00001"
    assert note.credit_note_for == invoice
    assert note.total == D("30.00")
    assert (invoice.amount_credited, invoice.balance_due, invoice.status) == (D("30.00"), D("90.00"), "open")
    assert EventVerb.CREDITED in verbs(invoice)
    # The invoice series did not move.
    assert make_invoice(actor=actor, finalize=True).number.endswith("-00002")


def test_full_credit_settles_the_invoice_and_voiding_the_note_restores_it(in_tenant: Tenant) -> None:
    actor = writer()
    invoice = make_invoice(
        actor=actor, lines=[line(unit_price="80.00"), line(unit_price="20.00")], finalize=True
    )
    note = services.credit_note_create(actor=actor, invoice=invoice)
    invoice.refresh_from_db()
    assert note.total == invoice.total == D(100)
    assert (invoice.balance_due, invoice.status) == (0, InvoiceStatus.PAID)
    assert [li.description for li in note.lines.all()] == ["Consulting", "Consulting"]
    with pytest.raises(ApplicationError):
        services.credit_note_create(actor=actor, invoice=invoice, lines=[line(unit_price="0.01")])
    services.invoice_void(actor=actor, invoice=note)
    invoice.refresh_from_db()
    assert (invoice.amount_credited, invoice.balance_due, invoice.status) == (0, D(100), InvoiceStatus.OPEN)


@pytest.mark.parametrize(
    ("kwargs", "field", "code"),
    [
        ({"lines": [line(unit_price="100.01")]}, ("lines",), "exceeds_balance"),
        ({"lines": [line(unit_price="10.00")], "currency": "USD"}, ("currency",), "invalid"),
        ({"lines": []}, ("lines",), "no_lines"),
        ({"lines": [line(unit_price="1.234")]}, ("lines", 0, "unit_price"), "invalid"),
    ],
)
def test_bad_credit_notes_are_refused(in_tenant: Tenant, kwargs: dict, field: tuple, code: str) -> None:
    actor = writer()
    invoice = make_invoice(actor=actor, finalize=True)
    with pytest.raises(ApplicationError) as error:
        services.credit_note_create(actor=actor, invoice=invoice, **kwargs)
    assert (error.value.path, error.value.code) == (field, code)
    assert not Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).exists()
    assert not NumberCounter.objects.filter(series__kind=SeriesKind.CREDIT_NOTE, next_value__gt=1).exists()


def test_credit_note_cannot_credit_a_draft_or_a_credit_note(in_tenant: Tenant) -> None:
    actor = writer()
    with pytest.raises(ApplicationError):
        services.credit_note_create(actor=actor, invoice=make_invoice(actor=actor))
    note = services.credit_note_create(actor=actor, invoice=make_invoice(actor=actor, finalize=True))
    with pytest.raises(ApplicationError, match="cannot itself be credited"):
        services.credit_note_create(actor=actor, invoice=note)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    total=st.decimals(min_value=D("0.01"), max_value=D(5000), places=2),
    steps=st.lists(
        st.tuples(
            st.sampled_from(["pay", "credit"]), st.decimals(min_value=D("0.01"), max_value=D(6000), places=2)
        ),
        max_size=6,
    ),
)
def test_a_credit_note_never_takes_a_balance_below_zero(
    in_tenant: Tenant, total: Decimal, steps: list[tuple[str, Decimal]]
) -> None:
    actor = writer()
    invoice = make_invoice(actor=actor, lines=[line(unit_price=str(total))], finalize=True)
    for action, amount in steps:
        invoice.refresh_from_db()
        before = invoice.balance_due

        def act(action: str = action, amount: Decimal = amount) -> None:
            if action == "pay":
                services.payment_record(actor=actor, invoice=invoice, amount=amount)
            else:
                credit = [line(unit_price=str(amount))]
                services.credit_note_create(actor=actor, invoice=invoice, lines=credit)

        if amount > before:  # including a settled invoice (balance 0): always refused
            with pytest.raises(ApplicationError):
                act()
            continue
        act()
        invoice.refresh_from_db()
        assert invoice.balance_due == before - amount
    invoice.refresh_from_db()
    credited = sum(invoice.credit_notes.values_list("total", flat=True), D(0))
    paid = sum(invoice.payments.values_list("amount", flat=True), D(0))
    assert invoice.balance_due >= 0
    assert invoice.balance_due == invoice.total - paid - credited
    assert invoice.status == (InvoiceStatus.PAID if invoice.balance_due == 0 else invoice.status)


# --- duplicate ----------------------------------------------------------------------------------


def test_duplicate_makes_a_new_draft(in_tenant: Tenant) -> None:
    actor = writer()
    vat = TaxRateFactory()
    source = make_invoice(
        actor=actor,
        lines=[line("One", unit_price="10.00", tax_rates=[vat]), line("Two", unit_price="5.00")],
        issue_date=date(2025, 1, 10),
        notes="Net 30",
        finalize=True,
    )
    copy = services.invoice_duplicate(actor=actor, invoice=source.public_id)
    assert (copy.status, copy.number, copy.client_id) == (InvoiceStatus.DRAFT, None, source.client_id)
    assert copy.issue_date == tenant_today()
    assert copy.total == source.total
    assert [(li.description, [t.tax_rate for t in li.line_taxes.all()]) for li in copy.lines.all()] == [
        ("One", [vat]),
        ("Two", []),
    ]
    assert copy.notes == "Net 30"
    assert source.events.filter(verb=EventVerb.DUPLICATED, data__duplicate_id=copy.public_id).exists()
    assert copy.events.get().data == {"duplicated_from": source.number}


def test_line_data_from_a_mapping_ignores_unknown_keys(in_tenant: Tenant) -> None:
    invoice = make_invoice(lines=[LineData("x", "1", "1.00")])
    services.invoice_update_draft(
        actor=writer(),
        invoice=invoice,
        lines=[{"description": "y", "quantity": "2", "unit_price": "1.50", "DELETE": "", "id": "7"}],
    )
    assert Invoice.objects.get(pk=invoice.pk).total == D("3.00")


# --- the database guard (PostgreSQL) ------------------------------------------------------------


@pytest.mark.postgres
def test_the_database_refuses_edits_of_a_finalized_invoice(in_tenant: Tenant) -> None:
    invoice = make_invoice(finalize=True)
    for statement in (
        lambda: Invoice.objects.filter(pk=invoice.pk).update(total=D(1)),
        lambda: Invoice.objects.filter(pk=invoice.pk).update(status=InvoiceStatus.DRAFT),
        lambda: InvoiceLine.objects.filter(invoice=invoice).update(unit_price=D(1)),
        lambda: InvoiceLine.objects.create(
            invoice=invoice, position=9, description="late", quantity=1, unit_price=1, net_amount=1
        ),
    ):
        with pytest.raises(IntegrityError, match="is finalized"), transaction.atomic():
            statement()
    # Derived fields still move (payments, status).
    services.payment_record(actor=writer(), invoice=invoice, amount="1")
    assert connection.vendor == "postgresql"
