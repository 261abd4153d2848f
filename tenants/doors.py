"""Lookup doors: the only ways to find a tenant's row before its tenant is known.

Every table with a `tenant_id` column is behind row-level security (`tenants.rls`), so a
request that arrives with nothing but a secret or an external id (an API key, a public invoice
link's token, a Stripe account or customer id in a webhook, an email provider's message id)
cannot read the row that would name its tenant. A door is a PostgreSQL function that answers
exactly that question and nothing more:

    lookup_door_api_key('prefix', 'sha256 of the key') → (tenant_id, row_id)

The caller then enters `tenant_scope(tenant)` and reads the row through row-level security
like any other. A door returns ids only, never the row's other columns.

How the door sees past the policy: the function is `SECURITY DEFINER`, so it runs as the table
owner, and the owner is bound by the (forced) tenant policy too. Each door therefore has its own
read-only policy, `TO` the owner alone, open only while the setting `app.lookup_door` names that
very door, which the function sets around its one query. The app's role can set the setting
all it likes: the policy does not apply to it. The owner outside a door (migrations) stays bound.

Doors are rare on purpose: `LOOKUP_DOORS` below lists every one, and the catalog check
(`tenants.rls.rls_violations`) fails when the database has a `SECURITY DEFINER` function or a
door policy that is not listed here, or a listed door whose function body is not the lookup it
declares. Adding a door means adding it here, in a migration (`CreateLookupDoor`), and to the
test that names them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.apps import apps
from django.db import connections
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState

if TYPE_CHECKING:
    from tenants.models import Tenant

DOOR_SETTING = "app.lookup_door"


@dataclass(frozen=True)
class LookupDoor:
    model: str  # "app_label.ModelName"
    key_fields: tuple[str, ...]  # what the caller must know; () lists every row (ids only)


# Every door there is. A new one is a security decision: see the module docstring.
LOOKUP_DOORS: dict[str, LookupDoor] = {
    # API call: the key's random prefix and the SHA-256 of the whole key.
    "lookup_door_api_key": LookupDoor("api.ApiKey", ("prefix", "secret_hash")),
    # Public invoice page: the SHA-256 of the link's token.
    "lookup_door_public_invoice_link": LookupDoor("portal.PublicInvoiceLink", ("token_hash",)),
    # Public quote page (`/q/<token>`): the SHA-256 of the quote's token.
    "lookup_door_public_quote": LookupDoor("quotes.Quote", ("token_hash",)),
    # Client portal sign-in (`/portal/sign-in/<token>`): the SHA-256 of the magic link's token.
    "lookup_door_portal_sign_in": LookupDoor("portal.PortalSignIn", ("token_hash",)),
    # Email delivery webhook: the provider's message id.
    "lookup_door_provider_message": LookupDoor("delivery.ProviderMessageIndex", ("provider_message_id",)),
    # Connect webhook: the connected account's id (`acct_…`).
    "lookup_door_stripe_account": LookupDoor("billing.StripeAccount", ("stripe_id",)),
    # The periodic reconciliation: which workspaces have a connected account at all.
    "lookup_door_stripe_accounts_all": LookupDoor("billing.StripeAccount", ()),
    # Plan webhook about a subscription without our metadata: the Stripe customer (`cus_…`).
    "lookup_door_plan_subscription_by_customer": LookupDoor(
        "plans.PlanSubscription", ("stripe_customer_id",)
    ),
}


def _quote(name: str) -> str:
    return f'"{name}"'


def door_body(name: str, *, schema: str, table: str, key_columns: list[str]) -> str:
    """The function's PL/pgSQL body: the catalog check compares the stored one with this."""
    where = " AND ".join(f"t.{_quote(column)} = p_{column}" for column in key_columns) or "true"
    # Identifiers only, from migrations and the registry above: no value is ever spliced in.
    query = f"SELECT t.tenant_id, t.id FROM {_quote(schema)}.{_quote(table)} t WHERE {where}"  # noqa: S608
    return (
        f" BEGIN PERFORM set_config('{DOOR_SETTING}', '{name}', true);"
        f" RETURN QUERY {query};"
        f" PERFORM set_config('{DOOR_SETTING}', '', true); END "
    )


def _signature(name: str, key_columns: list[str]) -> str:
    return f"{_quote(name)}({', '.join('text' for _ in key_columns)})"


def door_sql(name: str, *, schema: str, table: str, key_columns: list[str]) -> list[str]:
    params = ", ".join(f"p_{column} text" for column in key_columns)
    body = door_body(name, schema=schema, table=table, key_columns=key_columns)
    return [
        f"CREATE OR REPLACE FUNCTION {_quote(name)}({params}) "
        "RETURNS TABLE (tenant_id bigint, row_id bigint) LANGUAGE plpgsql VOLATILE SECURITY DEFINER "
        # A definer function must not resolve names through a path the caller controls.
        f"SET search_path = pg_catalog, pg_temp AS $door${body}$door$",
        # Only the app's role may call it (granted after migrating, see tenants.rls.grant_app_role).
        f"REVOKE ALL ON FUNCTION {_signature(name, key_columns)} FROM PUBLIC",
        f"DROP POLICY IF EXISTS {_quote(name)} ON {_quote(table)}",
        f"CREATE POLICY {_quote(name)} ON {_quote(table)} FOR SELECT TO CURRENT_USER "
        f"USING (current_setting('{DOOR_SETTING}', true) = '{name}')",
    ]


class CreateLookupDoor(Operation):
    """Migration operation: create (or replace) one lookup door and its owner-only policy."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, name: str, model_name: str, key_fields: list[str]) -> None:
        self.name = name
        self.model_name = model_name
        self.key_fields = list(key_fields)

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        pass

    def _target(self, app_label: str, state: ProjectState) -> tuple[str, list[str]]:
        model = state.apps.get_model(app_label, self.model_name)
        return model._meta.db_table, [model._meta.get_field(f).column for f in self.key_fields]

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        table, columns = self._target(app_label, to_state)
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT current_schema()")
            schema = cursor.fetchone()[0]
        for statement in door_sql(self.name, schema=schema, table=table, key_columns=columns):
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
        table, columns = self._target(app_label, from_state)
        schema_editor.execute(f"DROP POLICY IF EXISTS {_quote(self.name)} ON {_quote(table)}")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {_signature(self.name, columns)}")

    def describe(self) -> str:
        return f"Create the lookup door {self.name} on {self.model_name}"

    def deconstruct(self) -> tuple[str, list, dict]:
        return (
            f"{__name__}.{type(self).__name__}",
            [],
            {"name": self.name, "model_name": self.model_name, "key_fields": self.key_fields},
        )


@dataclass(frozen=True)
class DoorMatch:
    tenant: Tenant
    row_id: int


def door_lookup(name: str, *keys: str, using: str = "default") -> list[DoorMatch]:
    """The (tenant, row id) pairs door `name` finds for `keys`. Read the row itself afterwards,
    inside `tenant_scope(match.tenant)`."""
    from tenants.models import Tenant

    door = LOOKUP_DOORS[name]  # a KeyError here is a door nobody declared
    if len(keys) != len(door.key_fields):
        raise TypeError(f"{name} takes {len(door.key_fields)} keys, got {len(keys)}.")
    connection = connections[using]
    if connection.vendor == "postgresql":
        placeholders = ", ".join(["%s"] * len(keys))
        with connection.cursor() as cursor:
            # `name` is a declared door (checked above); the keys go as parameters.
            cursor.execute(f"SELECT tenant_id, row_id FROM {_quote(name)}({placeholders})", list(keys))  # noqa: S608
            pairs = cursor.fetchall()
    else:
        # No row-level security to pass (the embedded SQLite default): the same query, plainly.
        model = apps.get_model(door.model)
        lookup = dict(zip(door.key_fields, keys, strict=True))
        pairs = list(model._base_manager.using(using).filter(**lookup).values_list("tenant_id", "pk"))
    tenants = Tenant.objects.using(using).in_bulk({tenant_id for tenant_id, _ in pairs})
    return [DoorMatch(tenants[tenant_id], row_id) for tenant_id, row_id in pairs if tenant_id in tenants]


def door_find(name: str, *keys: str, using: str = "default") -> DoorMatch | None:
    """The one row door `name` finds for `keys` (its keys are unique), or None."""
    matches = door_lookup(name, *keys, using=using)
    return matches[0] if matches else None
