"""An invoice's lines in the API's answers: the line serializer's own `to_representation` (one
dict a line, for invoices of thousands of lines) gives exactly what DRF's walk over the
declared fields gives, whatever the line carries; finalizing answers with the lines it has
just read, exactly as a later read shows them; a posted line is validated as DRF's walk over
every field would, without walking the optional fields it leaves out."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from api.line_serializers import InvoiceLineSerializer
from api.serializers import LineWriteSerializer
from invoices.models import Invoice, InvoiceLine, TaxRate
from invoices.prefetch import prefetch_lines
from invoices.tests.factories import TaxRateFactory
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


def _varied_lines(data, reduced: TaxRate) -> list[dict]:
    """Lines with every optional field set, left out, or at its edge."""
    return [
        {"description": "Plain", "quantity": "1", "unit_price": "100"},
        {
            "description": "  Everything  ",
            "quantity": "2500",
            "unit": "kWh",
            "unit_code": "HUR",
            "unit_price": "0.008800",
            "base_quantity": "10",
            "gross_price": "0.0095",
            "discount": "0.01",
            "period_start": "2026-03-01",
            "period_end": "2026-03-31",
            "tax_rates": [data.tax_rate.public_id, reduced.public_id],
            "metadata": {"sku": "A-1", "nested": {"n": [1, 2]}},
            "allowances_charges": [
                {"percentage": "10", "reason": "Loyal client", "reason_code": "100"},
                {"charge": True, "amount": "0.50", "reason_code": "FC"},
            ],
        },
        {
            "description": "From the catalog",
            "quantity": "-1",
            "unit_price": "25",
            "catalog_item": data.item.public_id,
        },
        {"description": "Gross price only", "quantity": "3", "unit_price": "10", "gross_price": "12.50"},
    ]


def _generic(serializer: InvoiceLineSerializer, line: InvoiceLine) -> dict:
    return dict(serializers.ModelSerializer.to_representation(serializer, line))


def test_the_fast_path_equals_drfs_walk_for_every_kind_of_line(owner_api, data, tenant):
    with tenant_scope(tenant):
        reduced = TaxRateFactory(name="Reduced", percentage=Decimal("5.5"))
    body = {"client": data.client.public_id, "lines": _varied_lines(data, reduced)}
    created = owner_api.post("/api/v1/invoices/", body, format="json")
    assert created.status_code == 201, created.json()
    with tenant_scope(tenant):
        invoice = Invoice.objects.get(public_id=created.json()["id"])
        serializer = InvoiceLineSerializer()
        # Read both ways: prefetched (as the API does) and one relation at a time.
        for lines in (prefetch_lines(invoice), list(InvoiceLine.objects.filter(invoice=invoice))):
            fast = [serializer.to_representation(line) for line in lines]
            generic = [_generic(serializer, line) for line in lines]
            assert fast == generic
            assert list(fast[1]) == list(InvoiceLineSerializer.Meta.fields)  # the same order
            assert JSONRenderer().render(fast) == JSONRenderer().render(generic)
    lines = created.json()["lines"]
    assert lines == fast
    assert lines[1]["unit_price"] == "0.0088"
    assert lines[1]["gross_price"] == "0.0095"
    assert lines[1]["period_end"] == "2026-03-31"
    assert [(row["charge"], row["percentage"]) for row in lines[1]["allowances_charges"]] == [
        (False, "10"),
        (True, None),
    ]
    assert lines[2]["catalog_item"] == data.item.public_id
    assert (lines[0]["gross_price"], lines[0]["catalog_item"], lines[0]["metadata"]) == (None, None, {})


def test_a_currency_without_decimals(owner_api, data, tenant):
    body = {
        "client": data.client.public_id,
        "currency": "JPY",
        "lines": [{"description": "Tea", "quantity": "3", "unit_price": "1200", "discount": "100"}],
    }
    created = owner_api.post("/api/v1/invoices/", body, format="json")
    assert created.status_code == 201, created.json()
    line = created.json()["lines"][0]
    assert (line["unit_price"], line["discount"], line["net_amount"]) == ("1200", "100", "3500")
    with tenant_scope(tenant):
        (stored,) = prefetch_lines(Invoice.objects.get(public_id=created.json()["id"]))
        assert _generic(InvoiceLineSerializer(), stored) == line


def test_finalize_answers_with_the_lines_it_read_as_a_later_read_shows_them(owner_api, data, tenant):
    body = {
        "client": data.client.public_id,
        "lines": [
            {
                "description": f"Line {n}",
                "quantity": "2",
                "unit_price": "10.50",
                "tax_rates": [data.tax_rate.public_id],
            }
            for n in range(30)
        ],
    }
    created = owner_api.post("/api/v1/invoices/", body, format="json").json()
    url = f"/api/v1/invoices/{created['id']}/"
    with CaptureQueriesContext(connection) as finalize_queries:
        finalized = owner_api.post(f"{url}finalize/")
    # The lines are read once: by the checks, not again by the answer. (Read before the next
    # request, which empties the connection's query log.)
    line_reads = [
        q["sql"]
        for q in finalize_queries.captured_queries
        if q["sql"].startswith('SELECT "invoices_invoiceline"')
    ]
    assert len(line_reads) == 1
    assert finalized.status_code == 200, finalized.json()
    assert finalized.json()["status"] == "open"
    assert finalized.content == owner_api.get(url).content


def test_finalize_rewrites_lines_whose_rate_changed_and_answers_with_the_new_ones(owner_api, data, tenant):
    body = {
        "client": data.client.public_id,
        "lines": [
            {
                "description": "Design",
                "quantity": "1",
                "unit_price": "100",
                "tax_rates": [data.tax_rate.public_id],
            }
        ],
    }
    created = owner_api.post("/api/v1/invoices/", body, format="json").json()
    assert created["tax_total"] == "20.00"
    with tenant_scope(tenant):
        TaxRate.objects.filter(pk=data.tax_rate.pk).update(percentage=Decimal(10))
    url = f"/api/v1/invoices/{created['id']}/"
    finalized = owner_api.post(f"{url}finalize/")
    assert finalized.status_code == 200, finalized.json()
    assert finalized.json()["tax_total"] == "10.00"
    assert finalized.content == owner_api.get(url).content


class _WalkedAsDrfDoes(LineWriteSerializer):
    """The posted line serializer without its short cut: every field walked."""

    @property
    def _writable_fields(self):
        return serializers.Serializer._writable_fields.fget(self)


@pytest.mark.parametrize(
    "posted",
    [
        {"description": "Design", "quantity": "2", "unit_price": "80.00"},
        {
            "description": "Design",
            "quantity": 2,
            "unit_price": "80",
            "tax_rates": ["tr_a", "tr_b"],
            "extra": 1,
        },
        {
            "description": " All ",
            "quantity": "2",
            "unit_price": "0.0088",
            "unit": "kWh",
            "unit_code": "KWH",
            "base_quantity": "100",
            "gross_price": None,
            "period_start": "2026-03-01",
            "period_end": None,
            "discount": "1",
            "catalog_item": None,
            "metadata": {"a": [1]},
            "allowances_charges": [{"amount": "1", "reason": "x"}],
        },
        {"quantity": 2.5, "unit_price": "80"},  # no description, a float
        {"description": None, "quantity": "x" * 50, "unit_price": True, "tax_rates": "tr_a"},
        {"description": "D", "quantity": "1", "unit_price": "1", "period_end": "31/03/2026", "metadata": []},
        {"description": "D", "quantity": "1", "unit_price": "1", "allowances_charges": [{"amount": 1.5}]},
        {"description": "D", "quantity": "1", "unit_price": "1", "tax_rates": ["tr_a"] * 50},
        "not an object",
    ],
)
@pytest.mark.parametrize("partial", [False, True])
def test_a_posted_line_is_validated_as_drfs_walk_over_every_field_would(posted, partial):
    fast, walked = (
        LineWriteSerializer(data=posted, partial=partial),
        _WalkedAsDrfDoes(data=posted, partial=partial),
    )
    assert fast.is_valid() == walked.is_valid()
    assert fast.errors == walked.errors
    if not fast.errors:
        assert fast.validated_data == walked.validated_data
    many = LineWriteSerializer(
        data=[posted, {"description": "Ok", "quantity": "1", "unit_price": "1"}], many=True
    )
    assert many.is_valid() == walked.is_valid()


def test_a_posted_lines_absent_optional_fields_are_not_walked():
    line = LineWriteSerializer()
    line._given = {"description": "Design", "quantity": "2", "unit_price": "80", "tax_rates": []}
    assert [field.field_name for field in line._writable_fields] == [
        "description",
        "quantity",
        "unit_price",
        "tax_rates",
    ]
    line._given = None  # outside a validation: every field, as DRF lists them
    assert len(list(line._writable_fields)) == len(line.fields)
