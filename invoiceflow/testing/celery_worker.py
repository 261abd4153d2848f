"""A real Celery worker for the tests: `celery -A invoiceflow worker --pool=prefork`, in a
subprocess, against a real broker (Redis by default, RabbitMQ when asked).

Use the `celery_worker` fixture. It

- makes the test a `transactional_db` one: the worker is another process, so it only sees
  committed rows (queue tasks with `transaction.on_commit`, as production code does);
- gives the worker the test database (the *test* database's name, as the non-owner app role:
  row-level security applies in the worker as in production) and the test's storage: the
  `s3_storage` bucket when the test uses that fixture, else a fresh MEDIA_ROOT folder that
  this process's settings point at too;
- gives the worker queues of its own (every queue of core.task_queues, under a prefix
  of its own) and points this process's Celery app at the same broker and queues for the
  test, so `task.delay()` in the code under test reaches it;
- waits until the worker answers a ping, and stops it by its PID afterwards.

The broker: `settings.CELERY_BROKER_URL` (REDIS_URL by default). To run a test on several
brokers, parametrize indirectly::

    @pytest.mark.redis
    @pytest.mark.parametrize("celery_worker", ["redis", "rabbitmq"], indirect=True)
    def test_x(celery_worker): ...

"rabbitmq" means CELERY_BROKER_URL when that is an amqp:// URL, else the local default
amqp://guest:guest@127.0.0.1:5672//; the test is skipped when RabbitMQ is not listening.

The handle has `.pid`, `.pool_pids()` (the prefork children, e.g. to SIGKILL one),
`.hostname`, `.prefix` (of its queues' names), `.queue` (its default queue), `.broker_url`
and `.log_path`. `start_worker(queues=..., prefix=...)` starts workers that share a prefix and
each consume some of the queues, as deployments run them.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import kombu.pools
import pytest
from celery import Celery
from django.conf import settings
from django.db import connections

from core import task_queues
from invoiceflow.testing.processes import port_accepts, start_process, stop_process, tail, wait_until

DEFAULT_RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672//"
CONCURRENCY = 2
# Set in the parent's environment but wrong for the worker: it must connect as the app role
# to the test database, and use the test's storage.
_NOT_INHERITED = (
    "DATABASE_OWNER_URL",
    "DATABASE_CONNECT_AS_OWNER",
    "TEST_DATABASE_NAME",
    "SQLITE_PATH",
    "MEDIA_ROOT",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "CELERY_QUEUE_PREFIX",
)


def broker_url_for(name: str) -> str:
    """'redis', 'rabbitmq' or a URL -> the broker URL to use (skips when it is unavailable)."""
    if name == "redis":
        if not settings.REDIS_URL:
            pytest.skip("needs Redis: set REDIS_URL")
        return settings.REDIS_URL
    if name == "rabbitmq":
        configured = os.environ.get("CELERY_BROKER_URL", "")
        url = configured if configured.startswith(("amqp://", "pyamqp://")) else DEFAULT_RABBITMQ_URL
    else:
        url = name
    parts = urlsplit(url)
    default_port = 5672 if parts.scheme.endswith("amqp") else 6379
    if not port_accepts(parts.hostname or "127.0.0.1", parts.port or default_port):
        pytest.skip(f"broker not reachable at {parts.hostname}:{parts.port or default_port}")
    return url


def database_environ() -> dict[str, str]:
    """The variables that point invoiceflow.settings at the test database, as the app role."""
    db = connections["default"].settings_dict
    if connections["default"].vendor == "postgresql":
        credentials = quote(db["USER"], safe="")
        if db.get("PASSWORD"):
            credentials += ":" + quote(db["PASSWORD"], safe="")
        host = db.get("HOST") or "127.0.0.1"
        port = f":{db['PORT']}" if db.get("PORT") else ""
        return {
            "DATABASE_URL": f"postgresql://{credentials}@{quote(host, safe='')}{port}/{quote(db['NAME'])}"
        }
    if connections["default"].vendor == "sqlite":
        name = str(db["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            pytest.skip(
                "a worker cannot open an in-memory SQLite test database: set TEST_DATABASE_NAME "
                "(a file) or run on PostgreSQL (DATABASE_URL)"
            )
        return {"DATABASE_URL": "", "SQLITE_PATH": str(Path(name).resolve())}
    raise RuntimeError(f"no worker support for {connections['default'].vendor}")


def storage_environ() -> dict[str, str]:
    """The test's storage, as the variables invoiceflow.settings reads."""
    backend = settings.STORAGES["default"]["BACKEND"]
    if backend.endswith("S3Storage"):
        return {
            "AWS_STORAGE_BUCKET_NAME": settings.AWS_STORAGE_BUCKET_NAME,
            "AWS_S3_ENDPOINT_URL": settings.AWS_S3_ENDPOINT_URL or "",
            "AWS_S3_REGION_NAME": settings.AWS_S3_REGION_NAME,
            "AWS_ACCESS_KEY_ID": settings.AWS_ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": settings.AWS_SECRET_ACCESS_KEY,
            "AWS_S3_ADDRESSING_STYLE": getattr(settings, "AWS_S3_ADDRESSING_STYLE", "path"),
        }
    return {"AWS_STORAGE_BUCKET_NAME": "", "MEDIA_ROOT": str(settings.MEDIA_ROOT)}


@dataclass
class CeleryWorker:
    process: subprocess.Popen[bytes]
    hostname: str
    prefix: str
    broker_url: str
    log_path: Path
    control: Celery

    @property
    def queue(self) -> str:
        """The default queue's name (tasks without a route of their own)."""
        return task_queues.queue_name(task_queues.DEFAULT, self.prefix)

    @property
    def pid(self) -> int:
        return self.process.pid

    def ping(self) -> bool:
        try:
            return bool(self.control.control.ping(destination=[self.hostname], timeout=0.5))
        except OSError:
            return False

    def pool_pids(self) -> list[int]:
        """The prefork pool's processes (the worker's direct children)."""
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def kill_pool_process(self, pid: int) -> None:
        if pid not in self.pool_pids():
            raise ValueError(f"{pid} is not one of this worker's pool processes")
        os.kill(pid, signal.SIGKILL)

    def log(self, lines: int | None = 60) -> str:
        """The worker's log: its end by default (for assertion messages), all with None."""
        return tail(self.log_path, lines)


def start_worker(
    *,
    broker_url: str,
    log_dir: Path,
    extra_env: dict[str, str],
    queues: tuple[str, ...] = task_queues.QUEUES,
    prefix: str | None = None,
    concurrency: int = CONCURRENCY,
) -> CeleryWorker:
    token = secrets.token_hex(4)
    hostname = f"invoiceflow-test-{token}@localhost"
    prefix = f"invoiceflow-test-{token}." if prefix is None else prefix
    base_dir = Path(settings.BASE_DIR)
    env = {name: value for name, value in os.environ.items() if name not in _NOT_INHERITED}
    env.update(
        DJANGO_SETTINGS_MODULE="invoiceflow.settings",
        PYTHONPATH=os.pathsep.join(filter(None, [str(base_dir), env.get("PYTHONPATH", "")])),
        CELERY_BROKER_URL=broker_url,
        CELERY_RESULT_BACKEND=settings.CELERY_RESULT_BACKEND or "",
        CELERY_QUEUE_PREFIX=prefix,
        # No connection kept between tasks: the test's flush (TRUNCATE) never waits on one.
        DATABASE_CONN_MAX_AGE="0",
    )
    env.update(extra_env)
    log_path = log_dir / f"celery-{token}.log"
    process = start_process(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "invoiceflow",
            "worker",
            "--pool=prefork",
            f"--concurrency={concurrency}",
            f"--hostname={hostname}",
            "--queues=" + ",".join(task_queues.queue_name(queue, prefix) for queue in queues),
            "--include=invoiceflow.testing.tasks",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        env=env,
        log_path=log_path,
        cwd=base_dir,
    )
    control = Celery("invoiceflow-test-control", broker=broker_url, set_as_current=False)
    worker = CeleryWorker(process, hostname, prefix, broker_url, log_path, control)
    if not wait_until(lambda: process.poll() is not None or worker.ping(), timeout=60, interval=0.2) or (
        process.poll() is not None
    ):
        stop_worker(worker)
        raise RuntimeError(f"the Celery worker did not answer a ping; its log ends with:\n{worker.log()}")
    return worker


def stop_worker(worker: CeleryWorker) -> None:
    try:
        # Cold shutdown (SIGQUIT), then SIGKILL: the test is over, nothing is left to finish.
        stop_process(worker.process, grace=0.5, first=signal.SIGQUIT)
    finally:
        _drop_connections(worker.control)


@contextmanager
def app_sending_to(worker: CeleryWorker) -> Iterator[None]:
    """Point this process's Celery app (the one `task.delay()` uses) at the worker's queues."""
    from invoiceflow.celery import app

    names = ("broker_url", "task_always_eager", "task_default_queue", "task_routes")
    saved = {name: app.conf[name] for name in names}
    app.conf.update(
        broker_url=worker.broker_url,
        task_always_eager=False,
        task_default_queue=worker.queue,
        task_routes=task_queues.task_routes(worker.prefix),
    )
    _drop_connections(app)
    try:
        yield
    finally:
        app.conf.update(saved)
        _drop_connections(app)


def _drop_connections(app: Celery) -> None:
    # The app caches its broker connection pool and its queue/routing setup: rebuild both.
    # kombu shares pools between apps by broker URL, so its registry is emptied too (closing
    # one pool in place would hand the next user a closed pool). Emptying it closes the
    # producer pool the project's app holds as well (even an eager task takes a producer), so
    # that app drops its own too, or the next test's `.delay()` meets "Acquire on closed pool".
    from invoiceflow.celery import app as project_app

    kombu.pools.reset()
    for each in {app, project_app}:
        each._pool = None
        each.__dict__.pop("amqp", None)


@pytest.fixture
def celery_worker(
    request: pytest.FixtureRequest, transactional_db: None, tmp_path: Path, settings: Any
) -> Iterator[Any]:
    broker_url = broker_url_for(getattr(request, "param", None) or settings.CELERY_BROKER_URL or "redis")
    if "s3_storage" in request.fixturenames:
        request.getfixturevalue("s3_storage")  # the worker must get the test's bucket
    elif not settings.STORAGES["default"]["BACKEND"].endswith("S3Storage"):
        # Local storage: a fresh media folder, shared by this process and the worker.
        settings.MEDIA_ROOT = tmp_path / "media"
    worker = start_worker(
        broker_url=broker_url, log_dir=tmp_path, extra_env={**database_environ(), **storage_environ()}
    )
    try:
        with app_sending_to(worker):
            yield worker
    finally:
        stop_worker(worker)
