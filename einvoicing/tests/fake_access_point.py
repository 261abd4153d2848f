"""An in-memory stand-in for a Peppol access-point provider. FOR TESTS ONLY.

It speaks our `AccessPoint` protocol, keeps what it was sent, and answers SMP lookups from a
list of registered participants. It delivers nothing anywhere.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from einvoicing.peppol import ParticipantId, PeppolDocument, PeppolError, Submission, SubmissionStatus


@dataclass
class InMemoryAccessPointFake:
    registered: dict[ParticipantId, set[str]] = field(default_factory=dict)
    sent: list[tuple[PeppolDocument, ParticipantId]] = field(default_factory=list)
    refuse_with: str = ""
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def register(self, participant: ParticipantId, document_type: str) -> None:
        self.registered.setdefault(participant, set()).add(document_type)

    def can_receive(self, recipient: ParticipantId, document_type: str) -> bool:
        return document_type in self.registered.get(recipient, set())

    def send(self, document: PeppolDocument, recipient: ParticipantId) -> Submission:
        if self.refuse_with:
            raise PeppolError(self.refuse_with)
        self.sent.append((document, recipient))
        return Submission(message_id=f"fake-{next(self._ids)}", status=SubmissionStatus.ACCEPTED)
