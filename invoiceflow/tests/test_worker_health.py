"""The worker's liveness signal survives a broker outage (invoiceflow/worker_health.py), with a
real Celery worker and a real Redis that the test stops."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from invoiceflow.testing.celery_worker import database_environ, start_worker, stop_worker
from invoiceflow.testing.processes import free_port, port_accepts, start_process, stop_process, wait_until
from invoiceflow.worker_health import INTERVAL_SECONDS, STALE_AFTER_SECONDS

HEALTHCHECK = Path(settings.BASE_DIR) / "docker" / "healthcheck.py"


def healthcheck(heartbeat: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CELERY_WORKER_HEARTBEAT_FILE": str(heartbeat)}
    return subprocess.run(
        [sys.executable, str(HEALTHCHECK), "worker"], env=env, capture_output=True, text=True, timeout=30
    )


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    server = shutil.which("redis-server")
    if not server:
        pytest.skip("needs redis-server")
    port = free_port()
    process = start_process(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        env=dict(os.environ),
        log_path=tmp_path / "redis.log",
    )
    assert wait_until(lambda: port_accepts("127.0.0.1", port), timeout=10)
    try:
        yield f"redis://127.0.0.1:{port}/0", process
    finally:
        stop_process(process, grace=2)


def test_the_heartbeat_stays_fresh_while_the_broker_is_down(
    private_redis: tuple[str, subprocess.Popen[bytes]], transactional_db: None, tmp_path: Path
) -> None:
    broker_url, redis_process = private_redis
    heartbeat = tmp_path / "heartbeat"
    worker = start_worker(
        broker_url=broker_url,
        log_dir=tmp_path,
        extra_env={**database_environ(), "CELERY_WORKER_HEARTBEAT_FILE": str(heartbeat)},
    )
    try:
        assert wait_until(heartbeat.exists, timeout=10)
        assert healthcheck(heartbeat).returncode == 0

        stop_process(redis_process, grace=1)  # the broker goes away
        assert wait_until(lambda: "Cannot connect to redis" in worker.log(lines=None), timeout=30), (
            worker.log()
        )
        seen = heartbeat.stat().st_mtime
        assert wait_until(lambda: heartbeat.stat().st_mtime > seen, timeout=3 * INTERVAL_SECONDS)
        assert worker.process.poll() is None
        result = healthcheck(heartbeat)
        assert result.returncode == 0, result.stderr
    finally:
        stop_worker(worker)


def test_a_stale_or_missing_heartbeat_fails_the_check(tmp_path: Path) -> None:
    heartbeat = tmp_path / "heartbeat"
    missing = healthcheck(heartbeat)
    assert missing.returncode == 1
    assert "heartbeat" in missing.stderr
    heartbeat.touch()
    assert healthcheck(heartbeat).returncode == 0
    old = time.time() - STALE_AFTER_SECONDS - 5
    os.utime(heartbeat, (old, old))
    stale = healthcheck(heartbeat)
    assert stale.returncode == 1
    assert "s old" in stale.stderr
