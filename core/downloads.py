"""Short-lived download links for stored files (PDFs, exports), whatever the storage.

`download_url()` is called by a view that has already checked who may download (a member of
the file's tenant). What it returns is a bearer link that works for at most five minutes:

- with S3 (django-storages' S3Storage), a presigned GET URL: S3 itself checks the signature
  and the expiry, and answers with our Content-Disposition and `Cache-Control: private,
  no-store` (`response-content-disposition`, `response-cache-control`, both signed). S3 has no
  such parameter for `X-Robots-Tag`: the link itself, unpublished and dead in five minutes, is
  what keeps the file out of search engines;
- with local storage, a link to `serve_download` below carrying an encrypted, timestamped
  token. Encrypted, not just signed: a signed token is readable base64, and the storage path
  must not be shown. The view refuses a token that is expired, altered or not ours with 404.

In S3 mode the object key is part of the presigned URL's path (S3 signs the path), so keys
should be opaque: public ids and hashes, never names.
"""

from __future__ import annotations

import base64
import json
import re
import time
import unicodedata
from typing import TYPE_CHECKING, Any, TypeGuard
from urllib.parse import quote

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import storages
from django.http import FileResponse, Http404, HttpRequest
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.views.decorators.http import require_safe

from core.headers import NO_INDEX, PRIVATE_CACHE_CONTROL

if TYPE_CHECKING:
    from storages.backends.s3 import S3Storage

# The ceiling for every download link.
MAX_AGE_SECONDS = 300
# The salt keeps its first module path: tokens already issued must still decrypt.
_KEY_SALT = "invoiceflow.downloads.token-key"


def download_url(
    *, storage_key: str, filename: str, content_type: str, expires_in: int = MAX_AGE_SECONDS
) -> str:
    """A link that downloads `storage_key` from the default storage as `filename`.

    Absolute (presigned S3) or site-relative (local storage); valid for `expires_in` seconds,
    at most MAX_AGE_SECONDS.
    """
    if not 0 < expires_in <= MAX_AGE_SECONDS:
        raise ValueError(f"expires_in must be between 1 and {MAX_AGE_SECONDS} seconds")
    storage = storages["default"]
    disposition = content_disposition(filename)
    if _is_s3(storage):
        if not storage.querystring_auth or storage.custom_domain:
            # Either would hand out a URL that is public or never expires.
            raise ImproperlyConfigured("S3 downloads need AWS_QUERYSTRING_AUTH=True and no custom domain.")
        return storage.url(
            storage_key,
            parameters={
                "ResponseContentDisposition": disposition,
                "ResponseContentType": content_type,
                "ResponseCacheControl": PRIVATE_CACHE_CONTROL,
            },
            expire=expires_in,
        )
    token = _fernet().encrypt(
        json.dumps({"k": storage_key, "f": filename, "t": content_type, "e": expires_in}).encode()
    )
    return reverse("signed_download", kwargs={"token": token.decode("ascii")})


@require_safe
def serve_download(request: HttpRequest, token: str) -> FileResponse:
    """Stream a file of the local storage named by a valid, unexpired token; 404 otherwise."""
    payload = read_token(token)
    if payload is None:
        raise Http404("This download link is invalid or has expired.")
    storage = storages["default"]
    try:
        stored = storage.open(payload["k"], "rb")
    except (FileNotFoundError, OSError):
        raise Http404("This file is no longer available.") from None
    response = FileResponse(stored, content_type=payload["t"])
    response["Content-Disposition"] = content_disposition(payload["f"])
    # A bearer link: keep it out of caches, search engines and the Referer of anything it links to.
    response["Cache-Control"] = PRIVATE_CACHE_CONTROL
    response["X-Robots-Tag"] = NO_INDEX
    response["Referrer-Policy"] = "no-referrer"
    return response


def read_token(token: str) -> dict[str, Any] | None:
    """The payload of a token we issued less than its lifetime ago, or None."""
    fernet = _fernet()
    try:
        raw_token = token.encode("ascii")
        payload = json.loads(fernet.decrypt(raw_token, ttl=MAX_AGE_SECONDS))
    except (InvalidToken, UnicodeEncodeError, ValueError):
        return None
    # Only `download_url` mints tokens, but a payload of another shape (an older format, a
    # leaked key) must be a 404 like any bad link, not a crash further down.
    if not _is_token_payload(payload):
        return None
    # The link's own lifetime, when shorter than the ceiling.
    if fernet.extract_timestamp(raw_token) + payload["e"] < time.time():
        return None
    return payload


def _is_token_payload(payload: Any) -> bool:
    return (
        isinstance(payload, dict)
        and all(isinstance(payload.get(key), str) for key in ("k", "f", "t"))
        and "\x00" not in payload["k"]
        and type(payload.get("e")) is int
    )


def content_disposition(filename: str, *, attachment: bool = True) -> str:
    """An RFC 6266 header value: a plain ASCII `filename` for every client, plus `filename*`
    (RFC 8187, UTF-8) when the name has characters ASCII cannot carry."""
    name = _CONTROL_OR_SEPARATOR.sub("_", filename).strip() or "download"
    fallback = _ascii_fallback(name)
    header = f'{"attachment" if attachment else "inline"}; filename="{fallback}"'
    if fallback != name:
        header += f"; filename*=UTF-8''{quote(name, safe='')}"
    return header


_CONTROL_OR_SEPARATOR = re.compile(r"[\x00-\x1f\x7f/\\]")
_NOT_PLAIN = re.compile(r"[^A-Za-z0-9 ._()+,=@-]")


def _ascii_fallback(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    cleaned = _NOT_PLAIN.sub("_", ascii_only).strip(" .")
    return cleaned or "download"


def _is_s3(storage: object) -> TypeGuard[S3Storage]:
    # django-storages ships no types: the guard tells mypy `storage` is no plain `Storage`.
    from storages.backends.s3 import S3Storage

    return isinstance(storage, S3Storage)


def _fernet() -> MultiFernet:
    # Keys derived from SECRET_KEY (then its fallbacks): rotating the secret retires old links.
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([Fernet(_fernet_key(secret)) for secret in secrets])


def _fernet_key(secret: str) -> bytes:
    digest = salted_hmac(_KEY_SALT, "fernet", secret=secret, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest)
