"""`invoices.prefetch`: an invoice's lines with their taxes and allowances read in a fixed number
of queries, each line holding its own taxes; and the hand-over of what was read to the same
invoice read again (finalizing, then answering with the lines)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from invoices import services
from invoices.models import Invoice
from invoices.prefetch import adopt_lines, prefetch_lines
from invoices.services.allowances import line_rows
from invoices.tests.factories import TaxRateFactory, line, make_invoice
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(tenant, owner_membership) -> Invoice:
    with tenant_scope(tenant):
        full, reduced = TaxRateFactory(name="Full"), TaxRateFactory(name="Reduced", percentage=Decimal("5.5"))
        return make_invoice(
            actor=owner_membership,
            lines=[
                line("Both", tax_rates=[full, reduced]),
                line("None"),
                line("Reduced", tax_rates=[reduced]),
                line("Full", tax_rates=[full]),
            ],
        )


def test_each_line_reads_its_own_taxes_from_memory(tenant, invoice, django_assert_num_queries):
    with tenant_scope(tenant):
        fresh = Invoice.objects.get(pk=invoice.pk)
        with django_assert_num_queries(4):  # lines, their taxes, the rates, allowances and charges
            lines = prefetch_lines(fresh)
        with django_assert_num_queries(0):
            names = [[tax.tax_rate.name for tax in one.line_taxes.all()] for one in lines]
            counts = [one.line_taxes.count() for one in lines]
            assert [one.description for one in fresh.lines.all()] == ["Both", "None", "Reduced", "Full"]
            assert [line_rows(one) for one in lines] == [[], [], [], []]
        assert names == [["Full", "Reduced"], [], ["Reduced"], ["Full"]]
        assert counts == [2, 0, 1, 1]
        # One instance a rate, whichever lines name it.
        assert lines[0].line_taxes.all()[0].tax_rate is lines[3].line_taxes.all()[0].tax_rate
        # Each line's cache is its own: nothing one holds shows through another.
        caches = [one.line_taxes.all() for one in lines]
        assert len({id(cache) for cache in caches}) == len(lines)
        assert len({id(cache._result_cache) for cache in caches}) == len(lines)


def test_adopting_moves_a_full_read_to_the_same_invoice_read_again(
    tenant, invoice, django_assert_num_queries
):
    with tenant_scope(tenant):
        source = Invoice.objects.get(pk=invoice.pk)
        lines = prefetch_lines(source)
        again = Invoice.objects.get(pk=invoice.pk)
        with django_assert_num_queries(0):
            assert adopt_lines(again, source)
            assert list(again.lines.all()) == lines
            assert all(one.invoice is again for one in again.lines.all())
            first = again.lines.all()[0]
            assert [tax.tax_rate.name for tax in first.line_taxes.all()] == ["Full", "Reduced"]


def test_nothing_is_adopted_that_was_not_read_or_was_written_since(tenant, invoice, owner_membership):
    with tenant_scope(tenant):
        unread = Invoice.objects.get(pk=invoice.pk)
        assert not adopt_lines(Invoice.objects.get(pk=invoice.pk), unread)
        other = make_invoice(actor=owner_membership)
        read = Invoice.objects.get(pk=invoice.pk)
        prefetch_lines(read)
        assert not adopt_lines(other, read)  # another invoice
        # Updating a draft reads its lines, then writes them again: that read is not handed on.
        rewritten = services.invoice_update_draft(actor=owner_membership, invoice=read, notes="Thanks")
        assert not adopt_lines(Invoice.objects.get(pk=invoice.pk), rewritten)
