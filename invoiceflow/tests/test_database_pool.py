"""Database connections are bounded by a pool per process (settings: DATABASE_POOL_*).

- Real web processes (docker/entrypoint.sh web: uvicorn with two worker processes) under 16
  concurrent API clients hold at most processes x DATABASE_POOL_MAX_SIZE connections and answer
  no 5xx; with the old CONN_MAX_AGE=60 and no pool the same load held a connection per request
  thread (bench/db_connections.py measures both for two minutes).
- A request that gets no connection within DATABASE_POOL_TIMEOUT is a 503 with Retry-After.
- A pooled connection never hands one tenant's row-level security setting to the next borrower.
- Settings refuse a pool with CONN_MAX_AGE or with impossible sizes.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import OperationalError, connections
from django.http import HttpResponse
from django.test import RequestFactory
from psycopg_pool import PoolTimeout

from api.services import api_key_create
from invoiceflow.database import server_error
from invoiceflow.pool_reset import TENANT_SETTING
from invoiceflow.testing.celery_worker import database_environ
from invoiceflow.testing.load import Client, run_load
from invoiceflow.testing.processes import wait_until
from invoiceflow.testing.web_server import WebServer, start_web, stop_web
from invoices.tests.factories import ClientFactory
from portal.services import TOKEN_LENGTH
from tenants import rls
from tenants.models import Invitation, Role, Tenant
from tenants.scoping import tenant_scope
from tenants.tests.factories import MembershipFactory, TenantFactory
from tenants.tests.test_scoping import make_invitation

BASE_DIR = Path(settings.BASE_DIR)


# --- settings ----------------------------------------------------------------------------------


def import_settings(**env: str) -> subprocess.CompletedProcess[str]:
    full_env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DATABASE_POOL", "DATABASE_CONN_MAX_AGE", "DJANGO_SETTINGS_MODULE"))
    }
    full_env.update(DATABASE_URL="postgresql://app@127.0.0.1:5432/invoiceflow", **env)
    code = (
        "import json; from invoiceflow import settings as s; db = s.DATABASES['default']; "
        "pool = {k: v for k, v in db.get('OPTIONS', {}).get('pool', {}).items() if k != 'reset'}; "
        "print(json.dumps({'CONN_MAX_AGE': db['CONN_MAX_AGE'], 'pool': pool}))"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=full_env, capture_output=True, text=True, timeout=60
    )


def test_postgresql_gets_a_bounded_pool_and_no_persistent_connections_by_default() -> None:
    result = import_settings()
    assert result.returncode == 0, result.stderr
    database = json.loads(result.stdout)
    assert database["CONN_MAX_AGE"] == 0
    assert database["pool"] == {"min_size": 1, "max_size": 8, "timeout": 5.0}


def test_the_pool_can_be_switched_off_for_persistent_connections() -> None:
    result = import_settings(DATABASE_POOL="false", DATABASE_CONN_MAX_AGE="60")
    assert result.returncode == 0, result.stderr
    database = json.loads(result.stdout)
    assert (database["CONN_MAX_AGE"], database["pool"]) == (60, {})


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DATABASE_CONN_MAX_AGE": "60"}, "DATABASE_CONN_MAX_AGE must be 0 with the connection pool"),
        ({"DATABASE_POOL_MIN_SIZE": "5", "DATABASE_POOL_MAX_SIZE": "2"}, "got 5 and 2"),
        ({"DATABASE_POOL_MAX_SIZE": "0", "DATABASE_POOL_MIN_SIZE": "0"}, "MAX_SIZE of 1 or more"),
        ({"DATABASE_POOL_TIMEOUT": "0"}, "DATABASE_POOL_TIMEOUT must be positive"),
    ],
    ids=["conn-max-age", "min-above-max", "max-zero", "timeout-zero"],
)
def test_an_impossible_pool_configuration_refuses_to_start(env: dict[str, str], message: str) -> None:
    result = import_settings(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_the_reset_clears_the_setting_row_level_security_reads() -> None:
    # The pool's reset names the setting itself (settings cannot import tenants): keep them one.
    assert f"current_setting('{TENANT_SETTING}', true)" in rls.CURRENT_TENANT_SQL


# --- the 500 handler ----------------------------------------------------------------------------


def handled(error: Exception, path: str) -> HttpResponse:
    """What handler500 answers while Django handles `error` for a request to `path`."""
    try:
        raise error
    except Exception:
        return server_error(RequestFactory().get(path))


def pool_timeout() -> OperationalError:
    error = OperationalError("couldn't get a connection after 10.00 sec")
    error.__cause__ = PoolTimeout("couldn't get a connection after 10.00 sec")
    return error


def test_a_pool_timeout_is_a_503_page_for_pages_and_an_api_error_for_the_api() -> None:
    page = handled(pool_timeout(), "/t/acme/invoices/")
    assert (page.status_code, page["Retry-After"]) == (503, "5")
    html = page.content.decode()
    assert 'data-testid="error-503"' in html
    assert "Please retry in 5 seconds." in html
    assert "<script" not in html

    api = handled(pool_timeout(), "/api/v1/invoices/")
    assert (api.status_code, api["Retry-After"]) == (503, "5")
    assert json.loads(api.content)["error"]["code"] == "unavailable"


@pytest.mark.parametrize(
    "error",
    [RuntimeError("a bug"), OperationalError("server closed the connection unexpectedly")],
    ids=["bug", "other-database-error"],
)
def test_every_other_error_is_still_our_500_page(error: Exception) -> None:
    response = handled(error, "/t/acme/invoices/")
    assert response.status_code == 500
    assert 'data-testid="error-500"' in response.content.decode()
    assert "Retry-After" not in response


# --- a pooled connection and the tenant ---------------------------------------------------------

PROBE_ALIAS = "pool_probe"


@contextmanager
def single_connection_pool() -> Iterator[Any]:
    """A copy of the default connection with the project's pool options but one connection in
    the pool: every borrower gets the same PostgreSQL backend, so what one leaves behind, the
    next one would see."""
    wrapper = connections["default"].copy(PROBE_ALIAS)
    options = wrapper.settings_dict["OPTIONS"]
    assert options.get("pool"), "the project's settings should configure a pool on PostgreSQL"
    options["pool"] = {**options["pool"], "min_size": 1, "max_size": 1, "timeout": 5}
    connections[PROBE_ALIAS] = wrapper
    wrapper.pool.open()
    try:
        yield wrapper
    finally:
        wrapper.close()
        wrapper.close_pool()
        del connections[PROBE_ALIAS]


def next_borrower(wrapper: Any) -> tuple[int, str | None, int]:
    """Borrow the connection as a request with no tenant would: its backend, the tenant setting
    it finds, and how many invitations row-level security lets it see."""
    wrapper.close()  # the previous borrower's request has ended
    with wrapper.cursor() as cursor:
        cursor.execute(f"SELECT pg_backend_pid(), current_setting('{TENANT_SETTING}', true)")
        pid, setting = cursor.fetchone()
        cursor.execute(f'SELECT count(*) FROM "{Invitation._meta.db_table}"')
        visible = cursor.fetchone()[0]
    wrapper.close()
    return pid, setting, visible


def backend_pid(wrapper: Any) -> int:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


@pytest.fixture
def two_tenants(transactional_db: None) -> tuple[Tenant, Tenant]:
    first, second = TenantFactory(), TenantFactory()
    make_invitation(first, "first@example.com")
    make_invitation(second, "second@example.com")
    return first, second


@pytest.mark.postgres
def test_a_tenants_request_leaves_nothing_for_the_next_borrower(two_tenants: tuple[Tenant, Tenant]) -> None:
    first, second = two_tenants
    with single_connection_pool() as wrapper:
        with tenant_scope(first, using=PROBE_ALIAS):
            emails = list(Invitation.objects.using(PROBE_ALIAS).values_list("email", flat=True))
            used = backend_pid(wrapper)
        assert emails == ["first@example.com"]

        pid, setting, visible = next_borrower(wrapper)
        assert pid == used  # the very same connection...
        assert setting in ("", None)  # ...carries no tenant
        assert visible == 0  # and row-level security shows it nothing

        with tenant_scope(second, using=PROBE_ALIAS):
            unscoped = Invitation.unscoped_across_tenants.using(PROBE_ALIAS)
            emails = list(unscoped.values_list("email", flat=True))
            assert backend_pid(wrapper) == used
        assert emails == ["second@example.com"]  # the database itself shows only the second tenant


@pytest.mark.postgres
def test_a_request_that_failed_in_its_tenant_leaves_nothing_behind(
    two_tenants: tuple[Tenant, Tenant],
) -> None:
    first, _ = two_tenants
    used: list[int] = []

    def failing_view() -> None:
        with tenant_scope(first, using=PROBE_ALIAS):
            assert Invitation.objects.using(PROBE_ALIAS).count() == 1
            used.append(backend_pid(wrapper))
            raise RuntimeError("the view failed")

    with single_connection_pool() as wrapper:
        with pytest.raises(RuntimeError, match="the view failed"):
            failing_view()
        assert next_borrower(wrapper) in ((used[0], "", 0), (used[0], None, 0))


@pytest.mark.postgres
def test_a_connection_handed_back_mid_transaction_is_rolled_back(two_tenants: tuple[Tenant, Tenant]) -> None:
    first, _ = two_tenants
    with single_connection_pool() as wrapper:
        # A request that died inside its transaction: the tenant was set, nothing committed.
        raw = wrapper.pool.getconn()
        raw.autocommit = False
        raw.execute("SELECT set_config(%s, %s, true)", [TENANT_SETTING, str(first.pk)])
        used = raw.info.backend_pid
        wrapper.pool.putconn(raw)
        assert next_borrower(wrapper) in ((used, "", 0), (used, None, 0))


@pytest.mark.postgres
def test_even_a_session_level_tenant_is_cleared_before_the_next_borrower(
    two_tenants: tuple[Tenant, Tenant],
) -> None:
    """tenant_scope only ever sets the tenant for one transaction. Should some code set it for
    the session, the pool's reset (invoiceflow.pool_reset) still clears it on the way back."""
    first, _ = two_tenants
    with single_connection_pool() as wrapper:
        raw = wrapper.pool.getconn()
        raw.execute("SELECT set_config(%s, %s, false)", [TENANT_SETTING, str(first.pk)])
        used = raw.info.backend_pid
        wrapper.pool.putconn(raw)
        assert next_borrower(wrapper) in ((used, "", 0), (used, None, 0))


# --- real web processes ------------------------------------------------------------------------


def api_client_for(tenant_index: int) -> tuple[str, str]:
    """A tenant with one client and an owner's API key: (key, the client's name)."""
    membership = MembershipFactory(role=Role.OWNER)
    with tenant_scope(membership.tenant):
        client = ClientFactory(name=f"Load client of tenant {tenant_index} {membership.tenant.slug}")
        key = api_key_create(actor=membership, name="load test", role=Role.OWNER).secret
    return key, client.name


def lists_only(name: str) -> Any:
    def check(body: bytes) -> str | None:
        names = [row["name"] for row in json.loads(body)["results"]]
        return None if names == [name] else f"expected only {name!r}, got {names!r}"

    return check


@pytest.fixture
def web_servers(tmp_path: Path) -> Iterator[Any]:
    started: list[WebServer] = []

    def start(**extra_env: str) -> WebServer:
        workers = int(extra_env.pop("WEB_CONCURRENCY", "2"))
        server = start_web(
            database_url=database_environ()["DATABASE_URL"],
            log_dir=tmp_path,
            workers=workers,
            extra_env={"API_RATE_LIMIT": str(10**9), **extra_env},
        )
        started.append(server)
        return server

    yield start
    # Before the test's flush: the servers' connections must be gone.
    for server in started:
        stop_web(server)


LOAD_CLIENTS = 16
LOAD_SECONDS = 15
POOL_MAX_SIZE = 3  # per process; below 16 clients ÷ 2 processes, so the pool is what bounds them


@pytest.mark.postgres
@pytest.mark.redis
def test_two_web_processes_hold_their_pools_bound_under_sixteen_clients(
    transactional_db: None, web_servers: Any
) -> None:
    tenants = [api_client_for(index) for index in range(2)]
    # A generous wait: eight clients queue for three connections per process on a shared machine.
    server = web_servers(
        WEB_CONCURRENCY="2", DATABASE_POOL_MAX_SIZE=str(POOL_MAX_SIZE), DATABASE_POOL_TIMEOUT="10"
    )
    bound = server.workers * POOL_MAX_SIZE
    clients = [
        Client(
            path="/api/v1/clients/",
            headers={"Authorization": f"Bearer {key}"},
            # Pooled connections pass from one tenant's request to the other's all the time.
            check=lists_only(name),
        )
        for key, name in (tenants[index % 2] for index in range(LOAD_CLIENTS))
    ]

    result = run_load(server, clients, seconds=LOAD_SECONDS, monitor_url=os.environ["DATABASE_URL"])

    summary = (
        f"{result.requests} requests, statuses {dict(result.statuses)}, connections max "
        f"{result.max_connections} mean {result.mean_connections:.1f} (bound {bound})"
    )
    assert result.errors == [], f"{summary}; {result.errors[:5]}"
    assert set(result.statuses) == {200}, f"{summary}\n{server.log()}"
    assert result.requests >= 10 * LOAD_CLIENTS, summary
    assert result.max_connections <= bound, summary
    # The sampler does see this server's connections (at least one per process).
    assert result.max_connections >= server.workers, summary
    assert "Traceback" not in server.log(lines=None)


@pytest.fixture
def locked_api_keys() -> Iterator[Any]:
    """Takes the API key table's strongest lock from outside, so a request that reads it waits
    while holding its pooled connection; released on exit (or when the test ends)."""
    locker = psycopg.connect(database_environ()["DATABASE_URL"])

    @contextmanager
    def lock() -> Iterator[None]:
        from api.models import ApiKey

        locker.execute(f'LOCK TABLE "{ApiKey._meta.db_table}" IN ACCESS EXCLUSIVE MODE')
        try:
            yield
        finally:
            locker.rollback()

    try:
        yield lock
    finally:
        locker.close()


def get(
    server: WebServer, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes, float]:
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        headers = {name.lower(): value for name, value in response.getheaders()}
        return response.status, headers, response.read(), time.monotonic() - started
    finally:
        connection.close()


def waiting_on_a_lock(server: WebServer) -> bool:
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as monitor:
        row = monitor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND wait_event_type = 'Lock'",
            [server.application_name],
        ).fetchone()
    return bool(row and row[0])


# Well-formed, so the page looks it up in the database (and finds nothing).
UNKNOWN_LINK_TOKEN = "x" * TOKEN_LENGTH


@pytest.mark.postgres
@pytest.mark.redis
def test_a_request_that_gets_no_connection_in_time_is_a_503_with_retry_after(
    transactional_db: None, web_servers: Any, locked_api_keys: Any
) -> None:
    key, name = api_client_for(0)
    auth = {"Authorization": f"Bearer {key}"}
    server = web_servers(
        WEB_CONCURRENCY="1", DATABASE_POOL_MIN_SIZE="1", DATABASE_POOL_MAX_SIZE="1", DATABASE_POOL_TIMEOUT="1"
    )
    assert get(server, "/api/v1/clients/", auth)[0] == 200

    held: list[int] = []
    with locked_api_keys():
        # This request takes the process's only connection and waits on the lock with it.
        holder = threading.Thread(target=lambda: held.append(get(server, "/api/v1/clients/", auth)[0]))
        holder.start()
        assert wait_until(lambda: waiting_on_a_lock(server), timeout=20), server.log()

        status, headers, body, took = get(server, "/api/v1/clients/", auth)
        assert status == 503, body[:500]
        assert 1 <= took < 10
        assert headers["retry-after"] == "5"
        assert headers["x-request-id"]
        error = json.loads(body)["error"]
        assert error["code"] == "unavailable"
        assert "retry in 5 seconds" in error["message"]

        # A page (the client's public invoice page looks its link up) gets the HTML version.
        status, headers, body, _ = get(server, f"/i/{UNKNOWN_LINK_TOKEN}")
        assert status == 503, server.log()
        assert headers["retry-after"] == "5"
        assert b"InvoiceFlow is busy right now." in body

        # What needs no database still answers at once: liveness, robots.txt.
        for path in ("/healthz", "/robots.txt"):
            status, _, _, took = get(server, path)
            assert (path, status, took < 1) == (path, 200, True)
        assert held == []  # the first request is still waiting
    holder.join(timeout=30)
    assert held == [200]
    status, _, body, _ = get(server, "/api/v1/clients/", auth)
    assert status == 200
    assert [row["name"] for row in json.loads(body)["results"]] == [name]
    log = server.log(lines=None)
    assert '"message": "Service Unavailable: /api/v1/clients/"' in log
    assert f'"message": "Service Unavailable: /i/{UNKNOWN_LINK_TOKEN}"' in log
    assert "couldn't get a connection after 1.00 sec" in log  # the cause, for whoever reads it
    assert "Internal Server Error" not in log
