"""Client list, client page, create, edit, archive and unarchive, for every role."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from invoices import services
from invoices.models import Client
from invoices.tests.factories import ClientFactory, line, make_invoice
from invoices.tests.pages import Books, books_fixture, html, snapshot  # noqa: F401
from tenants.models import Membership
from tenants.scoping import tenant_scope

VALID = {
    "name": "Kestrel Analytics GmbH",
    "emails": "ap@kestrel.test, ceo@kestrel.test",
    "address_line1": "Torstraße 1",
    "postal_code": "10119",
    "city": "Berlin",
    "country": "DE",
    "tax_id": "DE123456789",
    "currency": "EUR",
    "language": "de",
    "payment_terms_days": "14",
    "notes": "",
}


@pytest.mark.parametrize("who", ["owner_client", "member_client", "viewer_client"])
def test_members_see_the_clients_and_what_they_owe(
    request: pytest.FixtureRequest, books: Books, owner_membership: Membership, who: str
) -> None:
    with tenant_scope(books.tenant):
        services.payment_record(actor=owner_membership, invoice=books.open, amount="150.00")
    client: HttpClient = request.getfixturevalue(who)
    page = html(client.get(books.url("client_list")))
    assert "Northwind Traders" in page
    assert "€450.00" in page  # 600 - 150 outstanding
    detail = html(client.get(books.url("client_detail", books.client.public_id)))
    assert "€450.00" in detail
    assert "INV-2026-00001" in detail
    assert ("+ New invoice" in detail) is (who != "viewer_client")
    assert (">Archive<" in detail) is (who != "viewer_client")


def test_search_and_archived_clients(owner_client: HttpClient, books: Books) -> None:
    with tenant_scope(books.tenant):
        ClientFactory(name="Old Friend", archived_at="2026-01-01T00:00:00Z", tax_id="FR999")
    listed = html(owner_client.get(books.url("client_list")))
    assert "Old Friend" not in listed
    assert "Old Friend" in html(owner_client.get(books.url("client_list") + "?archived=on"))
    assert "Old Friend" in html(owner_client.get(books.url("client_list") + "?q=FR999&archived=on"))
    assert "No client matches" in html(owner_client.get(books.url("client_list") + "?q=zzz"))


def test_the_client_list_takes_the_same_number_of_queries_for_3_and_30_clients(
    owner_client: HttpClient, tenant: object, owner_membership: Membership, django_assert_max_num_queries
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add(count: int) -> None:
        with tenant_scope(tenant):
            for _ in range(count):
                make_invoice(actor=owner_membership, client=ClientFactory(), finalize=True)

    add(3)
    with CaptureQueriesContext(connection) as small:
        owner_client.get(f"/t/{tenant.slug}/clients/")
    add(27)
    with django_assert_max_num_queries(len(small)):
        owner_client.get(f"/t/{tenant.slug}/clients/")


def test_create_a_client(member_client: HttpClient, books: Books) -> None:
    response = member_client.post(books.url("client_create"), VALID)
    with tenant_scope(books.tenant):
        created = Client.objects.get(name="Kestrel Analytics GmbH")
    assert response.url == books.url("client_detail", created.public_id)
    assert created.emails == ["ap@kestrel.test", "ceo@kestrel.test"]
    assert (created.payment_terms_days, created.country, created.language) == (14, "DE", "de")


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"emails": "nope"}, "emails", "nope is not a valid email address."),
        ({"payment_terms_days": "400"}, "payment_terms_days", "less than or equal to 365"),
        ({"currency": "XXQ"}, "currency", "Select a valid choice"),
    ],
)
def test_bad_client_input_shows_field_errors_and_saves_nothing(
    owner_client: HttpClient, books: Books, change: dict, field: str, message: str
) -> None:
    before = snapshot(books.tenant)
    response = owner_client.post(books.url("client_create"), {**VALID, **change})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert snapshot(books.tenant) == before


def test_edit_a_client(owner_client: HttpClient, books: Books) -> None:
    form = owner_client.get(books.url("client_edit", books.client.public_id))
    assert 'value="Northwind Traders"' in html(form)
    response = owner_client.post(
        books.url("client_edit", books.client.public_id), {**VALID, "name": "Northwind 2"}
    )
    assert response.url == books.url("client_detail", books.client.public_id)
    with tenant_scope(books.tenant):
        assert Client.objects.get(pk=books.client.pk).name == "Northwind 2"


def test_archive_and_unarchive(owner_client: HttpClient, books: Books) -> None:
    owner_client.post(books.url("client_archive", books.client.public_id))
    with tenant_scope(books.tenant):
        assert Client.objects.get(pk=books.client.pk).is_archived
    page = html(owner_client.get(books.url("client_detail", books.client.public_id)))
    assert "Archived" in page
    assert "INV-2026-00001" in page  # its invoices stay
    owner_client.post(books.url("client_unarchive", books.client.public_id))
    with tenant_scope(books.tenant):
        assert not Client.objects.get(pk=books.client.pk).is_archived


WRITES = ["client_edit", "client_archive", "client_unarchive"]


def test_a_viewer_gets_403_on_client_writes(viewer_client: HttpClient, books: Books) -> None:
    before = snapshot(books.tenant)
    assert viewer_client.get(books.url("client_create")).status_code == 403
    assert viewer_client.post(books.url("client_create"), VALID).status_code == 403
    for name in WRITES:
        assert viewer_client.post(books.url(name, books.client.public_id), VALID).status_code == 403
    assert snapshot(books.tenant) == before


def test_an_outsider_gets_404_on_every_client_page(outsider_client: HttpClient, books: Books) -> None:
    before = snapshot(books.tenant)
    assert outsider_client.get(books.url("client_list")).status_code == 404
    assert outsider_client.post(books.url("client_create"), VALID).status_code == 404
    for name in ["client_detail", *WRITES]:
        url = books.url(name, books.client.public_id)
        assert outsider_client.get(url).status_code == 404
        assert outsider_client.post(url, VALID).status_code == 404
    assert snapshot(books.tenant) == before


def test_another_tenants_client_id_is_404_in_my_own_workspace(
    outsider_client: HttpClient, outsider_membership: Membership, books: Books
) -> None:
    own = f"/t/{outsider_membership.tenant.slug}/clients/{books.client.public_id}/"
    assert outsider_client.get(own).status_code == 404
    assert outsider_client.post(own + "archive/").status_code == 404
    with tenant_scope(books.tenant):
        assert not Client.objects.get(pk=books.client.pk).is_archived


def test_a_new_invoice_from_the_client_page_starts_with_that_client(
    owner_client: HttpClient, books: Books
) -> None:
    page = html(owner_client.get(books.url("invoice_new") + f"?client={books.client.public_id}"))
    assert 'data-testid="chosen-client">Northwind Traders<' in page
    with tenant_scope(books.tenant):
        make_invoice(client=books.client, lines=[line()])


def test_client_form_stores_the_peppol_id_and_einvoice_choices(owner_client, tenant):
    response = owner_client.post(
        "/t/acme/clients/new/",
        {
            "name": "Bundesamt für Beispiele",
            "emails": "rechnung@bfb.example",
            "country": "DE",
            "currency": "EUR",
            "language": "de",
            "payment_terms_days": "30",
            "peppol_scheme": "0204",
            "peppol_id": "04011000-1234512345-06",
            "einvoice_format": "xrechnung-ubl",
            "facturx": "false",
        },
    )
    assert response.status_code == 302, response.content
    with tenant_scope(tenant):
        client = Client.objects.get(name="Bundesamt für Beispiele")
    assert (client.peppol_scheme, client.peppol_id) == ("0204", "04011000-1234512345-06")
    assert client.einvoice_format == "xrechnung-ubl"
    assert client.facturx is False
    edit = owner_client.get(f"/t/acme/clients/{client.public_id}/edit/")
    assert 'value="04011000-1234512345-06"' in edit.content.decode()


def test_client_form_refuses_a_peppol_id_without_its_scheme(owner_client, tenant):
    response = owner_client.post(
        "/t/acme/clients/new/",
        {
            "name": "Half Peppol",
            "emails": "a@b.example",
            "currency": "EUR",
            "language": "en",
            "payment_terms_days": "30",
            "peppol_id": "12345",
        },
    )
    assert response.status_code == 200
    assert "Give both the Peppol scheme and the participant id" in response.content.decode()
