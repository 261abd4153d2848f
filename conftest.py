"""Test harness shared by every app.

On PostgreSQL the test database is created and migrated as the *owner* role, then every test
runs as the *app* role, the way production does: row-level security is active in every test.
Under CI (CI=true) a skipped test is a failure: a missing service must not pass silently.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.db import connections

from invoiceflow.testing.database import reconnect_as
from invoiceflow.testing.xdist_worker import use_own_redis_database

use_own_redis_database(settings)

# Fixtures shared by the apps' tests, registered as plugins (each app's own fixtures live in its
# `tests/conftest.py`): the owner / member / outsider trio, the Stripe stand-in and its signed
# webhooks, the stand-in with the plans' prices, and real services on loopback (S3, a Celery
# worker). Helpers beside them (`client_for`, `post_stripe_event`...) are imported by name.
pytest_plugins = [
    "tenants.tests.fixtures",
    "billing.tests.fixtures",
    "plans.tests.fixtures",
    "invoiceflow.testing.celery_worker",
    "invoiceflow.testing.s3",
]

CHROMIUM = "/usr/bin/chromium"


_app_credentials: dict[str, str] = {}


def _switch_default_db_user(user: str, password: str) -> None:
    reconnect_as(connections["default"], user, password)


# The test process runs up to 50 threads on the database at once (the invoice numbering race),
# each holding a connection, so its pool may open more than a web process's. The bound itself
# is tested against real web processes (invoiceflow/tests/test_database_pool.py).
TEST_POOL_MAX_SIZE = 64


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    pool = connections["default"].settings_dict.get("OPTIONS", {}).get("pool")
    if pool:
        pool["max_size"] = max(pool["max_size"], TEST_POOL_MAX_SIZE)
    owner = settings.DATABASE_OWNER
    if owner:
        current = connections["default"].settings_dict
        _app_credentials.update(USER=current["USER"], PASSWORD=current.get("PASSWORD", ""))
        _switch_default_db_user(owner["USER"], owner.get("PASSWORD", ""))


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker):
    """After creating and migrating as the owner, run the tests as the app role."""
    owner = settings.DATABASE_OWNER
    if not owner:
        yield
        return
    with django_db_blocker.unblock():
        with connections["default"].cursor() as cursor:
            # Test-only: TransactionTestCase empties tables with TRUNCATE between tests and
            # then resets sequences (django.contrib.sites re-creates its row).
            role = _app_credentials["USER"]
            cursor.execute(f'GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO "{role}"')
            cursor.execute(f'GRANT UPDATE ON ALL SEQUENCES IN SCHEMA public TO "{role}"')
        _switch_default_db_user(_app_credentials["USER"], _app_credentials["PASSWORD"])
    yield
    with django_db_blocker.unblock():
        _switch_default_db_user(owner["USER"], owner.get("PASSWORD", ""))


@pytest.fixture(autouse=True)
def _close_connections_after_transactional_tests(request: pytest.FixtureRequest, django_db_blocker):
    """A transactional test (live server, worker, threads) leaves real connections open; a
    later test without database access would then trip over them when a request finishes
    (Django's close_old_connections asks the open connection for its state). The pool they went
    back to is closed too: parallel runs share one server, and idle pooled connections would
    otherwise stay open for minutes."""
    yield
    marker = request.node.get_closest_marker("django_db")
    transactional = {"transactional_db", "live_server"} & set(request.fixturenames) or (
        marker is not None and marker.kwargs.get("transaction")
    )
    if transactional:
        with django_db_blocker.unblock():
            connections.close_all()
            for connection in connections.all(initialized_only=True):
                if getattr(connection, "pool", None) is not None:
                    connection.close_pool()


@pytest.fixture(autouse=True)
def _celery_tasks_run_in_process():
    """Tasks run in-process in tests, as in the embedded default, even when REDIS_URL gives a
    broker. Tests about the real worker use the `celery_worker` fixture, which points the app
    at a worker process and turns this off for its test."""
    from celery._state import _set_task_join_will_block

    from invoiceflow.celery import app

    # The test process is never a worker. Celery keeps a process-wide "inside a task" flag
    # that worker code (an in-process test worker, a prefork initializer) may have left set,
    # after which result.get() refuses to run; clear it for every test.
    _set_task_join_will_block(False)
    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


@pytest.fixture(autouse=True)
def _default_language_after_each_test() -> Iterator[None]:
    """A request through the test client activates its language in this thread (LocaleMiddleware
    does not undo it after the response): the next test must not start in a French client's
    language."""
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_counters() -> None:
    """Every test starts with no rate-limit hits and no sign-in failures: Redis keeps both across
    tests and runs, and every test comes from 127.0.0.1, so a test that opens many invoice links
    (the fuzz tests) would otherwise leave the next one, or the next run, a 429."""
    from core.backoff import KEY_PREFIX as BACKOFF_PREFIX
    from core.backoff import memory_backoff
    from core.ratelimit import KEY_PREFIX as RATE_LIMIT_PREFIX
    from core.ratelimit import memory_limiter

    memory_backoff.clear()
    memory_limiter.clear()
    if settings.REDIS_URL:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL)
        for pattern in (f"{BACKOFF_PREFIX}*", f"{RATE_LIMIT_PREFIX}*"):
            for key in client.scan_iter(match=pattern):
                client.delete(key)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: pytest.FixtureRequest) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# What makes a test `slow` (left out of the fast lane, `./dev test-fast`): it starts a server or a
# worker of its own, or empties the database after itself (a transactional test), or it is one of
# these modules, which run programs (ruff, the dev script, a build), fuzz, or migrate a scratch
# database. Marking a module `pytestmark = pytest.mark.slow` does the same; a test that sweeps
# every route with every object is marked `@pytest.mark.slow` itself (minutes on SQLite).
SLOW_FIXTURES = frozenset(
    {"live_server", "transactional_db", "celery_worker", "s3_server", "s3_storage", "processes"}
)
SLOW_MODULES = frozenset(
    {
        "api/tests/test_schemathesis.py",
        "api/tests/test_fuzz_credentials.py",
        "billing/tests/test_webhook_fuzz.py",
        "core/tests/test_client_ip.py",
        "invoiceflow/tests/test_architecture.py",
        "invoiceflow/tests/test_compose.py",
        "invoiceflow/tests/test_deploy_settings.py",
        "invoiceflow/tests/test_dev_script.py",
        "invoiceflow/tests/test_fuzz_public.py",
        "invoiceflow/tests/test_kubernetes.py",
        "invoiceflow/tests/test_self_contained.py",
        "invoiceflow/tests/test_settings.py",
        "invoiceflow/tests/test_static_build.py",
        "invoiceflow/tests/test_worker_health.py",
    }
)


def _is_slow(item: pytest.Item) -> bool:
    if "slow" in item.keywords or SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    marker = item.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        return True
    return item.path.relative_to(item.config.rootpath).as_posix() in SLOW_MODULES


def pytest_ignore_collect(collection_path, config: pytest.Config) -> bool | None:
    """With slow tests deselected (`-m "not slow ..."`, the fast lane), the slow modules are not
    even imported: collecting the Schemathesis module alone builds its cases for 15 s."""
    if "not slow" not in (config.getoption("markexpr", "") or ""):
        return None
    path = collection_path.relative_to(config.rootpath).as_posix()
    return True if path in SLOW_MODULES else None


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    has_redis = bool(settings.REDIS_URL)
    has_chromium = shutil.which(CHROMIUM) is not None
    for item in items:
        if "slow" not in item.keywords and _is_slow(item):
            item.add_marker(pytest.mark.slow)
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL (see README)"))
        if "redis" in item.keywords and not has_redis:
            item.add_marker(pytest.mark.skip(reason="needs Redis: set REDIS_URL (see README)"))
        if "browser" in item.keywords and not has_chromium:
            item.add_marker(
                pytest.mark.skip(reason=f"needs Chromium at {CHROMIUM} (apt-get install chromium)")
            )


def _utf8_safe(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    # A test may log text that is not UTF-8 (a lone surrogate, on purpose: see
    # billing/tests/test_webhook_envelope.py); pytest-xdist cannot send such a report from its
    # worker and the whole run stops (INTERNALERROR). Escape it in the captured sections.
    report.sections = [(name, _utf8_safe(content)) for name, content in report.sections]
    if report.skipped and os.environ.get("CI") == "true" and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"Skipped under CI, which must run every test: {reason}"
