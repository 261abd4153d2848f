"""The real-worker harness: a prefork Celery worker in a subprocess, on Redis and on RabbitMQ,
reading and writing the test database as the app role."""

from __future__ import annotations

import collections
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction

from invoiceflow.testing.celery_worker import (
    CONCURRENCY,
    CeleryWorker,
    app_sending_to,
    database_environ,
    start_worker,
    stop_worker,
)
from invoiceflow.testing.processes import wait_until
from invoiceflow.testing.tasks import database_backend, invite_probe, sleep_and_record, store_probe
from invoiceflow.testing.web_server import with_application_name
from tenants.models import Invitation
from tenants.scoping import tenant_scope
from tenants.tests.factories import TenantFactory

BROKERS = pytest.mark.parametrize("celery_worker", ["redis", "rabbitmq"], indirect=True)


def ran_in_worker(worker: CeleryWorker, task: str, task_id: str) -> bool:
    # The worker logs success just after storing the result: allow it a moment.
    line = f"invoiceflow.testing.{task}[{task_id}] succeeded"
    return wait_until(lambda: line in worker.log(lines=None), timeout=5)


@pytest.fixture
def recorder():
    client = redis.Redis.from_url(settings.REDIS_URL, decode_responses=True)
    prefix = f"test:worker:{uuid.uuid4().hex}"
    yield client, prefix
    client.delete(f"{prefix}:started", f"{prefix}:done")


@pytest.mark.redis
@BROKERS
def test_task_queued_on_commit_runs_in_the_worker(celery_worker: CeleryWorker):
    tenant = TenantFactory()
    other = TenantFactory()
    results = []

    with transaction.atomic():
        email = f"{uuid.uuid4().hex[:8]}@example.test"
        # Queued only when the transaction commits, as production code does.
        transaction.on_commit(lambda: results.append(invite_probe.delay(tenant_id=tenant.pk, email=email)))
        assert results == []

    public_id = results[0].get(timeout=30)
    with tenant_scope(tenant):
        invitation = Invitation.objects.get(email=email)
    assert invitation.public_id == public_id
    assert invitation.tenant_id == tenant.pk
    with tenant_scope(other):
        assert not Invitation.objects.filter(email=email).exists()
    # It ran in the worker process, not eagerly in this one.
    assert ran_in_worker(celery_worker, "invite_probe", results[0].id)


@pytest.mark.redis
@pytest.mark.parametrize("storage", ["s3", "local"])
def test_worker_stores_into_the_tests_storage(request, storage):
    if storage == "s3":
        s3 = request.getfixturevalue("s3_storage")
    worker = request.getfixturevalue("celery_worker")
    content = f"stored by the worker {uuid.uuid4().hex}"

    result = store_probe.delay(name="documents/probe.txt", content=content)
    name = result.get(timeout=30)

    assert ran_in_worker(worker, "store_probe", result.id)
    with default_storage.open(name) as stored:
        assert stored.read().decode() == content
    if storage == "s3":
        assert s3.keys() == [name]
    else:
        assert (Path(settings.MEDIA_ROOT) / name).read_text() == content


@pytest.mark.redis
@BROKERS
def test_task_survives_a_sigkilled_pool_process(celery_worker: CeleryWorker, recorder):
    client, prefix = recorder
    tokens = [f"job{i}" for i in range(4)]
    for token in tokens:
        sleep_and_record.delay(redis_key=prefix, token=token, seconds=0.6)

    assert wait_until(lambda: client.llen(f"{prefix}:started") >= 1, timeout=20), celery_worker.log()
    victim_token, victim_pid = client.lindex(f"{prefix}:started", 0).split(":")
    celery_worker.kill_pool_process(int(victim_pid))

    assert wait_until(lambda: client.llen(f"{prefix}:done") >= len(tokens), timeout=30), celery_worker.log()
    done = collections.Counter(client.lrange(f"{prefix}:done", 0, -1))
    assert done == collections.Counter(tokens)  # every task finished, each once
    starts = [entry.split(":") for entry in client.lrange(f"{prefix}:started", 0, -1)]
    victim_runs = [pid for token, pid in starts if token == victim_token]
    # The killed run was re-queued (acks_late + reject_on_worker_lost) and ran again elsewhere.
    assert len(victim_runs) == 2
    assert victim_runs[0] == victim_pid != victim_runs[1]
    # The worker replaced its lost pool process.
    assert wait_until(lambda: len(celery_worker.pool_pids()) == 2, timeout=10)
    assert int(victim_pid) not in celery_worker.pool_pids()


WORKER_DATABASE_CONFIGS = {
    "pool": {},  # the default: DATABASE_POOL on, CONN_MAX_AGE 0
    "persistent": {"DATABASE_POOL": "false", "DATABASE_CONN_MAX_AGE": "60"},
    "per-task": {"DATABASE_POOL": "false", "DATABASE_CONN_MAX_AGE": "0"},
}


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.parametrize("config", list(WORKER_DATABASE_CONFIGS))
def test_database_connections_are_kept_between_tasks_and_bounded(transactional_db, tmp_path, config):
    """Celery's own fixup would reconnect for every task (a new PostgreSQL backend per PDF);
    invoiceflow.celery hands the connection back after each task: to the pool, which keeps it
    (one per prefork process: a process runs one task at a time) and health-checks it before the
    next borrower, or, without a pool, kept up to CONN_MAX_AGE."""
    from django.db import connection

    application_name = f"invoiceflow-test-worker-{uuid.uuid4().hex[:8]}"
    database_url = with_application_name(database_environ()["DATABASE_URL"], application_name)
    worker = start_worker(
        broker_url=settings.CELERY_BROKER_URL or settings.REDIS_URL,
        log_dir=tmp_path,
        extra_env={"DATABASE_URL": database_url, **WORKER_DATABASE_CONFIGS[config]},
    )

    def worker_connections() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [application_name]
            )
            return cursor.fetchone()[0]

    try:
        with app_sending_to(worker):
            # All queued at once: both pool processes take tasks side by side.
            results = [database_backend.delay() for _ in range(8)]
            backends = [result.get(timeout=30) for result in results]
            if config == "per-task":
                assert len(set(backends)) == 8, backends  # a connection per task, closed after it
                assert wait_until(lambda: worker_connections() == 0, timeout=5)
                return
            # Two pool processes, a connection each, kept from task to task.
            assert len(set(backends)) <= CONCURRENCY, backends
            assert 1 <= worker_connections() <= CONCURRENCY

            # The database drops them (a restart, a proxy's idle timeout): the next tasks notice
            # in the health check before their first query, and reconnect.
            with connection.cursor() as cursor:
                for pid in set(backends):
                    cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            after = [database_backend.delay().get(timeout=30) for _ in range(4)]
            assert not set(after) & set(backends)
            assert 1 <= worker_connections() <= CONCURRENCY
            assert "Traceback" not in worker.log(lines=None)
    finally:
        stop_worker(worker)
