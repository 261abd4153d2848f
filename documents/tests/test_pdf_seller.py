"""The PDF states the seller and where to pay: page 1 turned into a PNG (pdftoppm), its text read
(pdftotext) and its QR code decoded (zbarimg), as a client and their banking app would."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from documents.render import load_invoice_for_render, render_invoice_html, render_invoice_pdf
from documents.tests.pdf_samples import sample_invoice
from invoices import services
from invoices.tests.factories import ClientFactory, TaxRateFactory, line, make_invoice
from tenants.models import Membership, Role, Tenant
from tenants.scoping import tenant_scope
from tenants.tests.factories import MembershipFactory, TenantFactory

pytestmark = pytest.mark.django_db


def _page_one(pdf: bytes, directory: Path) -> tuple[str, Path]:
    """The first page's text and its PNG (150 dpi). INVOICEFLOW_KEEP_PNG=dir keeps a copy to look at."""
    path = directory / "invoice.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", "-f", "1", "-l", "1", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "150",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(path),
            str(directory / "page"),
        ],
        check=True,
    )
    png = directory / "page.png"
    keep = os.environ.get("INVOICEFLOW_KEEP_PNG")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        (Path(keep) / f"{directory.name}.png").write_bytes(png.read_bytes())
    return " ".join(text.split()), png


def _qr_text(png: Path) -> str:
    """What zbarimg decodes from the image (every code's text; empty when it finds none)."""
    return subprocess.run(["zbarimg", "--quiet", "--raw", str(png)], capture_output=True, text=True).stdout


def test_page_one_shows_the_seller_the_bank_account_the_reference_and_the_epc_qr(
    tenant: Tenant, owner_membership: Membership, tmp_path: Path
) -> None:
    with tenant_scope(tenant):
        services.company_profile_update(
            actor=owner_membership,
            legal_name="Acme Design SARL",
            trading_name="Acme",
            registration_scheme="FR:SIREN",
            registration_number="303265045",
            email="billing@acme.example",
            legal_mentions="SARL au capital de 10 000 € · RCS Paris 303 265 045",
        )
        services.bank_account_create(
            actor=owner_membership,
            holder_name="Acme Design SARL",
            bank_name="Commerzbank",
            country="DE",
            currency="EUR",
            iban="DE89370400440532013000",
            bic="COBADEFFXXX",
            payment_means="58",
        )
        invoice = sample_invoice(lines=3, actor=owner_membership)
        pdf = render_invoice_pdf(load_invoice_for_render(invoice_pk=invoice.pk))
    text, png = _page_one(pdf, tmp_path)
    for expected in (
        "Acme Design SARL",
        "trading as Acme",
        "12 Rue des Arts",
        "75003 Paris",
        "VAT number: FR40303265045",
        "SIREN: 303265045",
        "DE89 3704 0044 0532 0130 00",
        "COBADEFFXXX",
        f"Payment reference: {invoice.number}",
        "SEPA credit transfer",
    ):
        assert expected in text, expected
    payload = _qr_text(png).splitlines()
    assert payload[0] == "BCD"  # the EPC069-12 service tag
    assert "DE89370400440532013000" in payload


def test_the_epc_qr_carries_the_iban_amount_and_reference(
    tenant: Tenant, owner_membership: Membership, tmp_path: Path
) -> None:
    with tenant_scope(tenant):
        services.bank_account_create(
            actor=owner_membership,
            country="DE",
            currency="EUR",
            iban="DE89370400440532013000",
            bic="COBADEFFXXX",
        )
        invoice = make_invoice(actor=owner_membership, lines=[line("Design", "2", "100.00")], finalize=True)
        pdf = render_invoice_pdf(load_invoice_for_render(invoice_pk=invoice.pk))
    _text, png = _page_one(pdf, tmp_path)
    payload = _qr_text(png).strip().splitlines()
    assert payload[:3] == ["BCD", "002", "1"]
    assert "DE89370400440532013000" in payload
    assert "EUR200" in payload  # EPC069-12: the amount without trailing zeros
    assert invoice.number in payload


def test_a_chf_invoice_carries_the_swiss_qr_bill(tmp_path: Path) -> None:
    tenant = TenantFactory(country="CH", default_currency="CHF", company_profile=False)
    owner = MembershipFactory(tenant=tenant, role=Role.OWNER)
    with tenant_scope(tenant):
        services.company_profile_update(
            actor=owner,
            legal_name="Muster AG",
            address_line1="Bahnhofstrasse 10",
            postal_code="8001",
            city="Zürich",
            country="CH",
            vat_id="CHE-109.322.551 MWST",
        )
        services.bank_account_create(
            actor=owner, country="CH", currency="CHF", iban="CH93 0076 2011 6238 5295 7"
        )
        vat = TaxRateFactory(name="MWST", percentage=Decimal("8.1"))
        client = ClientFactory(
            currency="CHF", country="CH", address_line1="Rue du Lac 1", postal_code="1204", city="Genève"
        )
        invoice = make_invoice(
            actor=owner, client=client, lines=[line("Beratung", "1", "1000.00", tax_rates=[vat])]
        )
        invoice = services.invoice_finalize(actor=owner, invoice=invoice)
        pdf = render_invoice_pdf(load_invoice_for_render(invoice_pk=invoice.pk))
    path = tmp_path / "bill.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    assert "Payment part" in text  # the QR-bill on a page of its own, after the invoice
    assert "CH93 0076 2011 6238 5295 7" in text
    # The code itself: zbar cannot be relied on to read it off the page, because the Swiss cross
    # covers its centre (within the code's error correction, which banking apps use; zbar copes
    # at some resolutions only). So the bill's own SVG, as the PDF embeds it, is read without
    # the cross.
    with tenant_scope(tenant):
        html = render_invoice_html(load_invoice_for_render(invoice_pk=invoice.pk))
    uri = re.search(r'<div class="qr-bill"><img src="data:image/svg\+xml;base64,([^"]+)"', html)
    svg = base64.b64decode(uri.group(1)).decode()
    svg = re.sub(r'<g id="swiss-cross".*?</g>', "", svg, flags=re.DOTALL)
    (tmp_path / "bill.svg").write_text(svg)
    (tmp_path / "bill.html").write_text('<img src="bill.svg" style="width:210mm">')
    subprocess.run(
        [sys.executable, "-m", "weasyprint", str(tmp_path / "bill.html"), str(tmp_path / "code.pdf")],
        check=True,
    )
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-singlefile", str(tmp_path / "code.pdf"), str(tmp_path / "code")],
        check=True,
    )
    lines = _qr_text(tmp_path / "code.png").splitlines()
    assert lines[0] == "SPC"  # the Swiss Payments Code header
    assert "CH9300762011623852957" in lines
    assert "1081.00" in lines
    assert invoice.number in lines
