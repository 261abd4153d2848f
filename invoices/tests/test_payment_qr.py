"""Payment QR codes: the EPC GiroCode decoded back by zbarimg, and the Swiss QR-bill SVG."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from defusedxml import ElementTree

from core.errors import ApplicationError
from invoices.payment_qr import EpcPayment, SwissAddress, epc_qr_png, epc_qr_svg, swiss_qr_bill_svg

PAYMENT = EpcPayment(
    beneficiary="Ärzte & Söhne GmbH",
    iban="DE89 3704 0044 0532 0130 00",
    amount=Decimal("1234.50"),
    remittance_text="Invoice INV-2026-00042",
    bic="COBADEFFXXX",
)


def decode(png: bytes) -> str:
    zbarimg = shutil.which("zbarimg")
    assert zbarimg, "zbar-tools is in ./dev's TEST_PACKAGES"
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "qr.png"
        path.write_bytes(png)
        result = subprocess.run(
            [zbarimg, "--quiet", "--raw", "-Sbinary", str(path)], capture_output=True, check=True, timeout=30
        )
    return result.stdout.decode("utf-8").rstrip("\n")


def test_the_girocode_carries_the_epc069_12_fields() -> None:
    png = epc_qr_png(PAYMENT)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    lines = decode(png).split("\n")
    assert lines == [
        "BCD",  # service tag
        "002",  # version
        "1",  # UTF-8
        "SCT",  # SEPA credit transfer
        "COBADEFFXXX",
        "Ärzte & Söhne GmbH",
        "DE89370400440532013000",
        "EUR1234.5",
        "",  # purpose
        "",  # structured reference: none, the text below instead
        "Invoice INV-2026-00042",
    ]


def test_the_girocode_as_svg() -> None:
    svg = epc_qr_svg(PAYMENT)
    assert ElementTree.fromstring(svg).tag.endswith("svg")


@pytest.mark.parametrize(
    "change",
    [
        {"amount": Decimal(0)},
        {"amount": Decimal("1000000000")},
        {"beneficiary": "x" * 71},
        {"remittance_text": ""},
        {"iban": "DE89370400440532013001"},
    ],
)
def test_the_girocode_refuses_what_epc069_12_refuses(change: dict) -> None:
    with pytest.raises(ApplicationError):
        epc_qr_png(EpcPayment(**{**PAYMENT.__dict__, **change}))


CREDITOR = SwissAddress("Robert Schneider AG", "Rue du Lac", "1268", "2501", "Biel", "CH")


def test_swiss_qr_bill() -> None:
    svg = swiss_qr_bill_svg(
        iban="CH44 3199 9123 0008 8901 2",  # a QR-IBAN: it takes a QR reference
        creditor=CREDITOR,
        amount=Decimal("1949.75"),
        reference_number="210000000003139471430009017",
        debtor=SwissAddress(
            "Pia-Maria Rutschmann-Schnyder", "Grosse Marktgasse", "28", "9400", "Rorschach", "CH"
        ),
    )
    root = ElementTree.fromstring(svg)
    assert root.tag.endswith("svg")
    assert "1 949.75" in svg
    assert "Robert Schneider AG" in svg


@pytest.mark.parametrize(
    "kwargs",
    [
        {"iban": "DE89370400440532013000"},  # not a Swiss or Liechtenstein account
        {"iban": "CH4431999123000889012", "reference_number": ""},  # a QR-IBAN needs a QR reference
        {"currency": "USD"},
    ],
)
def test_swiss_qr_bill_refusals(kwargs: dict) -> None:
    arguments = {
        "iban": "CH4431999123000889012",
        "creditor": CREDITOR,
        "amount": Decimal(10),
        "reference_number": "210000000003139471430009017",
        **kwargs,
    }
    with pytest.raises(ApplicationError):
        swiss_qr_bill_svg(**arguments)
