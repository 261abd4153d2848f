"""PostgreSQL row-level security: the second wall behind the scoped managers.

Each tenant-owned table gets, through the `EnableRowLevelSecurity` migration operation:

    ALTER TABLE t ENABLE ROW LEVEL SECURITY;
    ALTER TABLE t FORCE ROW LEVEL SECURITY;          -- the owner is bound too
    CREATE POLICY tenant_isolation ON t
        USING (tenant_id = <app.tenant_id>) WITH CHECK (tenant_id = <app.tenant_id>);

`app.tenant_id` is set per transaction by `tenants.scoping.tenant_scope`. When it is unset,
`current_setting(..., true)` is NULL (or '' once a transaction has reset it), the comparison
is never true, and the table reads as empty: the policy fails closed.

Every table with a `tenant_id` column is covered, whatever its model: `rls_violations()` finds
them in PostgreSQL's catalog (not in the list of models) and is what the test suite asserts is
empty, so a new table whose migration forgets the operation fails CI.

Two kinds of narrower policy sit beside the tenant one, and the catalog check allows no other:

- `own_rows` on the membership table (`AllowReadingOwnRows`): a user's own memberships can be
  *read* across workspaces while `tenants.scoping.user_scope` sets `app.user_id`;
- one owner-only read policy per lookup door (`tenants.doors`).
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState

from tenants.doors import DOOR_SETTING, LOOKUP_DOORS, door_body
from tenants.scoping import TenantOwnedModel

POLICY_NAME = "tenant_isolation"
CURRENT_TENANT_SQL = "NULLIF(current_setting('app.tenant_id', true), '')::bigint"
OWN_ROWS_POLICY = "own_rows"
CURRENT_USER_SQL = "NULLIF(current_setting('app.user_id', true), '')::bigint"
# The tables whose rows a user may read as their own (user_scope), by model.
OWN_ROWS_MODELS = frozenset({"tenants.Membership"})


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


def own_rows_policy_sql(table: str) -> list[str]:
    return [
        f'DROP POLICY IF EXISTS {OWN_ROWS_POLICY} ON "{table}"',
        f'CREATE POLICY {OWN_ROWS_POLICY} ON "{table}" FOR SELECT USING (user_id = {CURRENT_USER_SQL})',
    ]


class AllowReadingOwnRows(Operation):
    """Migration operation: a user may read their own rows of this (tenant-policed) table while
    `app.user_id` names them. Read only: writes still need the row's tenant."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        pass

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        table = to_state.apps.get_model(app_label, self.model_name)._meta.db_table
        for statement in own_rows_policy_sql(table):
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
        table = from_state.apps.get_model(app_label, self.model_name)._meta.db_table
        schema_editor.execute(f'DROP POLICY IF EXISTS {OWN_ROWS_POLICY} ON "{table}"')

    def describe(self) -> str:
        return f"Let users read their own {self.model_name} rows"

    def deconstruct(self) -> tuple[str, list, dict]:
        return (f"{__name__}.{type(self).__name__}", [], {"model_name": self.model_name})


def tenant_owned_models() -> list[type[models.Model]]:
    return [
        model for model in apps.get_models() if issubclass(model, TenantOwnedModel) and not model._meta.proxy
    ]


def models_with_tenant_column() -> list[type[models.Model]]:
    """Every model whose table carries a `tenant_id`: the tenant-owned ones and the tables found
    before their tenant is known (memberships, API keys, ...). All are behind the policy."""
    return [
        model
        for model in apps.get_models()
        if not model._meta.proxy and any(field.column == "tenant_id" for field in model._meta.concrete_fields)
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


def tables_with_tenant_column(connection: BaseDatabaseWrapper) -> list[str]:
    """Every table of the schema with a `tenant_id` column, from the catalog, models or not."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE a.attname = 'tenant_id' AND NOT a.attisdropped AND c.relkind IN ('r', 'p') "
            "AND n.nspname = current_schema() ORDER BY c.relname"
        )
        return [row[0] for row in cursor.fetchall()]


def _door_tables() -> dict[str, str]:
    return {name: apps.get_model(door.model)._meta.db_table for name, door in LOOKUP_DOORS.items()}


def _policy_problems(table: str, owner: str, policies: list[tuple]) -> list[str]:
    problems = []
    own_rows_tables = {apps.get_model(label)._meta.db_table for label in OWN_ROWS_MODELS}
    door_tables = _door_tables()
    found = {
        name: (cmd, permissive, roles, qual, check) for name, cmd, permissive, roles, qual, check in policies
    }
    if POLICY_NAME not in found:
        problems.append(f"{table}: no {POLICY_NAME} policy")
    for name, (cmd, permissive, roles, qual, check) in found.items():
        if name == POLICY_NAME:
            if (
                cmd != "ALL"
                or permissive != "PERMISSIVE"
                or not all(clause and "app.tenant_id" in clause for clause in (qual, check))
            ):
                problems.append(f"{table}: policy does not check app.tenant_id on read and write")
        elif name == OWN_ROWS_POLICY and table in own_rows_tables:
            # PostgreSQL stores it as "(user_id = (NULLIF(current_setting('app.user_id'...".
            reads_own = (qual or "").lstrip("(").startswith("user_id = ") and "'app.user_id'" in (qual or "")
            if cmd != "SELECT" or not reads_own:
                problems.append(f"{table}: {OWN_ROWS_POLICY} must only read rows of app.user_id")
        elif door_tables.get(name) == table:
            if cmd != "SELECT" or list(roles) != [owner] or f"'{name}'" not in (qual or ""):
                problems.append(f"{table}: door policy {name} must be read-only, for {owner}, and the door's")
            elif DOOR_SETTING not in (qual or ""):
                problems.append(f"{table}: door policy {name} does not check {DOOR_SETTING}")
        else:
            problems.append(f"{table}: unexpected policy {name} (only {POLICY_NAME} and declared doors)")
    return problems


def _door_problems(cursor: Any) -> list[str]:
    """SECURITY DEFINER functions must be the declared doors, with the declared bodies and their
    policies (whose shape `_policy_problems` checks)."""
    problems = []
    cursor.execute("SELECT current_schema()")
    schema = cursor.fetchone()[0]
    cursor.execute(
        "SELECT p.proname, p.prosrc, p.proacl IS NULL OR EXISTS "
        "(SELECT 1 FROM aclexplode(p.proacl) acl WHERE acl.grantee = 0) "
        "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE p.prosecdef AND n.nspname = current_schema()"
    )
    functions = {name: (body, public) for name, body, public in cursor.fetchall()}
    for name, (body, public) in sorted(functions.items()):
        door = LOOKUP_DOORS.get(name)
        if door is None:
            problems.append(f"function {name}: SECURITY DEFINER but not a declared lookup door")
            continue
        model = apps.get_model(door.model)
        columns = [model._meta.get_field(field).column for field in door.key_fields]
        expected = door_body(name, schema=schema, table=model._meta.db_table, key_columns=columns)
        if body != expected:
            problems.append(f"function {name}: its body is not the lookup {door.model} declares")
        if public:
            problems.append(f"function {name}: callable by PUBLIC")
        cursor.execute(
            "SELECT 1 FROM pg_policies "
            "WHERE policyname = %s AND tablename = %s AND schemaname = current_schema()",
            [name, model._meta.db_table],
        )
        if cursor.fetchone() is None:
            problems.append(f"function {name}: its policy on {model._meta.db_table} is missing")
    problems.extend(
        f"function {name}: declared door missing" for name in sorted(set(LOOKUP_DOORS) - set(functions))
    )
    return problems


def rls_violations(connection: BaseDatabaseWrapper) -> list[str]:
    """Every table with a `tenant_id` column has RLS enabled, forced, the tenant policy, and no
    policy or SECURITY DEFINER function beyond the declared narrow ones."""
    problems = unprotected_link_tables()
    tables = set(tables_with_tenant_column(connection))
    tables |= {model._meta.db_table for model in tenant_owned_models()}
    with connection.cursor() as cursor:
        for table in sorted(tables):
            cursor.execute(
                "SELECT c.relrowsecurity, c.relforcerowsecurity, pg_get_userbyid(c.relowner) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relname = %s AND n.nspname = current_schema()",
                [table],
            )
            row = cursor.fetchone()
            if row is None:
                problems.append(f"{table}: table missing")
                continue
            enabled, forced, owner = row
            if not enabled:
                problems.append(f"{table}: row-level security not enabled")
            if not forced:
                problems.append(f"{table}: row-level security not forced")
            cursor.execute(
                "SELECT policyname, cmd, permissive, roles, qual, with_check FROM pg_policies "
                "WHERE tablename = %s AND schemaname = current_schema()",
                [table],
            )
            problems.extend(_policy_problems(table, owner, cursor.fetchall()))
        problems.extend(_door_problems(cursor))
    return problems


def grant_app_role(connection: BaseDatabaseWrapper, role: str) -> None:
    """Give the app's role data access (never ownership) to every table, after migrating, and
    the right to call the lookup doors (which PUBLIC may not)."""
    quoted = connection.ops.quote_name(role)
    with connection.cursor() as cursor:
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {quoted}")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}")
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}")
        cursor.execute(
            "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE p.prosecdef AND n.nspname = current_schema() AND p.proname = ANY(%s)",
            [list(LOOKUP_DOORS)],
        )
        for (signature,) in cursor.fetchall():
            cursor.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {quoted}")
