"""Helpers for the tenancy and accounts tests: a clean cache, links in emails,
and an RFC 6238 TOTP code generator independent of allauth's."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.cache import cache

URL = re.compile(r"https?://[^\s\"'<>]+")


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    """allauth keeps rate-limit counters and used TOTP codes in the cache: start each test clean."""
    cache.clear()
    yield
    cache.clear()


def links_in(message: mail.EmailMessage) -> list[str]:
    return URL.findall(message.body)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def only_link(message: mail.EmailMessage, contains: str) -> str:
    """The path of the single link in `message` whose URL contains `contains`."""
    found = {path_of(url) for url in links_in(message) if contains in url}
    assert len(found) == 1, f"expected one {contains!r} link in {message.body!r}"
    return found.pop()


def totp_code(secret: str, *, at: float | None = None, period: int = 30, digits: int = 6) -> str:
    """RFC 6238 TOTP (HMAC-SHA1), written out here so the test does not trust allauth's maths."""
    counter = int((time.time() if at is None else at) // period)
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**digits:0{digits}d}"
