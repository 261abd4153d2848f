"""Download links: presigned S3 URLs checked by a real S3 server (SeaweedFS), and the signed,
expiring links of local-storage mode."""

from __future__ import annotations

import base64
import re
import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from botocore.exceptions import ClientError
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils import timezone

from core.downloads import MAX_AGE_SECONDS, content_disposition, download_url
from invoiceflow.testing.s3 import S3Server

PDF = b"%PDF-1.7\n% a test document\n" + bytes(range(256)) * 40
FILENAME = "INV-2026-00042.pdf"


def fetch(url: str) -> tuple[int, bytes, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback S3)
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def store(content: bytes = PDF, name: str = "documents/7f3a9c/v3.pdf") -> str:
    return storages["default"].save(name, ContentFile(content))


# --- Content-Disposition --------------------------------------------------------------------


def test_content_disposition_plain_name():
    assert content_disposition(FILENAME) == 'attachment; filename="INV-2026-00042.pdf"'


def test_content_disposition_unicode_name_has_ascii_fallback_and_utf8_form():
    header = content_disposition("Facture Müller 株式会社.pdf")
    assert header == (
        'attachment; filename="Facture Muller ____.pdf"; '
        "filename*=UTF-8''Facture%20M%C3%BCller%20%E6%A0%AA%E5%BC%8F%E4%BC%9A%E7%A4%BE.pdf"
    )


def test_content_disposition_cannot_inject_headers_or_paths():
    header = content_disposition('../../etc/x"y\r\nSet-Cookie: a=b.pdf')
    assert "\r" not in header
    assert "\n" not in header
    # Quotes and slashes never reach the quoted ASCII form.
    fallback = re.search(r'filename="([^"]*)"', header)
    assert fallback is not None
    assert "/" not in fallback.group(1)
    assert '"' not in fallback.group(1)


def test_expiry_above_five_minutes_is_refused(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(ValueError, match="between 1 and 300"):
        download_url(storage_key="x.pdf", filename=FILENAME, content_type="application/pdf", expires_in=301)


# --- S3 (SeaweedFS enforces signatures and expiry) ------------------------------------------


def test_presigned_url_downloads_the_file_with_its_filename(s3_storage: S3Server):
    key = store()
    url = download_url(storage_key=key, filename=FILENAME, content_type="application/pdf")

    assert url.startswith(s3_storage.endpoint_url + "/")
    assert int(parse_qs(urlsplit(url).query)["X-Amz-Expires"][0]) == MAX_AGE_SECONDS
    status, body, headers = fetch(url)
    assert status == 200
    assert body == PDF
    assert headers["Content-Disposition"] == 'attachment; filename="INV-2026-00042.pdf"'
    assert headers["Content-Type"] == "application/pdf"


def test_presigned_url_keeps_the_file_out_of_caches(s3_storage: S3Server):
    key = store()
    url = download_url(storage_key=key, filename=FILENAME, content_type="application/pdf")
    status, _, headers = fetch(url)
    assert status == 200
    # S3 answers with the Cache-Control the signed URL asks for (response-cache-control).
    assert headers["Cache-Control"] == "private, no-store"
    # The parameter is signed like the others: a URL asking for a cacheable copy is refused.
    cacheable = _tamper_query(url, "response-cache-control", "public%2C%20max-age%3D31536000")
    assert cacheable != url
    assert fetch(cacheable)[0] == 403


def test_presigned_url_carries_a_unicode_filename(s3_storage: S3Server):
    key = store()
    url = download_url(storage_key=key, filename="Rechnung Größe.pdf", content_type="application/pdf")

    status, _, headers = fetch(url)
    assert status == 200
    assert headers["Content-Disposition"] == (
        "attachment; filename=\"Rechnung Gro_e.pdf\"; filename*=UTF-8''Rechnung%20Gr%C3%B6%C3%9Fe.pdf"
    )


def test_the_object_is_not_public(s3_storage: S3Server):
    key = store()
    status, body, _ = fetch(f"{s3_storage.endpoint_url}/{s3_storage.bucket}/{key}")
    assert status == 403
    assert b"AccessDenied" in body


def test_presigned_url_is_refused_once_expired(s3_storage: S3Server):
    key = store()
    # Signed 301 s ago with the longest lifetime we hand out: S3's own clock says it expired.
    with time_machine.travel(timezone.now() - timedelta(seconds=MAX_AGE_SECONDS + 1), tick=False):
        expired = download_url(storage_key=key, filename=FILENAME, content_type="application/pdf")
    with time_machine.travel(timezone.now() - timedelta(seconds=MAX_AGE_SECONDS - 30), tick=False):
        still_valid = download_url(storage_key=key, filename=FILENAME, content_type="application/pdf")

    status, body, _ = fetch(expired)
    assert status == 403
    assert b"expired" in body
    assert fetch(still_valid)[0] == 200


def test_presigned_url_with_a_short_life_expires_after_it(s3_storage: S3Server):
    key = store()
    with time_machine.travel(timezone.now() - timedelta(seconds=5), tick=False):
        url = download_url(storage_key=key, filename=FILENAME, content_type="application/pdf", expires_in=3)
    status, body, _ = fetch(url)
    assert status == 403
    assert b"expired" in body


def _tamper_query(url: str, name: str, new_value: str) -> str:
    return re.sub(rf"([?&]{name}=)[^&]*", lambda m: m.group(1) + new_value, url)


def test_tampered_presigned_urls_are_refused(s3_storage: S3Server):
    key = store()
    other_key = store(b"%PDF another tenant's invoice", "documents/other/v1.pdf")
    url = download_url(storage_key=key, filename=FILENAME, content_type="application/pdf")
    signature = parse_qs(urlsplit(url).query)["X-Amz-Signature"][0]
    flipped = "0" if signature[-1] != "0" else "1"

    attempts = {
        "signature": _tamper_query(url, "X-Amz-Signature", signature[:-1] + flipped),
        "key": url.replace(key, other_key),
        "filename": _tamper_query(url, "response-content-disposition", "attachment%3B%20filename%3Dx.exe"),
        "expiry": _tamper_query(url, "X-Amz-Expires", "604800"),
        "unsigned": url.split("?")[0],
    }
    for what, tampered in attempts.items():
        assert tampered != url, what
        status, body, _ = fetch(tampered)
        assert status == 403, what
        assert b"another tenant" not in body, what
    assert fetch(url)[0] == 200


def test_a_wrong_secret_cannot_read(s3_storage: S3Server):
    key = store()
    with pytest.raises(ClientError, match="SignatureDoesNotMatch"):
        s3_storage.client(secret_key="not-the-secret").get_object(Bucket=s3_storage.bucket, Key=key)


# --- local storage: encrypted, expiring links served by Django -------------------------------


@pytest.fixture
def local_storage(settings, tmp_path, db):
    # `db`: closing a streamed response fires request_finished, whose connection check needs
    # database access when an earlier test left the connection open.
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    return tmp_path


def _body(response) -> bytes:
    try:
        return b"".join(response.streaming_content)
    finally:
        response.close()


def test_local_link_downloads_the_file_with_its_filename(local_storage, client):
    key = store()
    url = download_url(storage_key=key, filename=FILENAME, content_type="application/pdf")

    response = client.get(url)
    assert response.status_code == 200
    assert _body(response) == PDF
    assert response["Content-Disposition"] == 'attachment; filename="INV-2026-00042.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_local_link_never_shows_the_storage_path(local_storage):
    key = store()
    url = download_url(storage_key=key, filename=FILENAME, content_type="application/pdf")
    token = url.rstrip("/").rsplit("/", 1)[1]

    assert "documents" not in url
    # Not merely encoded: the token is encrypted.
    decoded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert b"documents" not in decoded
    assert b"7f3a9c" not in decoded


def test_local_link_expires_after_five_minutes(local_storage, client):
    key = store()
    url = download_url(storage_key=key, filename=FILENAME, content_type="application/pdf")

    with time_machine.travel(timezone.now() + timedelta(seconds=MAX_AGE_SECONDS - 5)):
        response = client.get(url)
        assert response.status_code == 200
        response.close()
    with time_machine.travel(timezone.now() + timedelta(seconds=MAX_AGE_SECONDS + 1)):
        assert client.get(url).status_code == 404


def test_local_link_with_a_short_life_expires_after_it(local_storage, client):
    key = store()
    url = download_url(storage_key=key, filename=FILENAME, content_type="application/pdf", expires_in=10)
    with time_machine.travel(timezone.now() + timedelta(seconds=11)):
        assert client.get(url).status_code == 404


def test_local_link_tampered_or_foreign_is_404(local_storage, client, settings):
    key = store()
    url = download_url(storage_key=key, filename=FILENAME, content_type="application/pdf")
    token = url.rstrip("/").rsplit("/", 1)[1]
    middle = len(token) // 2
    tampered = url.replace(
        token, token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    )

    assert client.get(tampered).status_code == 404
    assert client.get(url.replace(token, "not-a-token")).status_code == 404
    # Issued under another secret (another deployment, or a rotated-out key).
    settings.SECRET_KEY = "another-secret-" + "x" * 50
    assert client.get(url).status_code == 404


def test_local_link_survives_key_rotation_through_fallbacks(local_storage, client, settings):
    key = store()
    url = download_url(storage_key=key, filename=FILENAME, content_type="application/pdf")
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "the-new-secret-" + "y" * 50

    response = client.get(url)
    assert response.status_code == 200
    assert _body(response) == PDF


def test_local_link_to_a_deleted_file_is_404(local_storage, client):
    key = store()
    url = download_url(storage_key=key, filename=FILENAME, content_type="application/pdf")
    storages["default"].delete(key)
    assert client.get(url).status_code == 404


def test_local_link_only_answers_get(local_storage, client):
    key = store()
    url = download_url(storage_key=key, filename=FILENAME, content_type="application/pdf")
    assert client.post(url).status_code == 405
