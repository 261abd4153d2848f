"""The client page names the client's language and country ("French", "France"), not their codes."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from invoices.tests.factories import ClientFactory
from invoices.tests.pages import Books, books_fixture, html  # noqa: F401
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


def test_language_and_country_are_named(owner_client: HttpClient, books: Books) -> None:
    with tenant_scope(books.tenant):
        client = ClientFactory(name="Studio Fanny Dupont", language="fr", country="FR")
        regional = ClientFactory(name="Tabarnak Inc", language="fr-CA", country="CA", city="Montréal")
    page = html(owner_client.get(books.url("client_detail", client.public_id)))
    assert "<dd>French</dd>" in page
    assert "France" in page
    assert "<dd>fr</dd>" not in page
    assert "<br>FR" not in page
    other = html(owner_client.get(books.url("client_detail", regional.public_id)))
    assert "<dd>French (Canada)</dd>" in other
    assert "Canada" in other
