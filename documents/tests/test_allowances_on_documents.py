"""The invoice documents print each allowance and charge with its reason and amount (the
invoice's own in the totals, a line's under its description) and each exemption's VATEX code
beside its text: the invoice page (the template the finalize and client pages share) and the
PDF, read as a person would. A discount split per rate group by the migration prints once."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from documents.render import load_invoice_for_render, render_invoice_pdf
from documents.tests.test_pdf_render import pdf_text
from invoices import allowance_display
from invoices.models import AllowanceCharge, TaxCategory
from invoices.tests.factories import ClientFactory, TaxRateFactory, line, make_invoice
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db
MINUS = "\N{MINUS SIGN}"  # as the documents print a reduction


def _invoice(*, finalize: bool = True):
    standard = TaxRateFactory(name="VAT 20", percentage=Decimal("20"), category=TaxCategory.STANDARD)
    exempt = TaxRateFactory(
        name="Exempt",
        percentage=Decimal("0"),
        category=TaxCategory.EXEMPT,
        exemption_reason="Exempt medical care",
        exemption_code="VATEX-EU-132-1B",
    )
    design = line("Design", "10", "80.00", tax_rates=[standard])
    design.allowances_charges = [{"percentage": "10", "reason": "Loyal client", "reason_code": "100"}]
    care = line("Care", "1", "50.00", tax_rates=[exempt])
    return make_invoice(
        client=ClientFactory(name="Client SA", country="FR", city="Paris", tax_id="FR40303265045"),
        lines=[design, care],
        finalize=finalize,
        allowances_charges=[
            {"charge": True, "amount": "15.00", "reason_code": "FC", "tax_rates": [standard]},
            {"amount": "7.00", "reason": "Early booking", "tax_rates": [standard]},
        ],
    )


def test_the_invoice_page_shows_them(tenant, owner_client):
    with tenant_scope(tenant):
        invoice = _invoice()
    page = owner_client.get(reverse("invoice_detail", args=[tenant.slug, invoice.public_id]))
    assert page.status_code == 200
    text = page.content.decode()
    assert f"Loyal client (10 %) {MINUS}€80.00" in text
    assert "Freight service</dt><dd>+€15.00" in text  # the code's name, no reason text given
    assert f"Early booking</dt><dd>{MINUS}€7.00" in text
    assert "Exempt medical care (VATEX-EU-132-1B)" in text


def test_the_pdf_prints_them(tenant, tmp_path: Path):
    with tenant_scope(tenant):
        invoice = _invoice()
        text = pdf_text(render_invoice_pdf(load_invoice_for_render(invoice_pk=invoice.pk)), tmp_path)
    flat = " ".join(text.split())
    assert f"Loyal client (10 %) {MINUS}€80.00" in flat
    assert "Freight service +€15.00" in flat
    assert f"Early booking {MINUS}€7.00" in flat
    assert "Exempt medical care (VATEX-EU-132-1B)" in flat


def test_a_discount_split_per_rate_group_prints_once(in_tenant):
    invoice = _invoice(finalize=False)  # a finalized invoice's rows are frozen
    rows = AllowanceCharge.objects.filter(invoice=invoice, line__isnull=True)
    # As the migration leaves an old discount: one "Discount" allowance per rate group.
    AllowanceCharge.objects.filter(pk__in=rows.values("pk")).update(
        charge=False, reason="Discount", reason_code="95"
    )
    invoice.__dict__.pop("_allowances_charges", None)
    items = allowance_display.document_items(invoice)
    assert [(item["label"], item["amount"]) for item in items] == [("Discount", Decimal("22.0000"))]


def test_the_exports_state_them(tenant, owner_client):
    import csv
    import io

    from openpyxl import load_workbook

    from documents.exports import LINE_HEADER

    with tenant_scope(tenant):
        invoice = _invoice()
    url = reverse("invoice_export", args=[tenant.slug, invoice.public_id, "csv"])
    rows = list(csv.reader(io.StringIO(owner_client.get(url).content.decode())))
    assert ["Charge: Freight service", "15.00"] in rows
    assert ["Allowance: Early booking", "-7.00"] in rows
    lines = rows[rows.index(LINE_HEADER) + 1 :]
    assert lines[0][-1] == "Loyal client -80.00"
    url = reverse("invoice_export", args=[tenant.slug, invoice.public_id, "xlsx"])
    workbook = load_workbook(io.BytesIO(owner_client.get(url).content))
    header = {row[0]: row[1] for row in workbook["Invoice"].iter_rows(values_only=True)}
    assert header["Charge: Freight service"] == 15
    assert header["Allowance: Early booking"] == -7


def test_the_clients_public_page_shows_them(tenant, owner_membership, client):
    from portal.services import invoice_link_issue

    with tenant_scope(tenant):
        invoice = _invoice()
        _, token = invoice_link_issue(actor=owner_membership, invoice=invoice)
    text = client.get(f"/i/{token}").content.decode()
    assert f"Loyal client (10 %) {MINUS}€80.00" in text
    assert "Freight service</dt><dd>+€15.00" in text
    assert "Exempt medical care (VATEX-EU-132-1B)" in text
