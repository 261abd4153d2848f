"""PostgreSQL row-level security: the second wall behind the scoped managers.

Each tenant-owned table gets, through the `EnableRowLevelSecurity` migration operation:

    ALTER TABLE t ENABLE ROW LEVEL SECURITY;
    ALTER TABLE t FORCE ROW LEVEL SECURITY;          -- the owner is bound too
    CREATE POLICY tenant_isolation ON t
        USING (tenant_id = <app.tenant_id>) WITH CHECK (tenant_id = <app.tenant_id>);

`app.tenant_id` is set per transaction by `tenants.scoping.tenant_scope`. When it is unset,
`current_setting(..., true)` is NULL (or '' once a transaction has reset it), the comparison
is never true, and the table reads as empty: the policy fails closed.

`rls_violations()` is what the test suite asserts is empty, so a new tenant-owned model
whose migration forgets the operation fails CI.
"""

from __future__ import annotations

from django.apps import apps
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState

from tenants.scoping import TenantOwnedModel

POLICY_NAME = "tenant_isolation"
CURRENT_TENANT_SQL = "NULLIF(current_setting('app.tenant_id', true), '')::bigint"


def policy_sql(table: str) -> list[str]:
    quoted = f'"{table}"'
    return [
        f"ALTER TABLE {quoted} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {quoted} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS {POLICY_NAME} ON {quoted}",
        f"CREATE POLICY {POLICY_NAME} ON {quoted} "
        f"USING (tenant_id = {CURRENT_TENANT_SQL}) "
        f"WITH CHECK (tenant_id = {CURRENT_TENANT_SQL})",
    ]


class EnableRowLevelSecurity(Operation):
    """Migration operation: put a tenant-owned model's table behind the tenant policy."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        pass

    def _table(self, app_label: str, state: ProjectState) -> str:
        return state.apps.get_model(app_label, self.model_name)._meta.db_table

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in policy_sql(self._table(app_label, to_state)):
            schema_editor.execute(statement)

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        table = self._table(app_label, from_state)
        schema_editor.execute(f'DROP POLICY IF EXISTS {POLICY_NAME} ON "{table}"')
        schema_editor.execute(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY')
        schema_editor.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')

    def describe(self) -> str:
        return f"Enable tenant row-level security on {self.model_name}"

    def deconstruct(self) -> tuple[str, list, dict]:
        return (f"{__name__}.{type(self).__name__}", [], {"model_name": self.model_name})


def tenant_owned_models() -> list[type[models.Model]]:
    return [
        model for model in apps.get_models() if issubclass(model, TenantOwnedModel) and not model._meta.proxy
    ]


def unprotected_link_tables() -> list[str]:
    """Tables that point at tenant-owned rows without being tenant-owned themselves.

    An auto-created many-to-many table between two tenant-owned models has no tenant_id
    column, so no policy can guard it: such relations must use an explicit `through`
    model that inherits TenantOwnedModel.
    """
    found = []
    for model in apps.get_models(include_auto_created=True):
        if issubclass(model, TenantOwnedModel) or model._meta.proxy:
            continue
        for field in model._meta.concrete_fields:
            target = getattr(field, "related_model", None)
            if field.is_relation and target and issubclass(target, TenantOwnedModel):
                found.append(f"{model._meta.db_table}.{field.column} → {target._meta.db_table}")
    return found


def rls_violations(connection: BaseDatabaseWrapper) -> list[str]:
    """Every tenant-owned table must have RLS enabled, forced, and the tenant policy."""
    problems = unprotected_link_tables()
    with connection.cursor() as cursor:
        for model in tenant_owned_models():
            table = model._meta.db_table
            cursor.execute(
                "SELECT c.relrowsecurity, c.relforcerowsecurity FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relname = %s AND n.nspname = current_schema()",
                [table],
            )
            row = cursor.fetchone()
            if row is None:
                problems.append(f"{table}: table missing")
                continue
            enabled, forced = row
            if not enabled:
                problems.append(f"{table}: row-level security not enabled")
            if not forced:
                problems.append(f"{table}: row-level security not forced")
            cursor.execute(
                "SELECT qual, with_check FROM pg_policies "
                "WHERE tablename = %s AND schemaname = current_schema() AND policyname = %s",
                [table, POLICY_NAME],
            )
            policy = cursor.fetchone()
            if policy is None:
                problems.append(f"{table}: no {POLICY_NAME} policy")
            elif not all(clause and "app.tenant_id" in clause for clause in policy):
                problems.append(f"{table}: policy does not check app.tenant_id on read and write")
    return problems


def grant_app_role(connection: BaseDatabaseWrapper, role: str) -> None:
    """Give the app's role data access (never ownership) to every table, after migrating."""
    quoted = connection.ops.quote_name(role)
    with connection.cursor() as cursor:
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {quoted}")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}")
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}")
