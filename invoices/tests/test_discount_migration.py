# ruff: noqa: E501  (the seed and read-back scripts are code in strings, run by manage.py shell)
"""Migration 0017 turns today's invoice discount into document-level allowances: a database
migrated to 0016, with finalized invoices carrying amount and percentage discounts over
several rate groups (one of them compound), migrates forward with each finalized invoice's
discount moved into one "Discount" allowance (UNTDID 5189 code 95) per rate group, its old
discount fields zeroed, and the engine, reading the new rows, giving every stored total and
tax line again to the cent. A draft keeps its discount in the old fields (the builder edits
it there). Runs `manage.py` in subprocesses against a scratch database, as production does
(see invoiceflow/tests/test_app_split_migration.py)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from invoiceflow.tests.test_app_split_migration import _manage, _with_database
from tenants import rls

pytestmark = pytest.mark.postgres

BEFORE = [("sites", "0002_alter_domain_unique"), ("invoices", "0016_merge_contacts_and_quote_series")]

# Invoices written as the old services wrote them: the old engine's totals (the discount
# spread over the rate groups), lines, line taxes and tax totals, then finalized.
SEED = """
from invoiceflow.testing.old_schema import forget_columns_the_database_lacks
forget_columns_the_database_lacks()
import json
from datetime import date
from decimal import Decimal as D

from invoices.calculation import LineInput, RateInput, calculate
from invoices.models import Client, Invoice, InvoiceLine, InvoiceLineTax, InvoiceTaxTotal, TaxRate
from tenants.models import Tenant
from tenants.scoping import tenant_scope

tenant = Tenant.objects.create(name="Acme", slug="acme", country="FR", default_currency="EUR")
stored = {}
with tenant_scope(tenant):
    client = Client.objects.create(name="Client", emails=["ap@client.test"], currency="EUR")
    vat = TaxRate.objects.create(name="VAT", percentage=D("20"))
    reduced = TaxRate.objects.create(name="Reduced", percentage=D("5.5"))
    gst = TaxRate.objects.create(name="GST", percentage=D("5"))
    qst = TaxRate.objects.create(name="QST", percentage=D("9.975"), compound=True)
    groups = [[vat], [reduced], [gst, qst], []]
    cases = [
        ("INV-1", "amount", D("10.01"), "open"),
        ("INV-2", "percent", D("7.5"), "open"),
        ("INV-3", "amount", D("0"), "open"),
        (None, "percent", D("10"), "draft"),
    ]
    for number, kind, value, status in cases:
        lines = [(D("3"), D("33.33")), (D("1"), D("19.99")), (D("2"), D("45.50")), (D("1"), D("7.77"))]
        inputs = [
            LineInput(quantity=q, unit_price=p, rates=tuple(RateInput(key=r.pk, percentage=r.percentage, compound=r.compound) for r in rates))
            for (q, p), rates in zip(lines, groups)
        ]
        totals = calculate(
            inputs, "EUR",
            discount_amount=value if kind == "amount" and value else None,
            discount_percent=value if kind == "percent" else None,
        )
        invoice = Invoice.objects.create(
            client=client, currency="EUR", issue_date=date(2026, 11, 2), due_date=date(2026, 12, 2),
            discount_type=kind, discount_value=value, subtotal=totals.subtotal, discount_amount=totals.discount,
            tax_total=totals.tax_total, total=totals.total, amount_due=totals.total,
        )
        for position, ((q, p), rates, amount) in enumerate(zip(lines, groups, totals.line_amounts)):
            made = InvoiceLine.objects.create(invoice=invoice, position=position, description="Work", quantity=q, unit_price=p, net_amount=amount)
            for rate in rates:
                InvoiceLineTax.objects.create(line=made, tax_rate=rate)
        by_pk = {r.pk: r for r in (vat, reduced, gst, qst)}
        for position, tax in enumerate(totals.taxes):
            rate = by_pk[tax.rate.key]
            InvoiceTaxTotal.objects.create(
                invoice=invoice, tax_rate=rate, name=rate.name, percentage=rate.percentage, compound=rate.compound,
                category="S", taxable_base=tax.taxable_base, tax_amount=tax.tax_amount, position=position,
            )
        if status != "draft":
            Invoice.objects.filter(pk=invoice.pk).update(status=status, number=number, balance_due=totals.total)
        stored[invoice.public_id] = [str(totals.discount), str(totals.tax_total), str(totals.total), len(totals.taxes)]
print(json.dumps(stored))
"""

# After, as the app role: the rows, the old fields, and the engine's totals from the rows.
READ_BACK = """
import json

from invoices.models import Invoice, InvoiceTaxTotal
from invoices.prefetch import prefetch_lines
from invoices.services.allowances import document_rows
from invoices.services.details import document_items, totals_of
from invoices.services.lines import LineData, parse_lines
from tenants.models import Tenant
from tenants.scoping import tenant_scope

found = {}
with tenant_scope(Tenant.objects.get(slug="acme")):
    for invoice in Invoice.objects.order_by("pk"):
        parsed = parse_lines([LineData.from_line(line) for line in prefetch_lines(invoice)], invoice.currency)
        document = document_items(invoice, None)
        totals = totals_of(invoice, parsed, invoice.discount_value, document)
        stored_taxes = [
            (str(tax.taxable_base), str(tax.tax_amount))
            for tax in InvoiceTaxTotal.objects.filter(invoice=invoice).order_by("position")
        ]
        found[invoice.public_id] = {
            "status": invoice.status,
            "discount": [invoice.discount_type, str(invoice.discount_value)],
            "rows": [
                [str(row.amount), row.reason, row.reason_code, row.charge, sorted(t.tax_rate.name for t in row.taxes.all())]
                for row in document_rows(invoice)
            ],
            "stored": [str(invoice.discount_amount), str(invoice.tax_total), str(invoice.total)],
            "engine": [str(totals.discount), str(totals.tax_total), str(totals.total)],
            "taxes": [stored_taxes, [(str(t.taxable_base), str(t.tax_amount)) for t in totals.taxes]],
        }
print(json.dumps(found))
"""


# After migrating back to 0016: each invoice's old discount fields.
BACK = """
from invoiceflow.testing.old_schema import forget_columns_the_database_lacks
forget_columns_the_database_lacks()
import json

from invoices.models import Invoice
from tenants.models import Tenant
from tenants.scoping import tenant_scope

with tenant_scope(Tenant.objects.get(slug="acme")):
    print(json.dumps({i.public_id: [i.discount_type, str(i.discount_value)] for i in Invoice.objects.all()}))
"""


@pytest.fixture(scope="module")
def migrated() -> Iterator[dict[str, Any]]:
    owner_url, app_url = os.environ["DATABASE_OWNER_URL"], os.environ["DATABASE_URL"]
    name = f"{os.environ.get('TEST_DATABASE_NAME') or 'test_invoiceflow'}_discounts"
    with psycopg.connect(owner_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    env = {
        **{k: v for k, v in os.environ.items() if k != "TEST_DATABASE_NAME"},
        "DATABASE_URL": _with_database(app_url, name),
        "DATABASE_OWNER_URL": _with_database(owner_url, name),
        "DATABASE_CONNECT_AS_OWNER": "true",
    }
    try:
        for app, migration in BEFORE:
            _manage(env, "migrate", app, migration, "--no-input", "-v", "0")
        before = json.loads(_manage(env, "shell", "-c", SEED).strip().splitlines()[-1])
        _manage(env, "migrate", "--no-input", "-v", "0")
        app_env = {**env, "DATABASE_CONNECT_AS_OWNER": "false"}
        after = json.loads(_manage(app_env, "shell", "-c", READ_BACK).strip().splitlines()[-1])
        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as app:
            # No tenant set: the policy shows nothing.
            hidden = app.execute("SELECT count(*) FROM invoices_allowancecharge").fetchone()[0]
            violations = rls.rls_violations(app)
        # And back: the discounts return to the old fields.
        _manage(env, "migrate", "invoices", "0016_merge_contacts_and_quote_series", "--no-input", "-v", "0")
        back = json.loads(_manage(env, "shell", "-c", BACK).strip().splitlines()[-1])
        yield {"before": before, "after": after, "back": back, "hidden": hidden, "violations": violations}
    finally:
        with psycopg.connect(owner_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_finalized_discounts_become_one_allowance_per_rate_group(migrated: dict[str, Any]) -> None:
    before, after = migrated["before"], migrated["after"]
    assert len(after) == 4
    for public_id, invoice in after.items():
        discount = before[public_id][0]
        if invoice["status"] == "draft":
            assert invoice["discount"] == ["percent", "10.0000"]
            assert invoice["rows"] == []
            continue
        assert invoice["discount"] == ["amount", "0.0000"]
        if discount == "0.00":
            assert invoice["rows"] == []
            continue
        groups = [names for *_, names in invoice["rows"]]
        # One per rate group with lines: 20 %, 5.5 %, GST + QST, and the untaxed line.
        assert sorted(groups) == sorted([["VAT"], ["Reduced"], ["GST", "QST"], []])
        assert {(reason, code, charge) for _, reason, code, charge, _ in invoice["rows"]} == {
            ("Discount", "95", False)
        }
        assert sum(Decimal(row[0]) for row in invoice["rows"]) == Decimal(discount)


def test_every_invoice_keeps_its_totals_to_the_cent(migrated: dict[str, Any]) -> None:
    for public_id, invoice in migrated["after"].items():
        discount, tax_total, total, _ = migrated["before"][public_id]
        assert invoice["engine"] == [discount, tax_total, total], public_id
        stored_taxes, engine_taxes = invoice["taxes"]
        assert [[Decimal(x) for x in tax] for tax in stored_taxes] == [
            [Decimal(x) for x in tax] for tax in engine_taxes
        ], public_id
        assert len(engine_taxes) == migrated["before"][public_id][3]
        # The stored columns were not touched (4 decimals in the database).
        assert [Decimal(x) for x in invoice["stored"]] == [
            Decimal(discount),
            Decimal(tax_total),
            Decimal(total),
        ]


def test_the_new_tables_are_behind_the_policy(migrated: dict[str, Any]) -> None:
    assert migrated["hidden"] == 0
    assert migrated["violations"] == []


def test_migrating_back_returns_the_discounts_to_the_old_fields(migrated: dict[str, Any]) -> None:
    for public_id, (kind, value) in migrated["back"].items():
        discount = migrated["before"][public_id][0]
        if migrated["after"][public_id]["status"] == "draft":
            assert (kind, Decimal(value)) == ("percent", Decimal("10"))
        else:
            assert (kind, Decimal(value)) == ("amount", Decimal(discount))
