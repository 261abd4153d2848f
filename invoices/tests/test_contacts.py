"""Client contacts: one primary (the database says so), the migration that makes contacts of
the clients' emails, the client page that edits them, and emails that greet them by name."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.test import Client as HttpClient

from core.errors import ApplicationError
from delivery import services as sending
from invoices import services
from invoices.models import ClientContact
from invoices.tests.factories import ClientFactory, line, make_invoice
from invoices.tests.pages import Books, books_fixture, html  # noqa: F401
from tenants.models import Membership
from tenants.scoping import tenant_scope
from tenants.tests.factories import TenantFactory


def _contact(actor: Membership, client: object, name: str, email: str, **kwargs: object) -> ClientContact:
    return services.contact_create(actor=actor, client=client, name=name, email=email, **kwargs)


def test_the_first_contact_is_primary_and_promoting_another_demotes_it(
    books: Books, owner_membership: Membership
) -> None:
    with tenant_scope(books.tenant):
        anna = _contact(owner_membership, books.client, "Anna Weber", "Anna@Northwind.test")
        ben = _contact(owner_membership, books.client, "Ben Ito", "ben@northwind.test", role="CFO")
        assert anna.is_primary
        assert not ben.is_primary
        assert anna.email == "anna@northwind.test"
        services.contact_make_primary(actor=owner_membership, contact=ben.public_id)
        primaries = list(ClientContact.objects.filter(client=books.client, is_primary=True))
        assert [c.name for c in primaries] == ["Ben Ito"]
        services.contact_delete(actor=owner_membership, contact=ben)
        assert ClientContact.objects.get(client=books.client).is_primary  # Anna took over


def test_the_database_refuses_two_primary_contacts(books: Books, owner_membership: Membership) -> None:
    with tenant_scope(books.tenant):
        _contact(owner_membership, books.client, "Anna Weber", "anna@northwind.test")
        with pytest.raises(IntegrityError), transaction.atomic():
            ClientContact.objects.create(
                client=books.client, name="Second", email="second@northwind.test", is_primary=True
            )


def test_a_duplicate_email_and_a_nameless_contact_are_refused(
    books: Books, owner_membership: Membership
) -> None:
    with tenant_scope(books.tenant):
        _contact(owner_membership, books.client, "Anna Weber", "anna@northwind.test")
        with pytest.raises(ApplicationError) as duplicate:
            _contact(owner_membership, books.client, "Anna again", "ANNA@northwind.test")
        assert duplicate.value.field == "email"
        with pytest.raises(ApplicationError) as nameless:
            _contact(owner_membership, books.client, " ", "x@northwind.test")
        assert nameless.value.field == "name"
        with pytest.raises(ApplicationError) as bad:
            _contact(owner_membership, books.client, "X", "not-an-email")
        assert bad.value.field == "email"
        assert ClientContact.objects.count() == 1


def test_another_clients_contact_cannot_be_chosen(books: Books, owner_membership: Membership) -> None:
    with tenant_scope(books.tenant):
        other = ClientFactory()
        theirs = _contact(owner_membership, other, "Zed", "zed@other.test")
        with pytest.raises(ApplicationError) as error:
            services.contacts_resolve(client=books.client, contacts=[theirs.public_id])
        assert error.value.code == "not_found"


@pytest.mark.migrations
def test_migration_turns_client_emails_into_contacts(owner_membership: Membership) -> None:
    """The data migration of 0010 on rows written without contacts, in two workspaces."""
    migration = importlib.import_module("invoices.migrations.0012_client_contacts")
    state_apps = MigrationLoader(connection).project_state(("invoices", "0012_client_contacts")).apps
    first, second = owner_membership.tenant, TenantFactory()
    with tenant_scope(first):
        a = ClientFactory(name="Boulangerie Martin SARL", emails=["compta@martin.test", "paul@martin.test"])
    with tenant_scope(second):
        b = ClientFactory(name="Globex", emails=["ap@globex.test"])
    migration.emails_to_contacts(state_apps, SimpleNamespace(connection=connection))
    with tenant_scope(first):
        contacts = list(ClientContact.objects.filter(client=a).order_by("-is_primary", "email"))
        assert [(c.email, c.is_primary, c.name) for c in contacts] == [
            ("compta@martin.test", True, "Boulangerie Martin SARL"),
            ("paul@martin.test", False, "Boulangerie Martin SARL"),
        ]
        assert not ClientContact.objects.filter(client=b).exists()  # the other workspace's: hidden
    with tenant_scope(second):
        assert [c.email for c in ClientContact.objects.all()] == ["ap@globex.test"]


def test_an_invoice_sent_to_a_chosen_contact_greets_them_by_name(
    books: Books, owner_membership: Membership, mailoutbox: list
) -> None:
    with tenant_scope(books.tenant):
        _contact(owner_membership, books.client, "Anna Weber", "anna@northwind.test")
        ben = _contact(owner_membership, books.client, "Ben Ito", "ben@northwind.test")
        message = sending.invoice_send(actor=owner_membership, invoice=books.open, contacts=[ben.public_id])
        assert message.to == ["ben@northwind.test"]
        assert message.body.startswith("Hello Ben Ito,")
        # The email leads to the client portal, where the contact signs in to all documents.
        assert f"/portal/w/{books.tenant.slug}" in message.body
        # Nobody chosen: the primary contact is greeted.
        invoice = make_invoice(actor=owner_membership, client=books.client, lines=[line()], finalize=True)
        default = sending.invoice_send(actor=owner_membership, invoice=invoice)
        assert default.body.startswith("Hello Anna Weber,")


def test_contacts_are_edited_on_the_client_page(
    owner_client: HttpClient, viewer_client: HttpClient, outsider_client: HttpClient, books: Books
) -> None:
    client_url = books.url("client_detail", books.client.public_id)
    add_url = books.url("contact_create", books.client.public_id)
    data = {"name": "Anna Weber", "email": "anna@northwind.test", "phone": "+33 1 23", "role": "Accounts"}
    assert outsider_client.post(add_url, data).status_code == 404
    assert viewer_client.post(add_url, data).status_code == 403
    response = owner_client.post(add_url, data)
    assert response.status_code == 302
    assert response.url == client_url
    page = html(owner_client.get(client_url))
    assert "Anna Weber" in page
    assert "Primary" in page
    assert "Accounts" in page
    with tenant_scope(books.tenant):
        anna = ClientContact.objects.get()
    edit_url = books.url("contact_edit", books.client.public_id, anna.public_id)
    assert outsider_client.get(edit_url).status_code == 404
    owner_client.post(edit_url, {**data, "name": "Anna Weber-Ito", "primary": "on"})
    with tenant_scope(books.tenant):
        anna.refresh_from_db()
    assert anna.name == "Anna Weber-Ito"
    assert anna.is_primary
    delete_url = books.url("contact_delete", books.client.public_id, anna.public_id)
    assert outsider_client.post(delete_url).status_code == 404
    owner_client.post(delete_url)
    with tenant_scope(books.tenant):
        assert not ClientContact.objects.exists()
