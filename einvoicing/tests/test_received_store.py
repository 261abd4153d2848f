"""Keeping received e-invoices per workspace."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from core.errors import ApplicationError
from einvoicing.models import ReceivedInvoice
from einvoicing.selectors import received_invoice_model, received_invoices_list
from einvoicing.services import received_invoice_import
from tenants.scoping import tenant_scope
from tenants.tests.fixtures import rows_in_every_tenant

DATA = Path(__file__).parent / "data"
EXAMPLE = (DATA / "ubl-tc434-example9.xml").read_bytes()

pytestmark = pytest.mark.django_db(transaction=False)


def test_an_imported_invoice_is_listed_and_shown(tenant, owner) -> None:
    with tenant_scope(tenant):
        row = received_invoice_import(data=EXAMPLE, filename="example9.xml", user=owner)

        assert list(received_invoices_list()) == [row]
        assert (row.number, row.currency, row.amount_due, row.fatal_count) == (
            "20150483",
            "EUR",
            Decimal("177.87"),
            0,
        )
        assert row.public_id.startswith("rin_")
        invoice = received_invoice_model(row)
        assert invoice.totals.payable == Decimal("177.87")
        assert invoice.seller.name == row.seller_name


def test_the_same_file_twice_is_one_row(tenant) -> None:
    with tenant_scope(tenant):
        first = received_invoice_import(data=EXAMPLE, filename="a.xml")
        again = received_invoice_import(data=EXAMPLE, filename="b.xml")
        assert again.pk == first.pk
        assert received_invoices_list().count() == 1


def test_an_invoice_that_breaks_rules_is_kept_with_its_results(tenant) -> None:
    broken = EXAMPLE.replace(b">177.87<", b">178.87<")
    with tenant_scope(tenant):
        row = received_invoice_import(data=broken, filename="broken.xml")
    assert row.fatal_count >= 1
    assert "BR-CO-15" in {result["rule_id"] for result in row.rule_results}


def test_a_refused_file_writes_nothing(tenant) -> None:
    with tenant_scope(tenant), pytest.raises(ApplicationError, match="declares a DOCTYPE") as caught:
        received_invoice_import(data=b'<!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>', filename="bomb.xml")
    assert caught.value.field == "file"
    assert rows_in_every_tenant(ReceivedInvoice) == 0


def test_another_workspace_sees_none_of_them(tenant, other_tenant) -> None:
    with tenant_scope(tenant):
        received_invoice_import(data=EXAMPLE, filename="example9.xml")
    with tenant_scope(other_tenant):
        assert received_invoices_list().count() == 0
        # The other workspace may import the same file: uniqueness is per workspace.
        received_invoice_import(data=EXAMPLE, filename="example9.xml")
    assert rows_in_every_tenant(ReceivedInvoice) == 2
