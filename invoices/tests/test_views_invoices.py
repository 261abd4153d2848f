"""Invoice list, detail, preview and the actions of the detail page, for every role."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client as HttpClient

from invoices import services
from invoices.models import Invoice, InvoiceKind, InvoiceStatus, Payment
from invoices.tests.factories import ClientFactory, line, make_invoice
from invoices.tests.pages import Books, books_fixture, html, snapshot  # noqa: F401
from tenants.models import Membership
from tenants.scoping import tenant_scope


def numbers(response: object) -> list[str]:
    """The documents listed, in order (drafts show as "Draft")."""
    table = html(response).split('data-testid="invoice-table"')[-1]
    return [
        label.strip()
        for label in re.findall(r'class="rowlink"[^>]*>(?:<span class="muted">)?([^<]+)<', table)
    ]


# --- list ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner_client", "member_client", "viewer_client"])
def test_members_see_the_list(request: pytest.FixtureRequest, books: Books, who: str) -> None:
    response = request.getfixturevalue(who).get(books.url("invoice_list"))
    assert response.status_code == 200
    assert numbers(response) == ["Draft", "INV-2026-00001"] or numbers(response) == [
        "INV-2026-00001",
        "Draft",
    ]
    assert ("+ New invoice" in html(response)) is (who != "viewer_client")


def test_an_outsider_gets_404_from_the_list(outsider_client: HttpClient, books: Books) -> None:
    response = outsider_client.get(books.url("invoice_list"))
    assert response.status_code == 404
    assert "Northwind" not in html(response)


@pytest.fixture
def many(books: Books, owner_membership: Membership) -> Books:
    """Invoices across clients, dates and statuses (the "today" of overdue is the real today)."""
    with tenant_scope(books.tenant):
        other = ClientFactory(name="Globetrotter Ltd", currency="USD", payment_terms_days=10)
        long_ago = date.today() - timedelta(days=90)
        late = make_invoice(
            actor=owner_membership,
            client=other,
            issue_date=long_ago,
            lines=[line(unit_price="70.00")],
            finalize=True,
        )
        paid = make_invoice(
            actor=owner_membership,
            client=other,
            issue_date=long_ago,
            lines=[line(unit_price="900.00")],
            finalize=True,
        )
        services.payment_record(actor=owner_membership, invoice=paid, amount="900.00")
        voided = services.invoice_void(
            actor=owner_membership,
            invoice=make_invoice(actor=owner_membership, client=books.client, finalize=True),
            reason="typo",
        )
    books.late, books.paid, books.voided, books.other = late, paid, voided, other
    return books


def test_filter_by_status_overdue_client_and_dates(owner_client: HttpClient, many: Books) -> None:
    url = many.url("invoice_list")
    assert numbers(owner_client.get(url + "?status=overdue")) == [many.late.number]
    assert numbers(owner_client.get(url + "?status=paid")) == [many.paid.number]
    assert numbers(owner_client.get(url + "?status=void")) == [many.voided.number]
    assert numbers(owner_client.get(url + "?status=draft")) == ["Draft"]
    by_client = owner_client.get(url + f"?client={many.other.public_id}&sort=number")
    assert numbers(by_client) == sorted([many.late.number, many.paid.number])
    assert "Globetrotter Ltd" in html(by_client)  # the client filter says which client
    since = (date.today() - timedelta(days=10)).isoformat()
    assert many.late.number not in numbers(owner_client.get(url + f"?date_from={since}"))
    until = (date.today() - timedelta(days=80)).isoformat()
    assert sorted(numbers(owner_client.get(url + f"?date_to={until}"))) == sorted(
        [many.late.number, many.paid.number]
    )


def test_search_by_number_or_client_and_sort(owner_client: HttpClient, many: Books) -> None:
    url = many.url("invoice_list")
    assert numbers(owner_client.get(url + f"?q={many.late.number}")) == [many.late.number]
    assert set(numbers(owner_client.get(url + "?q=globetrot"))) == {many.late.number, many.paid.number}
    by_total = numbers(owner_client.get(url + "?sort=-total"))
    assert by_total[0] == many.paid.number  # 900 + nothing: the largest
    ascending = [number for number in numbers(owner_client.get(url + "?sort=number")) if number != "Draft"]
    assert ascending == ["INV-2026-00001", "INV-2026-00002", "INV-2026-00003", "INV-2026-00004"]
    descending = [number for number in numbers(owner_client.get(url + "?sort=-number")) if number != "Draft"]
    assert descending == ascending[::-1]


def test_bad_filters_are_reported_not_crashing(owner_client: HttpClient, many: Books) -> None:
    response = owner_client.get(many.url("invoice_list") + "?date_from=2026-02-30&status=nope&sort=evil")
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"date_from", "status", "sort"}
    reversed_range = owner_client.get(many.url("invoice_list") + "?date_from=2026-05-01&date_to=2026-01-01")
    assert "The end date is before the start date." in html(reversed_range)


def test_pagination_keeps_the_filters(
    owner_client: HttpClient, books: Books, owner_membership: Membership
) -> None:
    with tenant_scope(books.tenant):
        for _ in range(27):
            make_invoice(actor=owner_membership, client=books.client)
    first = owner_client.get(books.url("invoice_list") + "?status=draft")
    assert len(numbers(first)) == 25
    assert 'href="?status=draft&amp;page=2"' in html(first)
    second = owner_client.get(books.url("invoice_list") + "?status=draft&page=2")
    assert len(numbers(second)) == 3  # 28 drafts
    assert owner_client.get(books.url("invoice_list") + "?page=999").status_code == 200


def _make_many(tenant: object, actor: Membership, count: int) -> None:
    with tenant_scope(tenant):
        clients = [ClientFactory() for _ in range(3)]
        for index in range(count):
            invoice = make_invoice(actor=actor, client=clients[index % 3], finalize=index % 2 == 0)
            if index % 4 == 0:
                services.payment_record(actor=actor, invoice=invoice, amount="10.00")


@pytest.mark.parametrize(
    "query", ["", "?status=overdue", "?q=INV&sort=-total", "?client=cli_x&date_from=2026-01-01"]
)
def test_the_list_takes_the_same_number_of_queries_for_5_and_50_invoices(
    owner_client: HttpClient,
    tenant: object,
    owner_membership: Membership,
    django_assert_max_num_queries,
    query: str,
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = f"/t/{tenant.slug}/invoices/{query}"
    _make_many(tenant, owner_membership, 5)
    with CaptureQueriesContext(connection) as small:
        assert owner_client.get(url).status_code == 200
    _make_many(tenant, owner_membership, 45)
    with django_assert_max_num_queries(len(small)):
        assert owner_client.get(url).status_code == 200


# --- detail and preview ------------------------------------------------------------------------


def test_the_detail_page_shows_totals_taxes_payments_and_the_timeline(
    owner_client: HttpClient, books: Books, owner_membership: Membership
) -> None:
    with tenant_scope(books.tenant):
        services.payment_record(
            actor=owner_membership, invoice=books.open, amount="100.00", reference="WIRE-1"
        )
    page = html(owner_client.get(books.url("invoice_detail", books.open.public_id)))
    assert 'data-testid="invoice-number">INV-2026-00001<' in page
    assert 'data-status="partially_paid"' in page
    assert 'data-testid="balance-due">€500.00<' in page  # 600 - 100
    assert "VAT <span" in page  # the tax breakdown lists the rate
    assert "WIRE-1" in page
    timeline = page.split('data-testid="timeline"')[1]
    assert timeline.index("recorded a payment of €100.00") < timeline.index("finalized as INV-2026-00001")
    assert "owner@acme.test" in timeline or owner_membership.user.get_full_name() in timeline
    # Countries by name in the page's language, as on the PDF (the codes are FR for both parties).
    summary = page.split('data-testid="document"')[1]
    assert "<p>France</p>" in summary
    assert "<p>FR</p>" not in summary


def test_overdue_is_derived_on_the_page(owner_client: HttpClient, many: Books) -> None:
    page = html(owner_client.get(many.url("invoice_detail", many.late.public_id)))
    assert 'data-status="overdue"' in page
    with tenant_scope(many.tenant):
        assert Invoice.objects.get(pk=many.late.pk).status == InvoiceStatus.OPEN


def test_a_viewer_sees_the_invoice_without_any_control(viewer_client: HttpClient, books: Books) -> None:
    for invoice in (books.draft, books.open):
        page = html(viewer_client.get(books.url("invoice_detail", invoice.public_id)))
        assert 'data-testid="document"' in page
        for control in (
            "Record a payment",
            "Edit",
            "Finalize",
            "Duplicate",
            "Void",
            "Delete draft",
            "credit note",
        ):
            assert f">{control}" not in page, control
        for action in (
            "payments",
            "void",
            "uncollectible",
            "credit-note",
            "duplicate",
            "delete",
            "edit",
            "finalize",
        ):
            assert f"/{invoice.public_id}/{action}/" not in page, action


def test_preview_and_print_opens_the_pdfs_own_html(
    owner_client: HttpClient, viewer_client: HttpClient, books: Books
) -> None:
    preview_url = books.url("document_preview", books.open.public_id)
    for client in (owner_client, viewer_client):
        detail = html(client.get(books.url("invoice_detail", books.open.public_id)))
        assert f'href="{preview_url}" data-testid="preview">Preview & print<' in detail
        # The old address still works: it sends to the one preview.
        old = client.get(books.url("invoice_preview", books.open.public_id))
        assert old.status_code == 302
        assert old.url == preview_url
        page = html(client.get(preview_url))
        assert page.startswith("<!DOCTYPE html>")
        assert "css/invoice-pdf.css" in page
        assert "css/invoice-document.css" not in page
        assert '<p class="doc-number">INV-2026-00001</p>' in page
        assert '<td class="gv">€600.00</td>' in page
        assert "Northwind Traders" in page


@pytest.mark.parametrize("name", ["invoice_detail", "invoice_preview", "invoice_finalize", "invoice_edit"])
def test_an_outsider_gets_404_for_an_invoice(outsider_client: HttpClient, books: Books, name: str) -> None:
    response = outsider_client.get(books.url(name, books.draft.public_id))
    assert response.status_code == 404
    assert "Northwind" not in html(response)


def test_an_unknown_invoice_is_404(owner_client: HttpClient, books: Books) -> None:
    assert owner_client.get(books.url("invoice_detail", "in_nope")).status_code == 404


# --- actions ---------------------------------------------------------------------------------

ACTIONS = {
    "invoice_void": {"reason": "typo"},
    "invoice_mark_uncollectible": {"reason": "gone"},
    "invoice_record_payment": {"amount": "10.00", "method": "bank_transfer"},
    "invoice_credit_note": {"mode": "full"},
    "invoice_duplicate": {},
    "invoice_delete": {},
    "invoice_finalize": {},
}


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_a_viewer_gets_403_on_every_action_and_nothing_changes(
    viewer_client: HttpClient, books: Books, name: str
) -> None:
    before = snapshot(books.tenant)
    for invoice in (books.draft, books.open):
        response = viewer_client.post(books.url(name, invoice.public_id), ACTIONS[name])
        assert response.status_code == 403
    assert snapshot(books.tenant) == before


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_an_outsider_gets_404_on_every_action_and_nothing_changes(
    outsider_client: HttpClient, books: Books, name: str
) -> None:
    before = snapshot(books.tenant)
    for invoice in (books.draft, books.open):
        assert outsider_client.post(books.url(name, invoice.public_id), ACTIONS[name]).status_code == 404
    assert snapshot(books.tenant) == before


def test_actions_are_post_only(owner_client: HttpClient, books: Books) -> None:
    for name in sorted(ACTIONS):
        if name != "invoice_finalize":
            assert owner_client.get(books.url(name, books.open.public_id)).status_code == 405, name


def test_record_a_payment(member_client: HttpClient, books: Books) -> None:
    url = books.url("invoice_record_payment", books.open.public_id)
    response = member_client.post(url, {"amount": "600.00", "method": "cheque", "reference": "CHQ 1"})
    assert response.url == books.url("invoice_detail", books.open.public_id)
    with tenant_scope(books.tenant):
        invoice = Invoice.objects.get(pk=books.open.pk)
        assert invoice.status == InvoiceStatus.PAID
        assert invoice.payments.get().reference == "CHQ 1"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amount": "600.01", "method": "cash"}, "more than the balance due"),
        ({"amount": "1.001", "method": "cash"}, "at most 2 decimals"),
        ({"amount": "abc", "method": "cash"}, "is not a number"),
        ({"amount": "10", "method": "cash", "paid_on": "2999-01-01"}, "cannot be dated in the future"),
        ({"amount": "10", "method": "barter"}, "Select a valid choice"),
    ],
)
def test_a_bad_payment_shows_its_field_error_and_records_nothing(
    owner_client: HttpClient, books: Books, data: dict, message: str
) -> None:
    before = snapshot(books.tenant)
    response = owner_client.post(books.url("invoice_record_payment", books.open.public_id), data)
    assert response.status_code == 200
    assert message in html(response)
    assert "The payment was not recorded" in html(response)
    assert snapshot(books.tenant) == before


def test_void_and_the_refusal_messages(owner_client: HttpClient, books: Books) -> None:
    response = owner_client.post(books.url("invoice_void", books.draft.public_id), follow=True)
    assert "A draft is deleted, not voided." in html(response)
    response = owner_client.post(
        books.url("invoice_void", books.open.public_id), {"reason": "wrong client"}, follow=True
    )
    assert "INV-2026-00001 is void." in html(response)
    assert "wrong client" in html(response)  # on the timeline
    with tenant_scope(books.tenant):
        assert Invoice.objects.get(pk=books.open.pk).status == InvoiceStatus.VOID
    again = owner_client.post(books.url("invoice_void", books.open.public_id), follow=True)
    assert "INV-2026-00001 is already void." in html(again)


def test_mark_uncollectible(owner_client: HttpClient, books: Books) -> None:
    owner_client.post(books.url("invoice_mark_uncollectible", books.open.public_id), {"reason": "bankrupt"})
    with tenant_scope(books.tenant):
        assert Invoice.objects.get(pk=books.open.pk).status == InvoiceStatus.UNCOLLECTIBLE
    page = html(owner_client.get(books.url("invoice_detail", books.open.public_id)))
    assert "marked uncollectible (bankrupt)" in page


def test_credit_notes_full_and_partial(owner_client: HttpClient, books: Books) -> None:
    url = books.url("invoice_credit_note", books.open.public_id)
    partial = owner_client.post(
        url,
        {
            "mode": "partial",
            "description": "Late delivery",
            "amount": "100.00",
            "tax_rates": [books.vat.public_id],
        },
    )
    with tenant_scope(books.tenant):
        note = Invoice.objects.get(kind=InvoiceKind.CREDIT_NOTE)
        assert partial.url == books.url("invoice_detail", note.public_id)
        assert (note.number, note.total) == ("CN-2026-00001", Decimal("120.00"))
        assert Invoice.objects.get(pk=books.open.pk).balance_due == Decimal("480.00")
    too_much = owner_client.post(url, {"mode": "full"})
    assert "exceeds what is still due" in html(too_much)
    missing = owner_client.post(url, {"mode": "partial", "description": "", "amount": ""})
    assert "Describe what is credited." in html(missing)
    assert "Enter the amount to credit." in html(missing)
    with tenant_scope(books.tenant):
        assert Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).count() == 1


def test_duplicate_opens_the_copy_in_the_builder(member_client: HttpClient, books: Books) -> None:
    response = member_client.post(books.url("invoice_duplicate", books.open.public_id))
    with tenant_scope(books.tenant):
        copy = Invoice.objects.exclude(pk__in=[books.draft.pk, books.open.pk]).get()
        assert copy.status == InvoiceStatus.DRAFT
        assert copy.total == books.open.total
    assert response.url == books.url("invoice_edit", copy.public_id)


def test_delete_a_draft_but_never_a_finalized_invoice(owner_client: HttpClient, books: Books) -> None:
    refused = owner_client.post(books.url("invoice_delete", books.open.public_id), follow=True)
    assert "is finalized and cannot be edited" in html(refused)
    deleted = owner_client.post(books.url("invoice_delete", books.draft.public_id))
    assert deleted.url == books.url("invoice_list")
    with tenant_scope(books.tenant):
        assert list(Invoice.objects.values_list("pk", flat=True)) == [books.open.pk]
        assert Payment.objects.count() == 0


def test_finalize_from_the_detail_page_refuses_twice(owner_client: HttpClient, books: Books) -> None:
    url = books.url("invoice_finalize", books.draft.public_id)
    assert owner_client.post(url).url == books.url("invoice_detail", books.draft.public_id)
    again = owner_client.post(url, follow=True)
    assert "is already finalized" in html(again)
    with tenant_scope(books.tenant):
        assert Invoice.objects.get(pk=books.draft.pk).number == "INV-2026-00002"


def test_the_count_stops_at_the_cap(
    owner_client: HttpClient, books: Books, owner_membership: Membership, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 100,000 invoices an exact count costs more than the page: it is capped."""
    from invoices.views._helpers import CappedPaginator

    monkeypatch.setattr(CappedPaginator, "cap", 30)
    with tenant_scope(books.tenant):
        for _ in range(30):
            make_invoice(actor=owner_membership, client=books.client)
    page = html(owner_client.get(books.url("invoice_list")))
    assert "More than 30 documents" in page
    assert "Page 1 of 2+" in page
    assert "1 document · " in html(owner_client.get(books.url("invoice_list") + "?status=open&q=INV"))


def _ready_pdfs(tenant: object) -> None:
    from documents.models import DocumentStatus, InvoiceDocument

    with tenant_scope(tenant):
        for invoice in Invoice.objects.exclude(number="").filter(documents__isnull=True):
            InvoiceDocument.objects.create(
                invoice=invoice,
                content_version=invoice.content_version,
                status=DocumentStatus.READY,
                storage_key=f"test/{invoice.public_id}.pdf",
            )


def test_the_list_with_ready_pdfs_takes_the_same_number_of_queries_for_5_and_50_invoices(
    owner_client: HttpClient, tenant: object, owner_membership: Membership, django_assert_max_num_queries
) -> None:
    """Whether each row's ready PDF is still of the kind its Factur-X setting asks for reads the
    invoice's workspace: never one query a row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = f"/t/{tenant.slug}/invoices/"
    _make_many(tenant, owner_membership, 5)
    _ready_pdfs(tenant)
    with CaptureQueriesContext(connection) as small:
        assert owner_client.get(url).status_code == 200
    _make_many(tenant, owner_membership, 45)
    _ready_pdfs(tenant)
    with django_assert_max_num_queries(len(small)):
        assert owner_client.get(url).status_code == 200
