"""A line's own allowances and charges (BG-27/BG-28) edited in the invoice builder: added,
changed and removed under their line without JavaScript (plain posts) and with htmx, the live
totals following, saved through the services, bad input refused on its field with nothing
saved; and the row code they share with the document-level rows."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils.datastructures import MultiValueDict

from invoices import services
from invoices.tests.pages import Books, books_fixture, html, snapshot  # noqa: F401
from invoices.tests.test_builder_allowances import created, design, posted, rows, stored, workshop
from invoices.tests.test_views_builder import HTMX, form
from invoices.views.builder_line_allowances import (
    LineAllowanceRows,
    apply_line_allowance_op,
    grouped,
)
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db

# The keys `form` gives its lines: 10 → "a", 11 → "b".
FIRST, SECOND = "a", "b"


def line_rows(*items: dict) -> dict:
    """`lac-N-*` fields, as the page names them; each item names its line's key (the first's)."""
    return rows(*items, prefix="lac", line=FIRST, base_amount="")


# --- the rows' code ------------------------------------------------------------------------------


def test_rows_are_kept_under_their_lines_in_the_lines_order() -> None:
    rows = [
        {"line": SECOND, "n": 1},
        {"line": FIRST, "n": 2},
        {"line": "gone", "n": 3},
        {"line": SECOND, "n": 4},
    ]
    assert [row["n"] for row in grouped(rows, [FIRST, SECOND])] == [2, 1, 4]


def test_a_row_is_added_to_its_line_and_removed_by_its_index() -> None:
    rows = grouped(LineAllowanceRows(MultiValueDict(), []).rows, [])
    hints = apply_line_allowance_op(f"lac-add-{SECOND}", rows, [FIRST, SECOND])
    assert hints == {"lac_focus": 0}
    hints = apply_line_allowance_op(f"lac-add-{FIRST}", rows, [FIRST, SECOND])
    # Under the first line, so before the second line's row.
    assert hints == {"lac_focus": 0}
    assert [row["line"] for row in rows] == [FIRST, SECOND]
    assert apply_line_allowance_op("lac-add-ff", rows, [FIRST, SECOND]) == {}  # no such line
    assert apply_line_allowance_op("lac-remove-1", rows, [FIRST, SECOND]) == {"lac_focus_add": SECOND}
    assert [row["line"] for row in rows] == [FIRST]
    assert apply_line_allowance_op("add", rows, [FIRST]) is None


def test_the_rows_become_what_the_services_take_by_line() -> None:
    data = MultiValueDict(
        {
            name: [value]
            for name, value in line_rows(
                {"percentage": "10 %", "reason": "Loyal", "base_amount": "500.00"},
                {"line": SECOND, "kind": "charge", "amount": "5", "reason_code": "ABL", "base_amount": "9"},
                {"line": SECOND},  # blank: ignored
            ).items()
        }
    )
    rows = LineAllowanceRows(data, [FIRST, SECOND])
    assert rows.service_data() == {
        FIRST: [
            {
                "charge": False,
                "amount": None,
                "percentage": "10",
                "base_amount": "500.00",
                "reason": "Loyal",
                "reason_code": "",
            }
        ],
        # A base amount goes with a percentage only.
        SECOND: [
            {
                "charge": True,
                "amount": "5",
                "percentage": None,
                "base_amount": None,
                "reason": "",
                "reason_code": "ABL",
            }
        ],
    }
    data["lac-0-kind"] = "gift"
    tampered = LineAllowanceRows(data, [FIRST, SECOND])
    assert tampered.service_data() is None
    assert tampered.errors == {0: {"kind": ["Choose an allowance or a charge."]}}


# --- through the pages ---------------------------------------------------------------------------


def test_a_line_allowance_and_charge_are_saved_with_their_lines(
    owner_client: HttpClient, books: Books
) -> None:
    data = form(
        books,
        design(books),
        workshop(books),
        **line_rows(
            {"percentage": "10", "reason": "Loyal client", "reason_code": "100"},
            {"line": SECOND, "kind": "charge", "amount": "25", "reason_code": "ABL"},
        ),
        op="save",
    )
    with tenant_scope(books.tenant):
        invoice = created(owner_client.post(books.url("invoice_new"), data))
        assert stored(invoice) == [
            ("Product design", False, Decimal("195.00"), Decimal("10.00"), "Loyal client", "100", ()),
            ("Workshop", True, Decimal("25.00"), None, "", "ABL", ()),
        ]
        assert [line.net_amount for line in invoice.lines.all()] == [Decimal("1755.00"), Decimal("1225.00")]
        # 1755 + 20 % = 2106; 1225 + 5.5 % (67.375 → 67.38) = 1292.38.
        assert invoice.total == Decimal("3398.38")


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({"amount": "-5", "reason": "x"}, "amount", ""),
        ({"percentage": "101", "reason": "x"}, "percentage", "cannot exceed 100"),
        ({"amount": "5"}, "reason", "State the reason"),
        ({"amount": "5", "reason_code": "ZZ9"}, "reason_code", "UNTDID 5189"),
        ({"kind": "charge", "amount": "5", "reason_code": "95"}, "reason_code", "UNTDID 7161"),
        # The line is 3 x 650 = 1950.
        ({"amount": "2000", "reason": "Too much"}, "amount", "cannot exceed its amount"),
        ({"percentage": "60", "reason": "Half"}, "percentage", ""),  # with the next row
    ],
)
def test_a_bad_line_row_is_shown_beside_its_field_and_saves_nothing(
    owner_client: HttpClient, books: Books, row: dict, field: str, message: str
) -> None:
    before = snapshot(books.tenant)
    items = [row]
    if row.get("reason") == "Half":
        items.append({"percentage": "50", "reason": "And half again"})
        message = "cannot exceed its amount"
    data = form(books, design(books), **line_rows(*items), op="save")
    response = owner_client.post(books.url("invoice_edit", books.draft.public_id), data)
    assert response.status_code == 200
    page = html(response)
    index = len(items) - 1
    field = "percentage" if row.get("reason") == "Half" else field
    error = re.search(rf'id="id_lac-{index}-{field}-error">([^<]+)<', page)
    assert error, page[page.index('id="builder-lines"') :][:4000]
    assert message in error[1]
    assert "The draft was not saved" in page
    assert snapshot(books.tenant) == before


def test_a_row_on_a_blank_line_is_refused(owner_client: HttpClient, books: Books) -> None:
    before = snapshot(books.tenant)
    blank = {"description": "", "unit_price": ""}
    data = form(
        books, design(books), blank, **line_rows({"line": SECOND, "amount": "5", "reason": "x"}), op="save"
    )
    page = html(owner_client.post(books.url("invoice_edit", books.draft.public_id), data))
    assert re.search(r'id="id_lac-0-amount-error">Describe the line this applies to.<', page)
    assert snapshot(books.tenant) == before


def test_the_live_totals_follow_a_line_row(owner_client: HttpClient, books: Books) -> None:
    before = snapshot(books.tenant)
    response = owner_client.post(
        books.url("invoice_builder_totals"),
        form(books, design(books), **line_rows({"kind": "charge", "amount": "50", "reason_code": "ABL"})),
        **HTMX,
    )
    page = html(response)
    # 1950 + 50 = 2000, + 20 % = 2400; the line's amount and the row's follow, out of band.
    assert re.search(r'data-testid="total">€2,400.00<', page), page
    assert re.search(r'id="amount-a" data-testid="line-amount" hx-swap-oob="true">€2,000.00<', page)
    assert re.findall(r'id="lac-amount-0"[^>]*hx-swap-oob="true">([^<]+)<', page) == ["+€50.00"]
    bad = owner_client.post(
        books.url("invoice_builder_totals"),
        form(books, design(books), **line_rows({"percentage": "101", "reason": "x"})),
        **HTMX,
    )
    assert "Line 1: Allowance or charge 1: The percentage cannot exceed 100." in html(bad)
    excess = owner_client.post(
        books.url("invoice_builder_totals"),
        form(books, design(books), **line_rows({"amount": "1950.01", "reason": "x"})),
        **HTMX,
    )
    assert "Line 1: Allowance or charge 1: The allowances on a line cannot exceed its amount." in html(excess)
    assert snapshot(books.tenant) == before


def test_rows_are_added_and_removed_under_a_line_without_javascript(
    owner_client: HttpClient, books: Books
) -> None:
    before = snapshot(books.tenant)
    data = form(
        books, design(books), workshop(books), **line_rows({"line": SECOND, "amount": "5", "reason": "B"})
    )
    page = html(owner_client.post(books.url("invoice_new"), {**data, "op": f"lac-add-{FIRST}"}))
    # The new row is under the first line, before the second line's, and takes the focus.
    assert page.count('data-testid="line-allowance-row"') == 2
    assert 'name="lac-0-line" value="a"' in page
    assert 'name="lac-1-line" value="b"' in page
    assert re.search(r'id="id_lac-0-amount"[^>]* autofocus', page)
    assert page.index('id="line-a"') < page.index('name="lac-0-line"') < page.index('id="line-b"')
    assert page.index('id="line-b"') < page.index('name="lac-1-line"')
    removed = html(owner_client.post(books.url("invoice_new"), {**data, "op": "lac-remove-0"}))
    assert 'data-testid="line-allowance-row"' not in removed
    assert 'name="lac-TOTAL_FORMS" value="0"' in removed
    # A removed line's rows go with it; with htmx only the lines come back, with the totals.
    gone = html(owner_client.post(books.url("invoice_new"), {**data, "op": f"remove-{SECOND}"}, **HTMX))
    assert 'name="lac-TOTAL_FORMS" value="0"' in gone
    assert 'id="builder-lines"' in gone
    assert 'hx-swap-oob="true"' in gone
    assert snapshot(books.tenant) == before


def test_a_drafts_line_rows_are_edited_and_removed(
    owner_client: HttpClient, books: Books, owner_membership: object
) -> None:
    # Made through the services the API calls: a percentage of a base the API gave, and a charge.
    made = [
        {"percentage": "10", "base_amount": "500.00", "reason": "Loyal client"},
        {"charge": True, "amount": "5.00", "reason_code": "ABL"},
    ]
    design = {"description": "Design", "quantity": "10", "unit_price": "80.00", "allowances_charges": made}
    with tenant_scope(books.tenant):
        design["tax_rates"] = [books.vat.public_id]
        invoice = services.invoice_create_draft(actor=owner_membership, client=books.client, lines=[design])
    url = books.url("invoice_edit", invoice.public_id)
    page = html(owner_client.get(url))
    assert 'name="lac-0-percentage" id="id_lac-0-percentage" value="10"' in page
    assert 'name="lac-0-base_amount" value="500.00"' in page
    assert 'name="lac-1-reason_code" id="id_lac-1-reason_code" value="ABL"' in page
    # The percentage becomes 20 % (of the API's base); the charge is removed.
    without = html(owner_client.post(url, posted(page, op="lac-remove-1")))
    saved = owner_client.post(url, posted(without, **{"lac-0-percentage": "20", "op": "save"}))
    assert saved.status_code == 302, html(saved)
    with tenant_scope(books.tenant):
        assert stored(invoice) == [
            ("Design", False, Decimal("100.00"), Decimal("20.00"), "Loyal client", "", ())
        ]
        invoice.refresh_from_db()
        # 800 - 100 = 700, + 20 % = 840.
        assert invoice.total == Decimal("840.00")


def test_an_older_pages_json_is_still_saved(owner_client: HttpClient, books: Books) -> None:
    legacy = json.dumps({FIRST: [{"charge": True, "amount": "50.00", "reason_code": "ABL"}]})
    data = form(books, design(books), line_allowances=legacy, op="save")
    with tenant_scope(books.tenant):
        invoice = created(owner_client.post(books.url("invoice_new"), data))
        assert stored(invoice) == [("Product design", True, Decimal("50.00"), None, "", "ABL", ())]


def test_the_quote_builder_has_no_line_allowances(owner_client: HttpClient, books: Books) -> None:
    page = html(owner_client.get(reverse("quote_new", args=[books.tenant.slug])))
    assert 'data-testid="line"' in page
    assert "lac-" not in page
