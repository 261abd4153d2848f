"""Sending over the Peppol network, through an access-point provider.

We do not run a Peppol access point (AS4, SMP lookups, certificates): a provider does. This
module defines what we hand it and what we need to know about the recipient; a real provider's
adapter implements `AccessPoint` in a later step. The tests drive an in-memory fake
(`einvoicing/tests/fake_access_point.py`), which is not for production use.

What the client record needs (added by the integration step): the buyer's Peppol participant
id, a scheme (an EAS code: 0088 GLN, 0192 Norwegian org number, 0208 Belgian enterprise
number, 9930 German VAT number, 0204 Leitweg-ID, …) and a value. It is also the buyer's
electronic address (BT-49) in the documents we write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from einvoicing.generate import generate_validated
from einvoicing.model import ElectronicAddress, Invoice
from einvoicing.syntax import PEPPOL_CUSTOMIZATION, PEPPOL_PROFILE, Format

PARTICIPANT_SCHEME = "iso6523-actorid-upis"
DOCUMENT_SCHEME = "busdox-docid-qns"
PROCESS_SCHEME = "cenbii-procid-ucl"
_SCHEME = re.compile(r"^\d{4}$")
_VALUE = re.compile(r"^[^\s:]{1,50}$")


class PeppolError(ValueError):
    """A Peppol id or a send that cannot go ahead, in plain words."""


@dataclass(frozen=True)
class ParticipantId:
    """A Peppol participant: an EAS scheme (four digits) and the identifier within it."""

    scheme: str
    value: str

    def __post_init__(self) -> None:
        if not _SCHEME.match(self.scheme):
            raise PeppolError(f"A Peppol scheme is four digits (e.g. 0088, 9930); '{self.scheme}' is not.")
        if not _VALUE.match(self.value):
            raise PeppolError("A Peppol identifier is 1 to 50 characters without spaces or colons.")

    @classmethod
    def parse(cls, text: str) -> ParticipantId:
        """Read '0088:5790000435975' or 'iso6523-actorid-upis::0088:5790000435975'."""
        text = text.strip()
        if text.lower().startswith(PARTICIPANT_SCHEME + "::"):
            text = text[len(PARTICIPANT_SCHEME) + 2 :]
        scheme, sep, value = text.partition(":")
        if not sep:
            raise PeppolError("Write a Peppol id as scheme:identifier, e.g. 0088:5790000435975.")
        return cls(scheme, value)

    def __str__(self) -> str:
        return f"{PARTICIPANT_SCHEME}::{self.scheme}:{self.value.lower()}"


class SubmissionStatus(StrEnum):
    ACCEPTED = "accepted"  # the provider took it and will deliver it
    DELIVERED = "delivered"  # the recipient's access point confirmed receipt
    REJECTED = "rejected"  # the provider or the recipient refused it


@dataclass(frozen=True)
class PeppolDocument:
    """What an access point needs to route one business document."""

    xml: bytes
    sender: ParticipantId
    document_number: str
    document_type: str  # Peppol document type identifier (busdox-docid-qns)
    process: str  # Peppol process identifier (cenbii-procid-ucl)


@dataclass(frozen=True)
class Submission:
    message_id: str  # the provider's id for the transmission, kept to follow its status
    status: SubmissionStatus
    detail: str = ""


class AccessPoint(Protocol):
    """An access-point provider's API, as the rest of InvoiceFlow sees it."""

    def can_receive(self, recipient: ParticipantId, document_type: str) -> bool:
        """Whether the recipient is registered (SMP) for this document type."""
        ...

    def send(self, document: PeppolDocument, recipient: ParticipantId) -> Submission:
        """Hand the document to the provider; raises `PeppolError` when it refuses it outright."""
        ...


def document_type_for(invoice: Invoice) -> str:
    root, namespace = (
        ("CreditNote", "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2")
        if invoice.is_credit_note
        else ("Invoice", "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2")
    )
    return f"{DOCUMENT_SCHEME}::{namespace}::{root}##{PEPPOL_CUSTOMIZATION}::2.1"


def participant_of(address: ElectronicAddress | None) -> ParticipantId | None:
    return None if address is None else ParticipantId(address.scheme, address.value)


def peppol_send(*, invoice: Invoice, access_point: AccessPoint) -> Submission:
    """Send an invoice to its buyer over Peppol: validated UBL (Peppol BIS 3.0) or nothing."""
    recipient = participant_of(invoice.buyer.electronic_address)
    sender = participant_of(invoice.seller.electronic_address)
    if recipient is None:
        raise PeppolError("The client has no Peppol participant id; add it to the client first.")
    if sender is None:
        raise PeppolError("Your workspace has no Peppol participant id; add it in the settings first.")
    document_type = document_type_for(invoice)
    if not access_point.can_receive(recipient, document_type):
        raise PeppolError(
            f"{recipient.scheme}:{recipient.value} is not registered on Peppol for this document type."
        )
    xml, _report = generate_validated(invoice, Format.UBL)
    document = PeppolDocument(
        xml=xml,
        sender=sender,
        document_number=invoice.number,
        document_type=document_type,
        process=f"{PROCESS_SCHEME}::{PEPPOL_PROFILE}",
    )
    return access_point.send(document, recipient)
