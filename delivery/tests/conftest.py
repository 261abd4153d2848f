"""Fixtures of the email tests: a real SMTP server on loopback and links to the test server
(tasks run in-process through the root conftest).
pytest finds them here for every test of this directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from delivery.tests.smtp import SMTPServer, point_django_at, start_smtp_server

SITE = "http://testserver"


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SMTPServer]:
    """A real SMTP server on loopback, and Django's email settings pointed at it."""
    server = start_smtp_server()
    point_django_at(settings, server.host, server.port)
    try:
        yield server
    finally:
        server.controller.stop()


@pytest.fixture
def mail_env(
    settings: Any,
    tmp_path: Path,
    smtp_server: SMTPServer,
    django_capture_on_commit_callbacks: Any,
) -> SMTPServer:
    """Emails go through the loopback SMTP server, tasks run in-process after commit, and
    links in emails point at the test client's host."""
    settings.SITE_URL = SITE
    settings.MEDIA_ROOT = tmp_path / "media"  # PDFs stored for the client's page
    settings.EMAIL_RETRY_BACKOFF_SECONDS = 0
    settings.EMAIL_SEND_MAX_RETRIES = 2
    # The public page's rate limiter counts per IP across tests (Redis): not what these test.
    settings.INVOICE_LINK_RATE_LIMIT = 100_000
    return smtp_server
