"""Where rendered files live: keys derived from what they contain, written in place.

A key is a hash of (tenant, invoice, content version, format): rendering the same version
again writes the same object (so a re-run task, or two racing ones, leave exactly one), a new
version gets a new object, and the key reveals nothing. Users never see keys: downloads go
through `core.downloads.download_url`.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, storages

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "zip": "application/zip",
}


def _digest(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()


def document_storage_key(
    *, tenant_public_id: str, invoice_public_id: str, content_version: int, format: str
) -> str:
    digest = _digest("invoice-document", tenant_public_id, invoice_public_id, content_version, format)
    return f"documents/{digest[:2]}/{digest}.{format}"


def bulk_storage_key(*, tenant_public_id: str, job_public_id: str) -> str:
    digest = _digest("bulk-archive", tenant_public_id, job_public_id)
    return f"documents/archives/{digest}.zip"


def store_exact(key: str, content: bytes) -> None:
    """Write `content` at exactly `key` in the default storage, replacing what is there.

    S3 (django-storages, AWS_S3_FILE_OVERWRITE) puts the object at the key in one request.
    On the local file system Django's `save()` would pick another name if the file exists, so
    the file is written beside it and renamed over it: a reader (or a worker killed midway)
    never sees half a file.
    """
    storage = storages["default"]
    if isinstance(storage, FileSystemStorage):
        path = Path(storage.path(key))
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".partial-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(content)
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return
    saved = storage.save(key, ContentFile(content))
    if saved != key:
        raise RuntimeError(f"storage wrote {saved!r} instead of {key!r}: enable file overwrite")


def read(key: str) -> bytes:
    with storages["default"].open(key, "rb") as stored:
        return stored.read()


def exists(key: str) -> bool:
    return storages["default"].exists(key)
