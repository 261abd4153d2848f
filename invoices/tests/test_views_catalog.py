"""Catalog items, tax rates and numbering settings pages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client as HttpClient

from invoices.models import CatalogItem, Invoice, NumberSeries, TaxRate
from invoices.tests.pages import Books, books_fixture, html, logged_in, snapshot  # noqa: F401
from tenants.models import Membership
from tenants.scoping import tenant_scope

RATE = {"name": "GST", "percentage": "9.975", "category": "S", "exemption_reason": ""}
ITEM = {"name": "Logo design", "description": "", "unit": "piece", "unit_price": "450.00", "currency": "EUR"}


@pytest.mark.parametrize("who", ["owner_client", "member_client", "viewer_client"])
def test_members_see_the_catalog(request: pytest.FixtureRequest, books: Books, who: str) -> None:
    page = html(request.getfixturevalue(who).get(books.url("catalog")))
    assert "Brand workshop" in page
    assert "VAT reduced" in page
    assert "5.5 %" in page
    assert ("+ New tax rate" in page) is (who != "viewer_client")


def test_create_edit_and_archive_a_tax_rate(member_client: HttpClient, books: Books) -> None:
    assert member_client.post(books.url("tax_rate_create"), RATE).url == books.url("catalog")
    assert "<strong>GST</strong>" in html(member_client.get(books.url("catalog")))
    with tenant_scope(books.tenant):
        rate = TaxRate.objects.get(name="GST")
        assert rate.percentage == Decimal("9.975")
    edit_url = books.url("tax_rate_edit", rate.public_id)
    assert 'value="9.975"' in html(member_client.get(edit_url))
    member_client.post(edit_url, {**RATE, "percentage": "10", "inclusive": "on"})
    with tenant_scope(books.tenant):
        rate.refresh_from_db()
        assert (rate.percentage, rate.inclusive) == (Decimal("10"), True)
    member_client.post(books.url("tax_rate_archive", rate.public_id))
    assert "<strong>GST</strong>" not in html(member_client.get(books.url("catalog")))


def test_changing_a_rate_recalculates_drafts_not_finalized_invoices(
    owner_client: HttpClient, books: Books
) -> None:
    owner_client.post(
        books.url("tax_rate_edit", books.vat.public_id), {**RATE, "name": "VAT", "percentage": "10"}
    )
    with tenant_scope(books.tenant):
        assert Invoice.objects.get(pk=books.draft.pk).total == Decimal("220.00")  # 200 + 10 %
        assert Invoice.objects.get(pk=books.open.pk).total == Decimal("600.00")  # unchanged


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"percentage": "120"}, "percentage", "cannot exceed 100"),
        ({"percentage": "1.23456"}, "percentage", "at most 4 decimals"),
        ({"category": "AE", "percentage": "0"}, "exemption_reason", "needs an exemption reason"),
        (
            {"category": "E", "percentage": "5", "exemption_reason": "x"},
            "percentage",
            "always has a 0 % rate",
        ),
        ({"inclusive": "on", "compound": "on"}, "compound", "cannot be included in prices"),
    ],
)
def test_bad_tax_rate_input_shows_field_errors_and_saves_nothing(
    owner_client: HttpClient, books: Books, change: dict, field: str, message: str
) -> None:
    before = snapshot(books.tenant)
    response = owner_client.post(books.url("tax_rate_create"), {**RATE, **change})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert snapshot(books.tenant) == before


def test_create_edit_and_archive_a_catalog_item(owner_client: HttpClient, books: Books) -> None:
    response = owner_client.post(
        books.url("catalog_item_create"), {**ITEM, "tax_rates": [books.vat.public_id]}
    )
    assert response.url == books.url("catalog")
    with tenant_scope(books.tenant):
        item = CatalogItem.objects.get(name="Logo design")
        assert [tax.tax_rate_id for tax in item.item_taxes.all()] == [books.vat.pk]
    owner_client.post(
        books.url("catalog_item_edit", item.public_id),
        {**ITEM, "unit_price": "500", "tax_rates": [books.reduced.public_id]},
    )
    with tenant_scope(books.tenant):
        item.refresh_from_db()
        assert item.unit_price == Decimal("500")
        assert [tax.tax_rate_id for tax in item.item_taxes.all()] == [books.reduced.pk]
    owner_client.post(books.url("catalog_item_archive", item.public_id))
    assert "<strong>Logo design</strong>" not in html(owner_client.get(books.url("catalog")))


def test_a_bad_price_is_a_field_error(owner_client: HttpClient, books: Books) -> None:
    before = snapshot(books.tenant)
    response = owner_client.post(
        books.url("catalog_item_create"), {**ITEM, "currency": "JPY", "unit_price": "10.5"}
    )
    assert "takes no decimals" in " ".join(response.context["form"].errors["unit_price"])
    assert snapshot(books.tenant) == before


def test_a_viewer_gets_403_on_catalog_writes(viewer_client: HttpClient, books: Books) -> None:
    before = snapshot(books.tenant)
    for url in (books.url("tax_rate_create"), books.url("catalog_item_create")):
        assert viewer_client.get(url).status_code == 403
        assert viewer_client.post(url, RATE).status_code == 403
    for name, public_id in (
        ("tax_rate_edit", books.vat.public_id),
        ("tax_rate_archive", books.vat.public_id),
        ("catalog_item_edit", books.item.public_id),
        ("catalog_item_archive", books.item.public_id),
    ):
        assert viewer_client.post(books.url(name, public_id), {**RATE, **ITEM}).status_code == 403
    assert snapshot(books.tenant) == before


def test_an_outsider_gets_404_on_every_catalog_page(outsider_client: HttpClient, books: Books) -> None:
    before = snapshot(books.tenant)
    for url in (
        books.url("catalog"),
        books.url("tax_rate_create"),
        books.url("catalog_item_create"),
        books.url("tax_rate_edit", books.vat.public_id),
        books.url("tax_rate_archive", books.vat.public_id),
        books.url("catalog_item_edit", books.item.public_id),
        books.url("catalog_item_archive", books.item.public_id),
        books.url("numbering_settings"),
        books.url("numbering_preview"),
    ):
        assert outsider_client.get(url).status_code == 404, url
        assert outsider_client.post(url, {**RATE, **ITEM}).status_code == 404, url
    assert snapshot(books.tenant) == before


# --- numbering -------------------------------------------------------------------------------


def test_numbering_settings_show_and_change_the_pattern(owner_client: HttpClient, books: Books) -> None:
    page = html(owner_client.get(books.url("numbering_settings")))
    assert "INV-2026-00002" in page  # one invoice finalized already
    assert "CN-2026-00001" in page
    response = owner_client.post(
        books.url("numbering_settings"),
        {"kind": "invoice", "invoice-pattern": "F{YY}/{SEQ:03}", "invoice-reset": "yearly"},
    )
    assert response.url == books.url("numbering_settings")
    with tenant_scope(books.tenant):
        assert NumberSeries.objects.get(kind="invoice").pattern == "F{YY}/{SEQ:03}"
    assert "F26/002" in html(owner_client.get(books.url("numbering_settings")))


@pytest.mark.parametrize(
    ("pattern", "reset", "message"),
    [
        ("INV-{YYYY}", "yearly", "exactly one {SEQ}"),
        ("INV-{SEQ}", "yearly", "A yearly restart needs the year"),
        ("INV-{FOO}-{SEQ}", "never", "Unknown placeholder"),
    ],
)
def test_a_bad_pattern_is_refused_with_its_reason(
    owner_client: HttpClient, books: Books, pattern: str, reset: str, message: str
) -> None:
    before = snapshot(books.tenant)
    response = owner_client.post(
        books.url("numbering_settings"),
        {"kind": "invoice", "invoice-pattern": pattern, "invoice-reset": reset},
    )
    assert response.status_code == 200
    assert message in html(response)
    assert snapshot(books.tenant) == before


def test_the_live_preview_of_a_pattern(owner_client: HttpClient, books: Books) -> None:
    url = books.url("numbering_preview")
    assert "<strong>F-00002</strong>" in html(
        owner_client.get(url + "?kind=invoice&invoice-pattern=F-{SEQ:05}")
    )
    assert "exactly one {SEQ}" in html(owner_client.get(url + "?kind=invoice&invoice-pattern=F-"))


@pytest.mark.parametrize("fixture", ["member_membership", "viewer_membership"])
def test_only_owners_and_admins_change_numbering(
    request: pytest.FixtureRequest, books: Books, fixture: str
) -> None:
    membership: Membership = request.getfixturevalue(fixture)
    client = logged_in(membership.user)
    before = snapshot(books.tenant)
    assert client.get(books.url("numbering_settings")).status_code == 403
    data = {"kind": "invoice", "invoice-pattern": "X-{SEQ}", "invoice-reset": "never"}
    assert client.post(books.url("numbering_settings"), data).status_code == 403
    assert client.get(books.url("numbering_preview")).status_code == 403
    assert snapshot(books.tenant) == before


def test_an_admin_changes_numbering(admin_membership: Membership, books: Books) -> None:
    client = logged_in(admin_membership.user)
    data = {"kind": "credit_note", "credit_note-pattern": "AV-{SEQ:04}", "credit_note-reset": "never"}
    assert client.post(books.url("numbering_settings"), data).status_code == 302
    with tenant_scope(books.tenant):
        assert NumberSeries.objects.get(kind="credit_note").pattern == "AV-{SEQ:04}"


def test_a_tax_rate_takes_a_vatex_code_from_the_list(member_client: HttpClient, books: Books) -> None:
    form = html(member_client.get(books.url("tax_rate_create")))
    assert '<option value="VATEX-EU-AE">' in form
    exempt = {"name": "Intra-EU", "percentage": "0", "category": "AE", "exemption_code": "VATEX-EU-AE"}
    assert member_client.post(books.url("tax_rate_create"), exempt).url == books.url("catalog")
    assert "(VATEX-EU-AE)" in html(member_client.get(books.url("catalog")))
    with tenant_scope(books.tenant):
        rate = TaxRate.objects.get(name="Intra-EU")
    assert rate.exemption_code == "VATEX-EU-AE"
    assert 'value="VATEX-EU-AE" selected' in html(
        member_client.get(books.url("tax_rate_edit", rate.public_id))
    )
    refused = member_client.post(
        books.url("tax_rate_create"), {**exempt, "name": "Bad", "exemption_code": "X"}
    )
    assert refused.status_code == 200
    with tenant_scope(books.tenant):
        assert not TaxRate.objects.filter(name="Bad").exists()
