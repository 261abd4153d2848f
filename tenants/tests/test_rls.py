"""Row-level security, tested on its own with the ORM's scoping out of the way."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import psycopg
import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.utils import ProgrammingError
from django.utils import timezone

from tenants import rls
from tenants.models import Tenant
from tenants.scoping import tenant_scope
from tenants.tests.test_scoping import make_invitation

pytestmark = pytest.mark.postgres


def test_the_app_runs_as_a_role_that_neither_owns_tables_nor_bypasses_rls(db: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
        user, superuser, bypass = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tableowner = current_user"
        )
        owned = cursor.fetchone()[0]
    assert user == settings.DATABASE_APP_ROLE
    assert (superuser, bypass, owned) == (False, False, 0)


def test_every_tenant_owned_table_has_an_enabled_forced_policy(db: None) -> None:
    assert rls.tenant_owned_models(), "no tenant-owned model found: the check would be empty"
    assert rls.rls_violations(connection) == []


# The tables that carry a tenant_id without being TenantOwnedModel rows: found before a tenant is
# known (through user_scope or a lookup door), and behind the policy all the same.
TENANT_TABLES_OUTSIDE_THE_BASE_MODEL = {
    "tenants_membership",
    "api_apikey",
    "billing_stripeaccount",
    "billing_plansubscription",
    "billing_usagereport",
    "invoices_publicinvoicelink",
    "invoices_providermessageindex",
}


def test_the_catalog_check_covers_every_table_with_a_tenant_id_column(db: None) -> None:
    tables = set(rls.tables_with_tenant_column(connection))
    model_tables = {model._meta.db_table for model in rls.tenant_owned_models()}
    assert model_tables < tables
    assert tables - model_tables == TENANT_TABLES_OUTSIDE_THE_BASE_MODEL
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname = ANY(%s) AND n.nspname = current_schema() "
            "AND c.relrowsecurity AND c.relforcerowsecurity",
            [sorted(tables)],
        )
        assert {row[0] for row in cursor.fetchall()} == tables


@contextmanager
def _as_owner_in_a_rolled_back_transaction() -> Iterator[psycopg.Connection]:
    """The test database as the owner role (who may create tables), undone afterwards."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.update(
        user=settings.DATABASE_OWNER["USER"], password=settings.DATABASE_OWNER.get("PASSWORD") or None
    )
    with psycopg.connect(**params) as owner:
        try:
            yield owner
        finally:
            owner.rollback()


def test_the_catalog_check_flags_a_new_table_with_a_tenant_id_and_no_policy(db: None) -> None:
    # Canary: a table no model knows, as a future migration might add one.
    with _as_owner_in_a_rolled_back_transaction() as owner:
        owner.execute("CREATE TABLE canary_notes (id bigserial PRIMARY KEY, tenant_id bigint NOT NULL)")
        problems = rls.rls_violations(owner)
        assert "canary_notes: row-level security not enabled" in problems
        assert "canary_notes: row-level security not forced" in problems
        assert "canary_notes: no tenant_isolation policy" in problems
        for statement in rls.policy_sql("canary_notes"):
            owner.execute(statement)
        assert not [p for p in rls.rls_violations(owner) if p.startswith("canary_notes")]


def test_the_catalog_check_flags_a_policy_that_widens_the_tenant_one(db: None) -> None:
    with _as_owner_in_a_rolled_back_transaction() as owner:
        owner.execute("CREATE POLICY peek ON api_apikey FOR SELECT USING (true)")
        owner.execute(
            "CREATE POLICY own_rows ON api_apikey FOR SELECT USING "
            "(created_by_id = NULLIF(current_setting('app.user_id', true), '')::bigint)"
        )
        # The membership's own narrow policy, widened; a door's policy, gone.
        owner.execute("DROP POLICY own_rows ON tenants_membership")
        owner.execute("CREATE POLICY own_rows ON tenants_membership FOR SELECT USING (true)")
        owner.execute("DROP POLICY lookup_door_stripe_account ON billing_stripeaccount")
        problems = rls.rls_violations(owner)
    assert "api_apikey: unexpected policy peek (only tenant_isolation and declared doors)" in problems
    assert "api_apikey: unexpected policy own_rows (only tenant_isolation and declared doors)" in problems
    assert "tenants_membership: own_rows must only read rows of app.user_id" in problems
    assert "function lookup_door_stripe_account: its policy on billing_stripeaccount is missing" in problems


def test_the_catalog_check_flags_an_undeclared_or_altered_security_definer_function(db: None) -> None:
    with _as_owner_in_a_rolled_back_transaction() as owner:
        owner.execute(
            "CREATE FUNCTION all_api_keys() RETURNS SETOF bigint LANGUAGE sql SECURITY DEFINER "
            "AS $$ SELECT id FROM api_apikey $$"
        )
        owner.execute(
            "CREATE OR REPLACE FUNCTION lookup_door_api_key(p_prefix text, p_secret_hash text) "
            "RETURNS TABLE (tenant_id bigint, row_id bigint) LANGUAGE plpgsql SECURITY DEFINER "
            "AS $door$ BEGIN RETURN QUERY SELECT t.tenant_id, t.id FROM api_apikey t "
            "WHERE t.prefix = p_prefix; END $door$"
        )
        owner.execute("GRANT EXECUTE ON FUNCTION lookup_door_api_key(text, text) TO PUBLIC")
        problems = rls.rls_violations(owner)
    assert "function all_api_keys: SECURITY DEFINER but not a declared lookup door" in problems
    assert "function lookup_door_api_key: its body is not the lookup api.ApiKey declares" in problems
    assert "function lookup_door_api_key: callable by PUBLIC" in problems


def test_the_link_table_check_flags_an_auto_created_many_to_many(db: None, monkeypatch) -> None:
    from django.apps import apps

    from tenants.models import Invitation

    real_get_models = apps.get_models

    class FakeThrough:
        class _meta:
            proxy = False
            db_table = "fake_invitation_tags"
            concrete_fields = [Invitation._meta.get_field("tenant")]

    # A field pointing at a tenant-owned model, on a table that is not tenant-owned.
    field = Invitation._meta.get_field("accepted_by")
    monkeypatch.setattr(field, "related_model", Invitation)
    FakeThrough._meta.concrete_fields = [field]
    monkeypatch.setattr(apps, "get_models", lambda **kw: [*real_get_models(**kw), FakeThrough])
    assert any(p.startswith("fake_invitation_tags.") for p in rls.unprotected_link_tables())


def _count(cursor_or_conn, table: str = "tenants_invitation") -> int:
    cursor = cursor_or_conn.cursor()
    cursor.execute(f"SELECT count(*) FROM {table}")
    return cursor.fetchone()[0]


def test_rls_alone_hides_other_tenants_rows(tenant: Tenant, other_tenant: Tenant) -> None:
    make_invitation(tenant, "a1@example.com")
    make_invitation(tenant, "a2@example.com")
    make_invitation(other_tenant, "b1@example.com")
    with tenant_scope(tenant), connection.cursor() as cursor:
        # Raw SQL: no ORM filter at all, only the policy.
        cursor.execute("SELECT email FROM tenants_invitation ORDER BY email")
        assert [row[0] for row in cursor.fetchall()] == ["a1@example.com", "a2@example.com"]
        cursor.execute("UPDATE tenants_invitation SET role = 'owner'")
        assert cursor.rowcount == 2  # only tenant's own rows were reachable
    with tenant_scope(other_tenant), connection.cursor() as cursor:
        cursor.execute("SELECT email FROM tenants_invitation")
        assert [row[0] for row in cursor.fetchall()] == ["b1@example.com"]


def test_rls_refuses_writing_a_row_into_another_tenant(tenant: Tenant, other_tenant: Tenant) -> None:
    with (
        tenant_scope(tenant),
        pytest.raises(ProgrammingError, match="row-level security"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO tenants_invitation (tenant_id, public_id, email, role, created_at, "
            "token_nonce, sent_at, expires_at) VALUES (%s, 'inv_x', 'x@example.com', 'member', "
            "now(), 'n', now(), now())",
            [other_tenant.pk],
        )


@pytest.mark.django_db(transaction=True)
def test_a_connection_with_no_tenant_set_reads_nothing(tenant: Tenant, other_tenant: Tenant) -> None:
    make_invitation(tenant, "a@example.com")
    make_invitation(other_tenant, "b@example.com")
    # A brand-new connection as the app role, committed data, nothing set.
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as raw:
        assert _count(raw) == 0
        with raw.transaction():
            raw.execute("SELECT set_config('app.tenant_id', %s, true)", [str(tenant.pk)])
            assert _count(raw) == 1
        # SET LOCAL died with the transaction: back to nothing.
        assert _count(raw) == 0
        with raw.transaction():
            raw.execute("SELECT set_config('app.tenant_id', '', true)")
            assert _count(raw) == 0


def test_rows_exist_for_the_owner_view_of_the_check(tenant: Tenant) -> None:
    # Guards the tests above against passing on an empty table.
    make_invitation(tenant, "exists@example.com")
    with tenant_scope(tenant):
        assert _count(connection) == 1
    assert timezone.now() - timedelta(days=1) < timezone.now()


@pytest.mark.django_db(transaction=True)
def test_an_outermost_scope_leaves_nothing_set_on_the_connection(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    # The scope does not reset the setting on its way out: its transaction ending does that.
    make_invitation(tenant, "a@example.com")
    with tenant_scope(tenant):
        assert _count(connection) == 1
    assert not connection.in_atomic_block
    with transaction.atomic():
        assert _count(connection) == 0
    # The same connection, as the next task or request on it would find it.
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('app.tenant_id', true)")
        assert cursor.fetchone()[0] in (None, "")


@pytest.mark.django_db(transaction=True)
def test_a_nested_scope_hands_the_outer_tenant_back_to_the_database(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    make_invitation(tenant, "a1@example.com")
    make_invitation(tenant, "a2@example.com")
    make_invitation(other_tenant, "b@example.com")
    with tenant_scope(tenant):
        assert _count(connection) == 2
        with tenant_scope(other_tenant):
            assert _count(connection) == 1
        assert _count(connection) == 2  # the policy sees the outer tenant again
