"""Emoji in names and lines are drawn in the PDF with the bundled Noto Emoji, not as empty boxes:
the font is embedded, the text reads back, and two different emoji draw two different pictures
(two .notdef boxes would be the same picture)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from documents.render import load_invoice_for_render, render_invoice_pdf
from documents.tests.pdf_samples import sample_invoice
from invoices import services as invoice_services
from invoices.tests.factories import line
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


def _pdf(owner_membership, emoji: str) -> bytes:
    invoice = sample_invoice(
        client_name=f"Café {emoji} Studio", lines=1, finalize=False, actor=owner_membership
    )
    invoice = invoice_services.invoice_update_draft(
        actor=owner_membership, invoice=invoice.public_id, lines=[line(f"Design {emoji}", "1", "10.00")]
    )
    return render_invoice_pdf(load_invoice_for_render(invoice_pk=invoice.pk))


def _png(pdf: bytes, path: Path) -> Image.Image:
    path.with_suffix(".pdf").write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "100",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(path.with_suffix(".pdf")),
            str(path),
        ],
        check=True,
    )
    return Image.open(path.with_suffix(".png")).convert("L")


def test_emoji_are_drawn_with_the_bundled_font(tenant, owner_membership, tmp_path: Path) -> None:
    with tenant_scope(tenant):
        rocket = _pdf(owner_membership, "🚀")
        palette = _pdf(owner_membership, "🎨")
    (tmp_path / "rocket.pdf").write_bytes(rocket)
    fonts = subprocess.run(
        ["pdffonts", str(tmp_path / "rocket.pdf")], check=True, capture_output=True, text=True
    ).stdout
    assert "+Noto-Emoji" in fonts
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "rocket.pdf"), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "Café 🚀 Studio" in text
    assert "Design 🚀" in text
    # Identical pages would mean both emoji fell back to the same empty box.
    difference = ImageChops.difference(_png(rocket, tmp_path / "rocket"), _png(palette, tmp_path / "palette"))
    changed = sum(1 for value in difference.getdata() if value > 64)
    assert changed > 100, changed
