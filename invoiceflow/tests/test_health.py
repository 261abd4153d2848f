"""/healthz and /readyz: fast, JSON, "ok"/"fail" per component, nothing internal leaked."""

from __future__ import annotations

import json
import logging
import socket
from pathlib import Path

import pytest
from django.db import connections
from django.db.utils import ConnectionHandler
from django.test import Client

from invoiceflow import health
from invoiceflow.testing.s3 import S3Server


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(autouse=True)
def _fresh_probe_state(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each test must see the migration check run, not a previous test's cached success.
    monkeypatch.setattr(health, "_migrations_verified", False)
    monkeypatch.setattr(health, "_s3_clients", {})


@pytest.fixture
def media_dir(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def database_handler(**overrides: object) -> ConnectionHandler:
    """A connection handler like the real one, with the default database's settings changed."""
    settings_dict = {**connections["default"].settings_dict, **overrides}
    return ConnectionHandler({"default": settings_dict})


def readyz(client: Client) -> tuple[int, dict]:
    response = client.get("/readyz")
    assert response["Content-Type"] == "application/json"
    return response.status_code, json.loads(response.content)


def test_healthz_answers_without_touching_the_database(client: Client) -> None:
    # No `db` fixture: pytest-django raises if anything in the request opens a connection,
    # so a liveness probe can never fail (and get the process restarted) for a database outage.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_healthz_only_answers_get(client: Client) -> None:
    assert client.post("/healthz").status_code == 405


def test_readyz_is_ok_when_everything_answers(db: None, client: Client, media_dir: Path) -> None:
    status, body = readyz(client)
    assert status == 200, body
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["migrations"] == "ok"
    assert body["checks"]["storage"] == "ok"


@pytest.mark.redis
def test_readyz_checks_the_real_redis(db: None, client: Client, media_dir: Path) -> None:
    status, body = readyz(client)
    assert status == 200, body
    assert body["checks"]["redis"] == "ok"


def test_readyz_fails_clearly_when_redis_is_down(
    db: None, client: Client, settings, media_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port = closed_port()
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
    with caplog.at_level(logging.WARNING, logger="invoiceflow.health"):
        status, body = readyz(client)
    assert status == 503
    assert body == {
        "status": "fail",
        "checks": {"database": "ok", "migrations": "ok", "redis": "fail", "storage": "ok"},
    }
    # The cause goes to the log, not to whoever called the probe.
    assert any("redis" in record.getMessage() and record.exc_info for record in caplog.records)
    raw = json.dumps(body)
    assert str(port) not in raw
    assert "127.0.0.1" not in raw
    assert "refused" not in raw.lower()


def test_readyz_fails_clearly_when_the_database_is_down(
    db: None, client: Client, monkeypatch: pytest.MonkeyPatch, media_dir: Path, tmp_path: Path
) -> None:
    default = connections["default"]
    if default.vendor == "postgresql":
        port = closed_port()
        options = dict(default.settings_dict["OPTIONS"])
        if options.get("pool"):
            # Django keeps one pool per alias for the whole process: the broken "default" needs
            # its own (the probe then waits the pool's timeout for a connection, 2 s here).
            options["pool"] = {**options["pool"], "timeout": 2}
            monkeypatch.setattr(type(default), "_connection_pools", {})
        broken = database_handler(HOST="127.0.0.1", PORT=str(port), OPTIONS=options)
        secret_bits = ["127.0.0.1", str(port)]
    else:
        # SQLite cannot be "down"; a file in a directory that does not exist cannot be opened.
        missing = tmp_path / "no-such-dir" / "db.sqlite3"
        broken = database_handler(NAME=str(missing))
        secret_bits = [str(missing)]
    monkeypatch.setattr(health, "connections", broken)
    try:
        status, body = readyz(client)
    finally:
        broken["default"].close()
        if getattr(broken["default"], "pool", None) is not None:
            broken["default"].close_pool()
    assert status == 503
    assert body["status"] == "fail"
    assert body["checks"]["database"] == "fail"
    assert body["checks"]["migrations"] == "fail"
    assert body["checks"]["storage"] == "ok"
    raw = json.dumps(body)
    assert not any(bit in raw for bit in secret_bits)
    assert "rror" not in raw  # no exception names or text


@pytest.mark.migrations
def test_readyz_fails_when_migrations_are_not_applied(
    db: None, client: Client, monkeypatch: pytest.MonkeyPatch, media_dir: Path, tmp_path: Path
) -> None:
    # A real, reachable, empty database: connecting works, the migration plan is not empty.
    empty = ConnectionHandler(
        {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "empty.sqlite3")}}
    )
    monkeypatch.setattr(health, "connections", empty)
    try:
        status, body = readyz(client)
    finally:
        empty["default"].close()
    assert status == 503
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["migrations"] == "fail"


def test_readyz_fails_when_the_media_directory_cannot_be_written(
    db: None, client: Client, settings, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    settings.MEDIA_ROOT = blocker / "media"
    status, body = readyz(client)
    assert status == 503
    assert body["checks"]["storage"] == "fail"
    assert str(tmp_path) not in json.dumps(body)


def test_readyz_checks_the_s3_bucket(db: None, client: Client, s3_storage: S3Server) -> None:
    # SeaweedFS on loopback, the store compose.yaml runs: the bucket exists and our keys work.
    status, body = readyz(client)
    assert status == 200, body
    assert body["checks"]["storage"] == "ok"


def test_readyz_fails_when_the_bucket_is_missing(
    db: None, client: Client, s3_storage: S3Server, settings
) -> None:
    settings.AWS_STORAGE_BUCKET_NAME = "no-such-bucket-here"
    settings.STORAGES = {**settings.STORAGES}  # drop the cached storage object
    status, body = readyz(client)
    assert status == 503
    assert body["checks"]["storage"] == "fail"


def test_readyz_fails_when_s3_refuses_our_keys(
    db: None, client: Client, s3_storage: S3Server, settings
) -> None:
    settings.AWS_SECRET_ACCESS_KEY = "not-the-right-secret"
    settings.STORAGES = {**settings.STORAGES}
    status, body = readyz(client)
    assert status == 503
    assert body["checks"]["storage"] == "fail"
    assert "not-the-right-secret" not in json.dumps(body)


def test_readyz_fails_when_s3_is_unreachable(db: None, client: Client, settings) -> None:
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "storages.backends.s3.S3Storage"}}
    settings.AWS_STORAGE_BUCKET_NAME = "readyz-bucket"
    settings.AWS_S3_ENDPOINT_URL = f"http://127.0.0.1:{closed_port()}"
    settings.AWS_ACCESS_KEY_ID = "testing"
    settings.AWS_SECRET_ACCESS_KEY = "testing"
    status, body = readyz(client)
    assert status == 503
    assert body["checks"]["storage"] == "fail"
