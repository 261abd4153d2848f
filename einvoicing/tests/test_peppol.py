"""The Peppol access-point interface, driven through the in-memory fake."""

from __future__ import annotations

from dataclasses import replace

import pytest

from einvoicing.generate import generate_validated
from einvoicing.model import ElectronicAddress
from einvoicing.peppol import ParticipantId, PeppolError, SubmissionStatus, document_type_for, peppol_send
from einvoicing.syntax import Format
from einvoicing.tests.fake_access_point import InMemoryAccessPointFake
from einvoicing.tests.matrix import matrix
from einvoicing.validation import EInvoiceInvalid


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0088:5790000435975", ParticipantId("0088", "5790000435975")),
        ("iso6523-actorid-upis::9930:DE123456789", ParticipantId("9930", "DE123456789")),
        ("  0204:04011000-1234512345-06 ", ParticipantId("0204", "04011000-1234512345-06")),
    ],
)
def test_participant_ids_parse(text: str, expected: ParticipantId) -> None:
    assert ParticipantId.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("5790000435975", "scheme:identifier"),
        ("EM:a@b.example", "four digits"),
        ("0088:has space", "without spaces"),
    ],
)
def test_bad_participant_ids_are_refused(text: str, message: str) -> None:
    with pytest.raises(PeppolError, match=message):
        ParticipantId.parse(text)


def _registered_fake(invoice) -> InMemoryAccessPointFake:
    fake = InMemoryAccessPointFake()
    address = invoice.buyer.electronic_address
    fake.register(ParticipantId(address.scheme, address.value), document_type_for(invoice))
    return fake


@pytest.mark.parametrize("name", ["standard-rate", "credit-note"])
def test_send_hands_the_validated_ubl_to_the_access_point(name: str) -> None:
    invoice = matrix()[name]
    fake = _registered_fake(invoice)

    submission = peppol_send(invoice=invoice, access_point=fake)

    assert submission.status == SubmissionStatus.ACCEPTED
    [(document, recipient)] = fake.sent
    assert recipient == ParticipantId("0204", "04011000-1234512345-06")
    assert document.sender == ParticipantId("9930", "DE123456789")
    assert document.xml == generate_validated(invoice, Format.UBL)[0]
    root = "CreditNote" if invoice.is_credit_note else "Invoice"
    assert f"::{root}##urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0::2.1" in (
        document.document_type
    )
    assert document.process == "cenbii-procid-ucl::urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"


def test_nothing_is_sent_to_an_unregistered_recipient() -> None:
    fake = InMemoryAccessPointFake()
    with pytest.raises(PeppolError, match="not registered on Peppol"):
        peppol_send(invoice=matrix()["standard-rate"], access_point=fake)
    assert fake.sent == []


def test_nothing_is_sent_without_a_participant_id() -> None:
    invoice = matrix()["standard-rate"]
    fake = _registered_fake(invoice)
    with pytest.raises(PeppolError, match="client has no Peppol participant id"):
        peppol_send(
            invoice=replace(invoice, buyer=replace(invoice.buyer, electronic_address=None)), access_point=fake
        )
    with pytest.raises(PeppolError, match="four digits"):
        peppol_send(
            invoice=replace(
                invoice,
                buyer=replace(invoice.buyer, electronic_address=ElectronicAddress("a@b.example", "EM")),
            ),
            access_point=fake,
        )
    assert fake.sent == []


def test_an_invalid_invoice_is_never_sent() -> None:
    invoice = matrix()["standard-rate"]
    fake = _registered_fake(invoice)
    broken = replace(invoice, totals=replace(invoice.totals, payable=invoice.totals.payable + 1))

    with pytest.raises(EInvoiceInvalid, match="BR-CO-16"):
        peppol_send(invoice=broken, access_point=fake)
    assert fake.sent == []
