"""The app through a real PgBouncer in transaction mode (invoiceflow/testing/pgbouncer.py).

In transaction mode consecutive transactions of one client may run on different server
connections, and one server connection serves many clients in turn. Row-level security still
holds because the tenant is set with SET LOCAL (it lives and dies with the transaction), and
the numbering race still leaves no gap because the counter row is locked inside the finalizing
transaction. These tests rerun the key tests of both through PgBouncer, and show the
premise: two clients on one server connection, taking turns.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from django.db import connection, transaction

from invoiceflow.testing import pgbouncer
from invoices.models import Client
from invoices.tests import test_numbering_concurrency as numbering
from invoices.tests.factories import ClientFactory
from tenants.models import Tenant
from tenants.scoping import tenant_scope
from tenants.tests import test_rls as rls

pytestmark = [pytest.mark.postgres]


@pytest.fixture(scope="module")
def bouncer(django_db_setup: None, django_db_blocker) -> Iterator[pgbouncer.PgBouncer]:
    if not pgbouncer.available():
        pytest.skip("needs Debian's pgbouncer (./dev setup-test installs it)")
    # Fewer server connections than the numbering race has threads: clients must share them.
    started = pgbouncer.start_for_connection(connection, pool_size=10)
    try:
        yield started
    finally:
        pgbouncer.stop_pgbouncer(started)


@pytest.fixture
def via_pgbouncer(bouncer: pgbouncer.PgBouncer) -> Iterator[pgbouncer.PgBouncer]:
    """The default connection goes through PgBouncer. Requested before `db`, whose transaction
    must be opened on the new connection."""
    with pgbouncer.through_pgbouncer(connection, bouncer):
        yield bouncer


def test_the_default_connection_really_goes_through_pgbouncer(via_pgbouncer, transactional_db) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    database = connection.settings_dict["NAME"]
    pools = [row for row in via_pgbouncer.admin("SHOW POOLS") if row["database"] == database]
    assert [row["pool_mode"] for row in pools] == ["transaction"]
    assert any(row["database"] == database for row in via_pgbouncer.admin("SHOW CLIENTS")), (
        via_pgbouncer.log()
    )


def test_two_clients_take_turns_on_one_server_connection_and_never_see_each_others_tenant(
    bouncer: pgbouncer.PgBouncer, transactional_db, tenant: Tenant, other_tenant: Tenant
) -> None:
    with tenant_scope(tenant):
        ClientFactory(name="Acme's client")
    with tenant_scope(other_tenant):
        ClientFactory(name="Globex's client")
    params = connection.get_connection_params()
    for name in ("cursor_factory", "context"):
        params.pop(name, None)
    params.update(host="127.0.0.1", port=bouncer.port)
    single = pgbouncer.start_for_connection(connection, pool_size=1)
    params["port"] = single.port
    try:
        with (
            psycopg.connect(**params, autocommit=True) as first,
            psycopg.connect(**params, autocommit=True) as second,
        ):
            backends = set()
            for conn, scoped in ((first, tenant), (second, other_tenant), (first, None), (second, tenant)):
                with conn.transaction():
                    backends.add(conn.execute("SELECT pg_backend_pid()", prepare=False).fetchone()[0])
                    if scoped is not None:
                        conn.execute(
                            "SELECT set_config('app.tenant_id', %s, true)", [str(scoped.pk)], prepare=False
                        )
                    names = [
                        row[0]
                        for row in conn.execute(f"SELECT name FROM {Client._meta.db_table}", prepare=False)
                    ]
                expected = {tenant: ["Acme's client"], other_tenant: ["Globex's client"], None: []}[scoped]
                assert names == expected, (scoped, names)
            # The premise: both clients ran on the same PostgreSQL backend, one after the other.
            assert len(backends) == 1
    finally:
        pgbouncer.stop_pgbouncer(single)


# --- the row-level security tests, through PgBouncer ------------------------------------------


def test_rls_alone_hides_other_tenants_rows(via_pgbouncer, db, tenant, other_tenant) -> None:
    rls.test_rls_alone_hides_other_tenants_rows(tenant, other_tenant)


def test_rls_refuses_writing_a_row_into_another_tenant(via_pgbouncer, db, tenant, other_tenant) -> None:
    rls.test_rls_refuses_writing_a_row_into_another_tenant(tenant, other_tenant)


def test_a_connection_with_no_tenant_set_reads_nothing(
    via_pgbouncer, transactional_db, tenant, other_tenant
) -> None:
    rls.test_a_connection_with_no_tenant_set_reads_nothing(tenant, other_tenant)


def test_an_outermost_scope_leaves_nothing_set_on_the_connection(
    via_pgbouncer, transactional_db, tenant, other_tenant
) -> None:
    rls.test_an_outermost_scope_leaves_nothing_set_on_the_connection(tenant, other_tenant)


def test_a_nested_scope_hands_the_outer_tenant_back_to_the_database(
    via_pgbouncer, transactional_db, tenant, other_tenant
) -> None:
    rls.test_a_nested_scope_hands_the_outer_tenant_back_to_the_database(tenant, other_tenant)


def test_the_app_runs_as_a_role_that_neither_owns_tables_nor_bypasses_rls(via_pgbouncer, db) -> None:
    rls.test_the_app_runs_as_a_role_that_neither_owns_tables_nor_bypasses_rls(None)


# --- the numbering race, through PgBouncer ------------------------------------------------------


def test_concurrent_finalizations_through_pgbouncer_leave_no_gap_and_no_duplicate(
    via_pgbouncer, transactional_db, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 50 threads, 10 server connections: transactions of different threads share backends.
    # A thread's first connection to PgBouncer waits for a server connection (Django sets the
    # session's time zone on it), behind 40 others: more than the 5 s pool timeout of a web
    # request, which this test is not about.
    pool = connection.settings_dict["OPTIONS"]["pool"]
    monkeypatch.setitem(pool, "timeout", 60)
    monkeypatch.setitem(pool, "min_size", numbering.THREADS)
    monkeypatch.setitem(pool, "max_size", max(pool["max_size"], numbering.THREADS))
    numbering.test_concurrent_finalizations_leave_no_gap_and_no_duplicate(monkeypatch)
    servers = [
        row
        for row in via_pgbouncer.admin("SHOW SERVERS")
        if row["database"] == connection.settings_dict["NAME"]
    ]
    assert 0 < len(servers) <= 10
