"""The invoice builder through the test client: the same posts a browser makes, with and
without htmx."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client as HttpClient

from invoices.models import Client, Invoice, InvoiceStatus
from invoices.tests.pages import Books, books_fixture, html, snapshot  # noqa: F401
from tenants.scoping import tenant_scope

HTMX = {"HTTP_HX_REQUEST": "true"}


def form(books: Books, *lines: dict, **header: str) -> dict:
    """The builder's post: header fields and `lines-N-*` fields, as the page names them."""
    data = {
        "client": books.client.public_id,
        "currency": "",
        "issue_date": "2026-03-01",
        "due_date": "",
        "discount_type": "amount",
        "discount_value": "",
        "notes": "",
        "terms": "",
        "buyer_reference": "",
        "lines-TOTAL_FORMS": str(len(lines)),
        **header,
    }
    for index, line in enumerate(lines):
        values = {"key": f"{index + 10:x}", "quantity": "1", "unit_price": "", "description": "", **line}
        for name, value in values.items():
            data[f"lines-{index}-{name}"] = value
    return data


def three_lines(books: Books) -> list[dict]:
    return [
        {
            "description": "Product design",
            "quantity": "3",
            "unit_price": "650",
            "tax_rates": [books.vat.public_id],
        },
        {
            "description": "Brand workshop",
            "quantity": "1",
            "unit_price": "1200.00",
            "tax_rates": [books.reduced.public_id],
        },
        {
            "description": "Hosting",
            "quantity": "2",
            "unit_price": "149.50",
            "discount": "9",
            "tax_rates": [books.vat.public_id, books.reduced.public_id],
        },
    ]


def line_values(response: object, field: str) -> list[str]:
    pattern = (
        rf'name="lines-\d+-{field}"[^>]*value="([^"]*)"'
        if field != "description"
        else (r'name="lines-\d+-description"[^>]*>([^<]*)</textarea>')
    )
    return re.findall(pattern, html(response))


# --- access ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner_client", "member_client"])
def test_writers_open_the_builder(request: pytest.FixtureRequest, books: Books, who: str) -> None:
    client: HttpClient = request.getfixturevalue(who)
    response = client.get(books.url("invoice_new"))
    assert response.status_code == 200
    assert 'data-testid="builder"' in html(response)
    edit = client.get(books.url("invoice_edit", books.draft.public_id))
    assert edit.status_code == 200
    assert "Design" in html(edit)


def test_a_viewer_is_refused_every_builder_endpoint(viewer_client: HttpClient, books: Books) -> None:
    before = snapshot(books.tenant)
    assert viewer_client.get(books.url("invoice_new")).status_code == 403
    assert viewer_client.get(books.url("invoice_edit", books.draft.public_id)).status_code == 403
    assert viewer_client.post(books.url("invoice_new"), form(books, *three_lines(books))).status_code == 403
    assert (
        viewer_client.post(books.url("invoice_edit", books.draft.public_id), form(books, *three_lines(books)))
    ).status_code == 403
    assert viewer_client.post(books.url("invoice_builder_totals"), form(books)).status_code == 403
    assert viewer_client.get(books.url("invoice_builder_client_search")).status_code == 403
    assert viewer_client.get(books.url("invoice_builder_client_pick")).status_code == 403
    created = viewer_client.post(
        books.url("invoice_builder_client_create"),
        {"new_client_name": "X", "new_client_email": "x@example.com", "new_client_currency": "EUR"},
    )
    assert created.status_code == 403
    assert snapshot(books.tenant) == before


def test_an_outsider_gets_404_from_every_builder_endpoint(outsider_client: HttpClient, books: Books) -> None:
    before = snapshot(books.tenant)
    for url in (
        books.url("invoice_new"),
        books.url("invoice_edit", books.draft.public_id),
        books.url("invoice_builder_totals"),
        books.url("invoice_builder_client_search"),
        books.url("invoice_builder_client_pick") + f"?client={books.client.public_id}",
        books.url("invoice_builder_client_create"),
    ):
        assert outsider_client.get(url).status_code == 404, url
        assert outsider_client.post(url, form(books, *three_lines(books))).status_code == 404, url
    assert snapshot(books.tenant) == before


def test_an_outsider_cannot_use_another_tenants_ids_in_their_own_builder(
    outsider_client: HttpClient, outsider_membership: object, books: Books
) -> None:
    """Their own workspace, the victim's client and rates: refused as unknown, nothing saved."""
    own = f"/t/{outsider_membership.tenant.slug}/invoices/"
    before = snapshot(books.tenant)
    response = outsider_client.post(own + "new/", form(books, *three_lines(books), op="save"))
    assert response.status_code == 200
    # The victim's rates are not among the choices, and its client is unknown here.
    assert "Select a valid choice" in html(response)
    assert "Northwind" not in html(response)
    only_client = outsider_client.post(own + "new/", form(books, {"description": "X", "unit_price": "1"}))
    assert only_client.context["builder"].header.errors["client"] == ["No such client."]
    assert (
        outsider_client.get(own + f"builder/clients/pick/?client={books.client.public_id}").status_code == 404
    )
    assert outsider_client.get(own + f"{books.draft.public_id}/edit/").status_code == 404
    search = outsider_client.get(own + "builder/clients/?client_q=North")
    assert "Northwind" not in html(search)
    assert snapshot(books.tenant) == before


# --- the round trip ------------------------------------------------------------------------


def test_build_save_edit_and_finalize_an_invoice_with_three_lines_and_two_rates(
    owner_client: HttpClient, books: Books
) -> None:
    response = owner_client.post(
        books.url("invoice_new"), form(books, *three_lines(books), buyer_reference="PO-77", op="save")
    )
    assert response.status_code == 302
    with tenant_scope(books.tenant):
        invoice = Invoice.objects.exclude(pk__in=[books.draft.pk, books.open.pk]).get()
        assert response.url == books.url("invoice_edit", invoice.public_id)
        assert invoice.status == InvoiceStatus.DRAFT
        assert invoice.number is None
        # 1950 + 1200 + 290 = 3440; 20 % on 2240 = 448; 5.5 % on 1490 = 81.95
        assert (invoice.subtotal, invoice.tax_total, invoice.total) == (
            Decimal("3440.00"),
            Decimal("529.95"),
            Decimal("3969.95"),
        )
        assert [line.description for line in invoice.lines.all()] == [
            "Product design",
            "Brand workshop",
            "Hosting",
        ]
        assert invoice.buyer_reference == "PO-77"
        assert invoice.due_date.isoformat() == "2026-03-31"  # the client's 30 days

    # The edit page shows what was saved, in order; saving a reordered form reorders the lines.
    edit = owner_client.get(books.url("invoice_edit", invoice.public_id))
    assert line_values(edit, "description") == ["Product design", "Brand workshop", "Hosting"]
    lines = three_lines(books)
    response = owner_client.post(
        books.url("invoice_edit", invoice.public_id), form(books, lines[2], lines[0], lines[1], op="save")
    )
    assert response.status_code == 302
    with tenant_scope(books.tenant):
        invoice.refresh_from_db()
        assert [line.description for line in invoice.lines.all()] == [
            "Hosting",
            "Product design",
            "Brand workshop",
        ]
        assert invoice.total == Decimal("3969.95")  # reordering changes no total

    # Review & finalize saves, then asks for confirmation with the number it will get.
    review = owner_client.post(
        books.url("invoice_edit", invoice.public_id), form(books, *lines, op="finalize")
    )
    assert review.url == books.url("invoice_finalize", invoice.public_id)
    confirm = owner_client.get(review.url)
    assert "Finalize as INV-2026-00002" in html(confirm)
    done = owner_client.post(review.url)
    assert done.url == books.url("invoice_detail", invoice.public_id)
    page = owner_client.get(done.url)
    assert "INV-2026-00002" in html(page)
    assert "Invoice INV-2026-00002 finalized." in html(page)
    with tenant_scope(books.tenant):
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.OPEN
        assert invoice.number == "INV-2026-00002"
    # A finalized invoice's builder is closed.
    assert owner_client.get(books.url("invoice_edit", invoice.public_id)).url == done.url
    refused = owner_client.post(books.url("invoice_edit", invoice.public_id), form(books, *lines, op="save"))
    assert refused.status_code == 302
    with tenant_scope(books.tenant):
        assert Invoice.objects.get(pk=invoice.pk).lines.count() == 3


def test_preview_saves_then_shows_the_printable_document(owner_client: HttpClient, books: Books) -> None:
    response = owner_client.post(books.url("invoice_new"), form(books, *three_lines(books), op="preview"))
    with tenant_scope(books.tenant):
        invoice = Invoice.objects.exclude(pk__in=[books.draft.pk, books.open.pk]).get()
    # The PDF's own HTML (document_preview), not a separate rendering.
    assert response.url == books.url("document_preview", invoice.public_id)
    preview = html(owner_client.get(response.url))
    assert '<table class="lines">' in preview
    assert "Draft — not yet numbered" in preview
    assert '<td class="gv">€3,969.95</td>' in preview
    assert 'data-testid="preview-toolbar"' in preview


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"unit_price": "12.3456789"}, "lines-1-unit_price", "at most 6 decimals"),
        ({"unit_price": "abc"}, "lines-1-unit_price", "is not a number"),
        ({"quantity": "1234567890"}, "lines-1-quantity", "too many digits"),
        ({"discount": "5000"}, "lines-1-discount", "cannot exceed the line amount"),
        ({"description": "", "unit_price": "10"}, "lines-1-description", "Describe what this line is for"),
        ({"tax_rates": ["tax_doesnotexist"]}, "lines-1-tax_rates", "Select a valid choice"),
    ],
)
def test_bad_line_input_is_shown_beside_its_field_and_saves_nothing(
    owner_client: HttpClient, books: Books, change: dict, field: str, message: str
) -> None:
    lines = three_lines(books)
    lines[1].update(change)
    before = snapshot(books.tenant)
    response = owner_client.post(books.url("invoice_new"), form(books, *lines, op="save"))
    assert response.status_code == 200
    page = html(response)
    error = re.search(
        rf'id="id_{field}-error"[^>]*>([^<]+)<|{field}.*?class="error"[^>]*>([^<]+)<', page, re.S
    )
    assert error, page
    assert message in (error[1] or error[2])
    assert "The draft was not saved" in page
    assert snapshot(books.tenant) == before


@pytest.mark.parametrize(
    ("header", "field", "message"),
    [
        ({"client": ""}, "client", "Choose the client to bill"),
        ({"discount_value": "99999"}, "discount_value", "cannot exceed the subtotal"),
        ({"discount_value": "1.001"}, "discount_value", "at most 2 decimals"),
        ({"due_date": "2026-01-01"}, "due_date", "cannot be before the issue date"),
        ({"currency": "XXQ"}, "currency", "Select a valid choice"),
    ],
)
def test_bad_header_input_is_shown_beside_its_field_and_saves_nothing(
    owner_client: HttpClient, books: Books, header: dict, field: str, message: str
) -> None:
    before = snapshot(books.tenant)
    response = owner_client.post(
        books.url("invoice_new"), form(books, *three_lines(books), **header, op="save")
    )
    assert response.status_code == 200
    errors = response.context["builder"].header.errors
    assert message in " ".join(errors.get(field, [])), errors
    assert snapshot(books.tenant) == before


def test_a_client_of_another_tenant_is_unknown(
    owner_client: HttpClient, books: Books, other_tenant: object
) -> None:
    from invoices.tests.factories import ClientFactory

    with tenant_scope(other_tenant):
        foreign = ClientFactory(name="Globex client")
    before = snapshot(books.tenant)
    response = owner_client.post(
        books.url("invoice_new"), form(books, *three_lines(books), client=foreign.public_id)
    )
    assert response.status_code == 200
    assert response.context["builder"].header.errors["client"] == ["No such client."]
    assert "Globex client" not in html(response)
    assert snapshot(books.tenant) == before


def test_blank_lines_are_ignored_and_an_empty_draft_cannot_be_finalized(
    owner_client: HttpClient, books: Books
) -> None:
    response = owner_client.post(books.url("invoice_new"), form(books, {"description": ""}, op="finalize"))
    with tenant_scope(books.tenant):
        invoice = Invoice.objects.exclude(pk__in=[books.draft.pk, books.open.pk]).get()
        assert invoice.lines.count() == 0
    page = owner_client.post(response.url, follow=True)
    assert "Add at least one line before finalizing." in html(page)
    with tenant_scope(books.tenant):
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.DRAFT
        assert invoice.number is None


# --- line operations (without and with htmx) -------------------------------------------------


def test_add_remove_and_move_lines_without_javascript(owner_client: HttpClient, books: Books) -> None:
    lines = three_lines(books)
    url = books.url("invoice_new")
    added = owner_client.post(url, form(books, *lines, op="add"))
    assert added.status_code == 200
    assert line_values(added, "description") == ["Product design", "Brand workshop", "Hosting", ""]
    moved = owner_client.post(url, form(books, *lines, op="up-c"))  # line keys are a, b, c (hex of 10..12)
    assert line_values(moved, "description") == ["Product design", "Hosting", "Brand workshop"]
    moved = owner_client.post(url, form(books, *lines, op="down-a"))
    assert line_values(moved, "description") == ["Brand workshop", "Product design", "Hosting"]
    removed = owner_client.post(url, form(books, *lines, op="remove-b"))
    assert line_values(removed, "description") == ["Product design", "Hosting"]
    # Moving the first line up changes nothing; an unknown key is ignored.
    assert line_values(owner_client.post(url, form(books, *lines, op="up-a")), "description") == [
        "Product design",
        "Brand workshop",
        "Hosting",
    ]
    assert line_values(owner_client.post(url, form(books, *lines, op="remove-ff")), "quantity") == [
        "3",
        "1",
        "2",
    ]
    with tenant_scope(books.tenant):
        assert Invoice.objects.count() == 2  # nothing was saved


def test_line_operations_with_htmx_answer_the_lines_and_the_totals(
    owner_client: HttpClient, books: Books
) -> None:
    response = owner_client.post(
        books.url("invoice_new"), form(books, *three_lines(books), op="remove-a"), **HTMX
    )
    page = html(response)
    assert page.lstrip().startswith('<div id="builder-lines"')
    assert "<html" not in page
    assert 'id="totals"' in page
    assert 'hx-swap-oob="true"' in page
    # Without line 1 (1950 + 20 %): 1200 + 290; 20 % on 290 = 58; 5.5 % on 1490 = 81.95
    assert "€1,629.95" in page


def test_picking_a_catalog_item_fills_the_line(owner_client: HttpClient, books: Books) -> None:
    lines = [*three_lines(books), {"catalog_item": books.item.public_id, "key": "ff"}]
    response = owner_client.post(books.url("invoice_new"), form(books, *lines, op="pick-ff"), **HTMX)
    page = html(response)
    assert line_values(response, "description")[3] == "Brand workshop\nDesign work"
    assert line_values(response, "unit_price")[3] == "1200.00"
    assert line_values(response, "unit")[3] == "session"
    checked = re.findall(r'name="lines-3-tax_rates" value="([^"]+)"[^>]*checked', page)
    assert checked == [books.vat.public_id]


def test_create_a_client_inline(owner_client: HttpClient, books: Books) -> None:
    data = {
        "new_client_name": "Acme Rockets",
        "new_client_email": "ap@rockets.test",
        "new_client_currency": "USD",
    }
    response = owner_client.post(books.url("invoice_builder_client_create"), data, **HTMX)
    assert response.status_code == 200
    assert response["HX-Trigger-After-Settle"] == "clientChanged"
    with tenant_scope(books.tenant):
        created = Client.objects.get(name="Acme Rockets")
        assert (created.emails, created.currency) == (["ap@rockets.test"], "USD")
    assert f'name="client" value="{created.public_id}"' in html(response)
    # Without JavaScript the same button posts the whole builder, which keeps the lines.
    data["new_client_name"] = "Beta Boats"
    page = owner_client.post(
        books.url("invoice_new"), form(books, *three_lines(books), client="", op="new-client", **data)
    )
    with tenant_scope(books.tenant):
        boats = Client.objects.get(name="Beta Boats")
    assert f'name="client" value="{boats.public_id}"' in html(page)
    assert line_values(page, "description") == ["Product design", "Brand workshop", "Hosting"]


def test_creating_a_client_inline_with_bad_input_shows_errors(owner_client: HttpClient, books: Books) -> None:
    before = snapshot(books.tenant)
    response = owner_client.post(
        books.url("invoice_builder_client_create"),
        {"new_client_name": "Nope", "new_client_email": "not-an-email", "new_client_currency": "EUR"},
        **HTMX,
    )
    assert response.status_code == 200
    assert "not-an-email is not a valid email address." in html(response)
    assert "HX-Trigger-After-Settle" not in response
    assert snapshot(books.tenant) == before


def test_client_search_as_you_type(owner_client: HttpClient, books: Books) -> None:
    from invoices.tests.factories import ClientFactory

    with tenant_scope(books.tenant):
        ClientFactory(name="Southwind Partners")
        ClientFactory(name="Northern Lights", archived_at="2026-01-01T00:00:00Z")
    found = html(owner_client.get(books.url("invoice_builder_client_search") + "?client_q=nor"))
    assert "Northwind Traders" in found
    assert "Southwind" not in found
    assert "Northern Lights" not in found  # archived clients are not offered
    assert "No client matches" in html(
        owner_client.get(books.url("invoice_builder_client_search") + "?client_q=zzz")
    )
    picked = owner_client.get(books.url("invoice_builder_client_pick") + f"?client={books.client.public_id}")
    assert 'data-testid="chosen-client">Northwind Traders<' in html(picked)
    assert owner_client.get(books.url("invoice_builder_client_pick") + "?client=cli_nope").status_code == 404


# --- live totals ---------------------------------------------------------------------------


def test_live_totals_are_computed_by_the_server_and_save_nothing(
    owner_client: HttpClient, books: Books
) -> None:
    before = snapshot(books.tenant)
    response = owner_client.post(
        books.url("invoice_builder_totals"), form(books, *three_lines(books), discount_value="40"), **HTMX
    )
    assert response.status_code == 200
    page = html(response)
    assert re.search(r'data-testid="subtotal">€3,440.00<', page)
    assert re.search(r'data-testid="discount">\u2212€40.00<', page)
    # The discount is shared by the rate groups in proportion (22.68 / 13.95 / 3.37), so
    # 20 % on 1927.32 + 286.63 = 442.79 and 5.5 % on 1186.05 + 286.63 = 81.00:
    # 3440 - 40 + 442.79 + 81.00 = 3923.79.
    assert re.search(r'data-testid="total">€3,923.79<', page), page
    # Each line's amount is swapped in out of band.
    assert re.findall(r'<output id="amount-[0-9a-f]+"[^>]*hx-swap-oob="true">([^<]+)<', page) == [
        "€1,950.00",
        "€1,200.00",
        "€290.00",
    ]
    assert snapshot(books.tenant) == before


def test_live_totals_explain_what_is_wrong(owner_client: HttpClient, books: Books) -> None:
    lines = three_lines(books)
    lines[2]["unit_price"] = "1.2345678"
    page = html(owner_client.post(books.url("invoice_builder_totals"), form(books, *lines), **HTMX))
    assert "Line 3: The unit price takes at most 6 decimals." in page
    page = html(
        owner_client.post(books.url("invoice_builder_totals"), form(books, *lines, client=""), **HTMX)
    )
    assert "Choose a client (or a currency) to see the totals." in page


def test_live_totals_in_a_zero_decimal_currency(owner_client: HttpClient, books: Books) -> None:
    lines = [
        {"description": "Sushi", "quantity": "3", "unit_price": "1005", "tax_rates": [books.vat.public_id]}
    ]
    page = html(
        owner_client.post(books.url("invoice_builder_totals"), form(books, *lines, currency="JPY"), **HTMX)
    )
    assert re.search(r'data-testid="total">¥3,618<', page), page  # 3015 + 603


def test_in_french_the_empty_draft_says_why_it_cannot_be_finalized(
    owner_client: HttpClient, books: Books
) -> None:
    response = owner_client.post(books.url("invoice_new"), form(books, {"description": ""}, op="finalize"))
    page = owner_client.post(response.url, follow=True, HTTP_ACCEPT_LANGUAGE="fr")
    assert "Ajoutez au moins une ligne avant de finaliser." in html(page)
    assert "Add at least one line" not in html(page)
