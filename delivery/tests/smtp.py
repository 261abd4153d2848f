"""A real SMTP server on loopback for the email tests (aiosmtpd), and helpers to read what it got.

`start_smtp_server` starts `aiosmtpd.controller.Controller` on 127.0.0.1 on a free port (in a thread
of the test process); the `smtp_server` fixture (conftest.py) also points Django's SMTP backend at
it. `.messages` are the received emails,
parsed (`email.message.EmailMessage`) with their SMTP envelope. `.refuse_with` makes the server
answer DATA with that reply (e.g. "451 4.3.0 Try again later") to test retries.
"""

from __future__ import annotations

import email
import email.policy
import re
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from invoiceflow.testing.processes import free_port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, content_type: str) -> str:
        for part in self.message.walk():
            if part.get_content_type() == content_type and not part.get_filename():
                return part.get_content()
        raise AssertionError(f"no {content_type} part in {self.subject!r}")

    @property
    def text(self) -> str:
        return self.part("text/plain")

    @property
    def html(self) -> str:
        return self.part("text/html")

    def attachments(self) -> list[tuple[str, str, bytes]]:
        return [
            (part.get_filename(), part.get_content_type(), part.get_payload(decode=True))
            for part in self.message.walk()
            if part.get_filename()
        ]

    def links(self) -> list[str]:
        return re.findall(r"https?://[^\s\"'<>]+/i/[A-Za-z0-9_\-]+", self.text)


@dataclass
class _Handler:
    messages: list[Received] = field(default_factory=list)
    refuse_with: str = ""
    attempts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.attempts += 1
            if self.refuse_with:
                return self.refuse_with
            parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 OK: queued"


class SMTPServer:
    def __init__(self, controller: Controller, handler: _Handler) -> None:
        self.controller = controller
        self.handler = handler
        self.host = controller.hostname
        self.port = controller.port

    @property
    def messages(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.messages)

    @property
    def attempts(self) -> int:
        return self.handler.attempts

    def refuse(self, reply: str = "451 4.3.0 Try again later") -> None:
        self.handler.refuse_with = reply

    def accept(self) -> None:
        self.handler.refuse_with = ""

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages) >= count:
                return self.messages
            time.sleep(0.05)
        raise AssertionError(f"expected {count} emails, got {len(self.messages)}")

    def to(self, address: str) -> list[Received]:
        return [message for message in self.messages if address in message.rcpt_tos]


def start_smtp_server() -> SMTPServer:
    handler = _Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    return SMTPServer(controller, handler)


def point_django_at(settings: Any, host: str, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = host
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
