"""Every line a container writes is one JSON object when the logs are JSON (DEBUG off): the
entrypoint's own lines, the helper scripts', migrate's progress, web, worker and beat. Each role
runs through docker/entrypoint.sh, as in the image."""

from __future__ import annotations

import json
import os
import socket
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from invoiceflow.tests.test_entrypoint import (
    STOPPED_CLEANLY,
    Process,
    answers,
    free_port,
    processes,  # noqa: F401 (the fixture)
    production_env,
    run,
)


def not_json(output: str) -> list[str]:
    bad = []
    for line in output.splitlines():
        if not line.strip():
            continue
        try:
            if not isinstance(json.loads(line), dict):
                bad.append(line)
        except ValueError:
            bad.append(line)
    return bad


def test_migrate_and_web_write_only_json(processes: Callable[..., Process], tmp_path: Path) -> None:  # noqa: F811
    port = free_port()
    env = production_env(tmp_path, SQLITE_PATH=str(tmp_path / "db.sqlite3"), HOST="127.0.0.1", PORT=str(port))
    env["WEB_CONCURRENCY"] = "1"
    migrate = processes("migrate", env)
    migrate.popen.wait(timeout=180)
    assert migrate.popen.returncode == 0, migrate.output[-3000:]
    assert "Applying tenants.0001_initial" in migrate.output
    web = processes("web", env)
    web.wait_until(lambda: answers(f"http://127.0.0.1:{port}/healthz"), timeout=90, what="serving")
    assert web.stop() in STOPPED_CLEANLY
    for process in (migrate, web):
        assert process.output.strip()
        assert not_json(process.output) == [], process.output[-3000:]


@pytest.mark.redis
def test_worker_and_beat_write_only_json(processes: Callable[..., Process], tmp_path: Path) -> None:  # noqa: F811
    queue = f"json-logs-test-{uuid.uuid4().hex[:12]}"
    node = f"{queue}@{socket.gethostname()}"
    env = production_env(
        tmp_path,
        REDIS_URL=os.environ["REDIS_URL"],
        CELERY_QUEUE_PREFIX=f"{queue}.",
        CELERY_WORKER_CONCURRENCY="1",
        CELERY_BEAT_SCHEDULE_FILE=str(tmp_path / "beat-schedule"),
    )
    if django_settings.DATABASE_OWNER:
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    worker = processes("worker", env, "--hostname", node, "--without-mingle", "--without-gossip")

    def pong() -> bool:
        ping = run(
            [sys.executable, "-m", "celery", "-A", "invoiceflow", "inspect", "ping", "-d", node, "-t", "3"],
            env,
            timeout=60,
        )
        return ping.returncode == 0 and "pong" in ping.stdout

    worker.wait_until(pong, timeout=90, what="answering a ping")
    beat = processes("beat", {**env, "LOG_LEVEL": "DEBUG"})
    beat.wait_until(lambda: "Ticking with max interval" in beat.output, timeout=60, what="beat's loop")
    assert beat.stop() in STOPPED_CLEANLY
    assert worker.stop() in STOPPED_CLEANLY
    for process in (worker, beat):
        assert process.output.strip()
        assert not_json(process.output) == [], process.output[-3000:]
