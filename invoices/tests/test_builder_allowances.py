"""The invoice builder's allowances and charges (BG-20/BG-21), the lines' own (BG-27/BG-28)
kept through a save, the old invoice-wide discount shown and saved as allowance rows,
and a line's unit code (BT-130): through the test client, as the page posts them."""

from __future__ import annotations

import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.test import Client as HttpClient

from invoices import services
from invoices.models import AllowanceCharge, Invoice
from invoices.tests.factories import line, make_invoice
from invoices.tests.pages import Books, books_fixture, html, snapshot  # noqa: F401
from invoices.tests.test_views_builder import HTMX, form
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


def rows(*items: dict, prefix: str = "ac", **defaults: str) -> dict:
    """`ac-N-*` fields (or `<prefix>-N-*`, each row with `defaults`), as the page names them."""
    data: dict = {f"{prefix}-TOTAL_FORMS": str(len(items))}
    for index, item in enumerate(items):
        values = {
            "kind": "allowance",
            "amount": "",
            "percentage": "",
            "reason": "",
            "reason_code": "",
            **defaults,
            **item,
        }
        for name, value in values.items():
            data[f"{prefix}-{index}-{name}"] = value
    return data


def design(books: Books, **extra: object) -> dict:
    return {
        "description": "Product design",
        "quantity": "3",
        "unit_price": "650",
        "tax_rates": [books.vat.public_id],
        **extra,
    }


def workshop(books: Books) -> dict:
    return {
        "description": "Workshop",
        "quantity": "1",
        "unit_price": "1200.00",
        "tax_rates": [books.reduced.public_id],
    }


class _Form(HTMLParser):
    """What a browser posts of the builder's form: inputs, checked boxes, selected options."""

    def __init__(self) -> None:
        super().__init__()
        self.data: list[tuple[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.data.append((name, a.get("value") or ""))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.data.append((self._select, a.get("value") or ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.data.append((name, ""))

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.data[-1] = (self._textarea, self.data[-1][1] + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def posted(page: str, **extra: str) -> dict:
    """The builder page's form as its "Save draft" button posts it."""
    body = page[page.index('id="builder"') :]
    parser = _Form()
    parser.feed(body[: body.index("</form>")])
    data: dict = {}
    for name, value in parser.data:
        data.setdefault(name, []).append(value)
    data.update(extra)
    return data


def created(response: object) -> Invoice:
    """The draft a save made, from the builder's redirect to it."""
    assert response.status_code == 302, html(response)
    public_id = re.search(r"/invoices/([^/]+)/edit/", response["Location"])[1]
    return Invoice.objects.get(public_id=public_id)


def stored(invoice: Invoice) -> list[tuple]:
    return sorted(
        (
            row.line.description if row.line else "",
            row.charge,
            row.amount,
            row.percentage,
            row.reason,
            row.reason_code,
            tuple(sorted(tax.tax_rate.name for tax in row.taxes.all())),
        )
        for row in AllowanceCharge.objects.filter(invoice=invoice)
    )


# --- document-level rows -------------------------------------------------------------------------


def test_allowance_rows_are_saved_through_the_services(owner_client: HttpClient, books: Books) -> None:
    response = owner_client.post(
        books.url("invoice_new"),
        form(
            books,
            design(books),
            **rows(
                {"percentage": "10", "reason": "Loyal client"},
                {"kind": "charge", "amount": "25", "reason_code": "FC"},
                {},  # a blank row is ignored, like a blank line
            ),
            op="save",
        ),
    )
    with tenant_scope(books.tenant):
        invoice = created(response)
        # One rate on the lines: the rows fall under it without choosing.
        assert stored(invoice) == [
            ("", False, Decimal("195.00"), Decimal("10.00"), "Loyal client", "", ("VAT",)),
            ("", True, Decimal("25.00"), None, "", "FC", ("VAT",)),
        ]
        # 1950 - 195 + 25 = 1780, + 20 % = 2136.
        assert invoice.total == Decimal("2136.00")
        assert invoice.discount_value == 0


def test_with_several_rates_a_row_must_name_its_own(owner_client: HttpClient, books: Books) -> None:
    before = snapshot(books.tenant)
    response = owner_client.post(
        books.url("invoice_new"),
        form(books, design(books), workshop(books), **rows({"amount": "10", "reason": "Promo"}), op="save"),
    )
    assert response.status_code == 200
    assert "choose the ones this falls under" in html(response)
    assert snapshot(books.tenant) == before
    chosen = rows({"amount": "10", "reason": "Promo", "tax_rates": [books.reduced.public_id]})
    response = owner_client.post(
        books.url("invoice_new"), form(books, design(books), workshop(books), **chosen, op="save")
    )
    with tenant_scope(books.tenant):
        assert stored(created(response)) == [
            ("", False, Decimal("10.00"), None, "Promo", "", ("VAT reduced",))
        ]


def test_with_untaxed_lines_a_row_without_rates_falls_on_them(owner_client: HttpClient, books: Books) -> None:
    untaxed = {"description": "Travel", "quantity": "1", "unit_price": "100", "tax_rates": []}
    data = form(books, design(books), untaxed, **rows({"amount": "10", "reason": "Promo"}), op="save")
    response = owner_client.post(books.url("invoice_new"), data)
    with tenant_scope(books.tenant):
        invoice = created(response)
        assert stored(invoice) == [("", False, Decimal("10.00"), None, "Promo", "", ())]
        # 1950 at 20 % = 2340, + 100 - 10 untaxed = 2430.
        assert invoice.total == Decimal("2430.00")


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({"amount": "abc", "reason": "x"}, "amount", ""),
        ({"amount": "1.001", "reason": "x"}, "amount", "decimals"),
        ({"percentage": "-5", "reason": "x"}, "percentage", ""),
        ({"amount": "5", "percentage": "5", "reason": "x"}, "amount", "not both"),
        ({"amount": "5", "reason_code": "ZZ9"}, "reason_code", "UNTDID 5189"),
        ({"kind": "charge", "amount": "5", "reason_code": "95"}, "reason_code", "UNTDID 7161"),
        ({"amount": "5"}, "reason", "State the reason"),
    ],
)
def test_a_bad_row_is_shown_beside_its_field_and_saves_nothing(
    owner_client: HttpClient, books: Books, row: dict, field: str, message: str
) -> None:
    before = snapshot(books.tenant)
    response = owner_client.post(
        books.url("invoice_edit", books.draft.public_id), form(books, design(books), **rows(row), op="save")
    )
    assert response.status_code == 200
    page = html(response)
    error = re.search(rf'id="id_ac-0-{field}-error">([^<]+)<', page)
    assert error, page[page.index('id="builder-allowances"') :][:3000]
    assert message in error[1]
    assert 'aria-invalid="true"' in page
    assert "The draft was not saved" in page
    assert snapshot(books.tenant) == before


def test_a_viewer_cannot_post_allowances(viewer_client: HttpClient, books: Books) -> None:
    before = snapshot(books.tenant)
    data = form(books, design(books), **rows({"percentage": "10", "reason": "x"}), op="save")
    assert viewer_client.post(books.url("invoice_new"), data).status_code == 403
    assert viewer_client.post(books.url("invoice_edit", books.draft.public_id), data).status_code == 403
    assert viewer_client.post(books.url("invoice_builder_totals"), data).status_code == 403
    assert viewer_client.post(books.url("invoice_new"), {**data, "op": "ac-add"}).status_code == 403
    assert snapshot(books.tenant) == before


def test_the_live_totals_show_each_row_and_recompute(owner_client: HttpClient, books: Books) -> None:
    before = snapshot(books.tenant)
    plain = owner_client.post(books.url("invoice_builder_totals"), form(books, design(books)), **HTMX)
    assert re.search(r'data-testid="total">€2,340.00<', html(plain))
    response = owner_client.post(
        books.url("invoice_builder_totals"),
        form(
            books,
            design(books),
            **rows(
                {"percentage": "10", "reason": "Loyal client"},
                {"kind": "charge", "amount": "25", "reason_code": "FC"},
            ),
        ),
        **HTMX,
    )
    page = html(response)
    assert re.findall(r'data-testid="allowance-charge">([^<]+)<', page) == ["\u2212€195.00", "+€25.00"]
    assert "Loyal client" in page
    assert "Freight service" in page
    assert re.search(r'data-testid="total">€2,136.00<', page), page
    # Each row's own amount follows, out of band.
    assert re.findall(r'id="ac-amount-\d"[^>]*hx-swap-oob="true">([^<]+)<', page) == [
        "\u2212€195.00",
        "+€25.00",
    ]
    bad = owner_client.post(
        books.url("invoice_builder_totals"),
        form(books, design(books), **rows({"amount": "5", "reason_code": "ZZ9"})),
        **HTMX,
    )
    assert "Allowance or charge 1: ZZ9 is not a UNTDID 5189" in html(bad)
    assert snapshot(books.tenant) == before


def test_rows_are_added_and_removed_without_saving(owner_client: HttpClient, books: Books) -> None:
    before = snapshot(books.tenant)
    data = form(
        books, design(books), **rows({"percentage": "10", "reason": "A"}, {"amount": "5", "reason": "B"})
    )
    added = owner_client.post(books.url("invoice_new"), {**data, "op": "ac-add"}, **HTMX)
    page = html(added)
    assert page.count('data-testid="allowance-row"') == 3
    assert 'hx-swap-oob="true"' in page  # the totals come along
    removed = owner_client.post(books.url("invoice_new"), {**data, "op": "ac-remove-0"})
    page = html(removed)
    assert page.count('data-testid="allowance-row"') == 1
    assert 'value="B"' in page
    assert 'value="A"' not in page
    assert snapshot(books.tenant) == before


# --- what a builder save keeps -----------------------------------------------------------------


def test_a_builder_save_keeps_the_allowances_made_through_the_api(
    owner_client: HttpClient, books: Books, owner_membership: object
) -> None:
    with tenant_scope(books.tenant):
        # The services the API calls, with the API's shape.
        invoice = services.invoice_create_draft(
            actor=owner_membership,
            client=books.client,
            lines=[
                {
                    "description": "Design",
                    "quantity": "10",
                    "unit_price": "80.00",
                    "tax_rates": [books.vat.public_id],
                    "allowances_charges": [
                        {"percentage": "10", "reason": "Loyal client", "reason_code": "100"}
                    ],
                },
                {
                    "description": "Hosting",
                    "quantity": "1",
                    "unit_price": "50.00",
                    "tax_rates": [books.vat.public_id],
                    "allowances_charges": [{"charge": True, "amount": "5.00", "reason_code": "ABL"}],
                },
            ],
            allowances_charges=[
                {"charge": True, "amount": "20.00", "reason_code": "FC", "tax_rates": [books.vat.public_id]},
                {"amount": "8.00", "reason": "Early booking", "tax_rates": [books.vat.public_id]},
            ],
        )
        before, total = stored(invoice), invoice.total
    page = html(owner_client.get(books.url("invoice_edit", invoice.public_id)))
    assert page.count('data-testid="line-allowance-row"') == 2
    assert "Loyal client" in page
    # The lines move (Hosting first): each keeps its own.
    data = posted(page, op="save")
    saved = owner_client.post(books.url("invoice_edit", invoice.public_id), data)
    assert saved.status_code == 302, html(saved)
    moved = owner_client.post(
        books.url("invoice_edit", invoice.public_id), {**data, "op": f"up-{data['lines-1-key'][0]}"}
    )
    swapped = owner_client.post(books.url("invoice_edit", invoice.public_id), posted(html(moved), op="save"))
    assert swapped.status_code == 302
    with tenant_scope(books.tenant):
        invoice.refresh_from_db()
        assert stored(invoice) == before
        assert invoice.total == total
        assert [item.description for item in invoice.lines.all()] == ["Hosting", "Design"]


def test_unreadable_line_allowances_are_refused_and_save_nothing(
    owner_client: HttpClient, books: Books
) -> None:
    before = snapshot(books.tenant)
    for tampered in ("{not json", '["a list"]', '{"10": "not a list"}'):
        response = owner_client.post(
            books.url("invoice_edit", books.draft.public_id),
            form(books, design(books), line_allowances=tampered, op="save"),
        )
        assert response.status_code == 200
        assert html(response).count("could not be read") == 1
    assert snapshot(books.tenant) == before


def test_an_old_discount_is_shown_and_saved_as_allowance_rows(
    owner_client: HttpClient, books: Books, owner_membership: object
) -> None:
    with tenant_scope(books.tenant):
        percent = make_invoice(
            actor=owner_membership,
            client=books.client,
            lines=[line("Design", "3", "650.00", tax_rates=[books.vat])],
            discount_type="percent",
            discount_value="10",
        )
        amount = make_invoice(
            actor=owner_membership,
            client=books.client,
            lines=[
                line("Design", "3", "650.00", tax_rates=[books.vat]),
                line("Workshop", "1", "1200.00", tax_rates=[books.reduced]),
            ],
            discount_type="amount",
            discount_value="40",
        )
        totals = {invoice.pk: (invoice.total, invoice.discount_amount) for invoice in (percent, amount)}
    page = html(owner_client.get(books.url("invoice_edit", percent.public_id)))
    assert 'name="discount_value"' not in page
    assert 'name="ac-0-percentage" id="id_ac-0-percentage" value="10"' in page
    assert 'name="ac-0-reason_code" id="id_ac-0-reason_code" value="95"' in page
    assert (
        owner_client.post(books.url("invoice_edit", percent.public_id), posted(page, op="save")).status_code
        == 302
    )
    page = html(owner_client.get(books.url("invoice_edit", amount.public_id)))
    # Spread over the two rate groups as the old engine did (22.68 % / 13.95 % of 40 by amount).
    assert page.count('data-testid="allowance-row"') == 2
    assert (
        owner_client.post(books.url("invoice_edit", amount.public_id), posted(page, op="save")).status_code
        == 302
    )
    with tenant_scope(books.tenant):
        for invoice in (percent, amount):
            invoice.refresh_from_db()
            assert invoice.discount_value == 0
            assert (invoice.total, invoice.discount_amount) == totals[invoice.pk]
        assert stored(percent) == [("", False, Decimal("195.00"), Decimal("10.00"), "", "95", ("VAT",))]
        assert sum(row[2] for row in stored(amount)) == Decimal("40.00")


# --- unit codes ----------------------------------------------------------------------------------


def test_the_unit_code_is_offered_checked_and_stored(owner_client: HttpClient, books: Books) -> None:
    page = html(owner_client.get(books.url("invoice_new")))
    assert '<option value="HUR">hour</option>' in page
    assert 'list="unit-codes"' in page
    before = snapshot(books.tenant)
    bad = owner_client.post(books.url("invoice_new"), form(books, design(books, unit_code="ZZZ"), op="save"))
    assert bad.status_code == 200
    error = re.search(r'id="id_lines-0-unit_code-error"[^>]*>(.*?)</span>', html(bad))
    assert error
    assert "ZZZ is not a UN/ECE Recommendation 20 or 21 unit code" in error[1]
    assert snapshot(books.tenant) == before
    live = owner_client.post(
        books.url("invoice_builder_totals"), form(books, design(books, unit_code="ZZZ")), **HTMX
    )
    assert "Line 1: ZZZ is not a UN/ECE" in html(live)
    # A code of the full list, not only the common ones offered.
    good = owner_client.post(
        books.url("invoice_new"), form(books, design(books, unit="hours", unit_code="LH"), op="save")
    )
    with tenant_scope(books.tenant):
        saved = created(good).lines.get()
        assert (saved.unit, saved.unit_code) == ("hours", "LH")
