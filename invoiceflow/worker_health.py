"""The Celery worker's liveness signal: a file its main process touches every few seconds.

`docker/healthcheck.py worker` (compose's health check, Kubernetes' liveness probe) passes while
the file is younger than STALE_AFTER_SECONDS. Unlike `celery inspect ping` it needs no broker
round trip (nor the worker's node name, $HOSTNAME): when Redis is down, every worker would fail
a ping at once and be restarted for nothing, and the restart would not bring Redis back. The
worker reconnects by itself (broker_connection_retry); what this catches is a main process
that is gone or wedged (a deadlock holding the interpreter). Tasks that hang are ended by their
hard time limits (core/task_queues.py), not by restarting the container.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path
from typing import Any

from celery.signals import worker_init, worker_shutdown

DEFAULT_HEARTBEAT_FILE = "/tmp/celery-worker-heartbeat"  # noqa: S108 (a tmpfs in the container)
INTERVAL_SECONDS = 5.0
STALE_AFTER_SECONDS = 30.0

_stop = threading.Event()


def heartbeat_path() -> Path:
    return Path(os.environ.get("CELERY_WORKER_HEARTBEAT_FILE", "").strip() or DEFAULT_HEARTBEAT_FILE)


def heartbeat_age(path: Path | None = None, *, now: float | None = None) -> float | None:
    """Seconds since the last heartbeat, None when there is none."""
    try:
        modified = (path or heartbeat_path()).stat().st_mtime
    except OSError:
        return None
    return (time.time() if now is None else now) - modified


def _beat(path: Path) -> None:
    while not _stop.is_set():
        with contextlib.suppress(OSError):  # a full /tmp shows as a stale heartbeat
            path.touch()
        _stop.wait(INTERVAL_SECONDS)


@worker_init.connect
def _start_heartbeat(**kwargs: Any) -> None:
    # worker_init: in the main process, before the broker connection, so a worker that starts
    # during a Redis outage is alive (and waiting) rather than failing its probe.
    _stop.clear()
    threading.Thread(target=_beat, args=(heartbeat_path(),), name="liveness-heartbeat", daemon=True).start()


@worker_shutdown.connect
def _stop_heartbeat(**kwargs: Any) -> None:
    _stop.set()
    with contextlib.suppress(OSError):
        heartbeat_path().unlink()
