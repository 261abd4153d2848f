"""A database migrated before the seven tenant tables went behind row-level security migrates
forward with its rows intact, and ends up with them behind the policy and the lookup doors.

Runs `manage.py` in subprocesses against a scratch database, as production does: migrations as
the owner, then the checks as the app role."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.conf import settings

from api.services import hash_secret
from invoiceflow.testing.old_schema import migrate_steps_script
from tenants import rls

pytestmark = pytest.mark.postgres

BASE_DIR = Path(settings.BASE_DIR)
# The last migration of each app before this change (sites first: every migrate names the site).
BEFORE = [
    ("sites", "0002_alter_domain_unique"),
    ("tenants", "0004_user_api_token_generation_and_auth_events"),
    ("invoices", "0005_sending_reminders_recurring"),
    ("billing", "0003_plans"),
    ("api", "0001_initial"),
]
TABLES = (
    "tenants_membership",
    "api_apikey",
    "billing_stripeaccount",
    "billing_plansubscription",
    "billing_usagereport",
    "invoices_publicinvoicelink",
    "invoices_providermessageindex",
)

# Written with the ORM as it was before (no scope needed then: these tables had no policy).
SEED = """
from invoiceflow.testing.old_schema import forget_columns_the_database_lacks
forget_columns_the_database_lacks()
from api.models import ApiKey
from billing.models import StripeAccount
from plans.models import PlanSubscription, UsageReport
from portal.models import PublicInvoiceLink
from delivery.models import ProviderMessageIndex
from tenants.models import Membership, Tenant, User

for slug in ("acme", "globex"):
    tenant = Tenant.objects.create(name=slug.title(), slug=slug, country="FR", default_currency="EUR")
    user = User.objects.create_user(f"owner@{slug}.test", "a-long-pass-phrase-7")
    Membership.objects.create(user=user, tenant=tenant, role="owner")
    ApiKey.objects.create(tenant=tenant, name="ci", prefix=f"p{slug}", secret_hash=HASHES[slug])
    StripeAccount.objects.create(tenant=tenant, stripe_id=f"acct_{slug}")
    PlanSubscription.objects.create(tenant=tenant, stripe_customer_id=f"cus_{slug}")
    UsageReport.objects.create(tenant=tenant, identifier=f"invoice-sent-{slug}", event_name="invoices_sent",
                               invoice_public_id=f"inv_{slug}")
    PublicInvoiceLink.objects.create(tenant=tenant, token_hash=f"{slug:0<64}", link_public_id=f"lnk_{slug}")
    ProviderMessageIndex.objects.create(tenant=tenant, provider_message_id=f"ses-{slug}",
                                        message_public_id=f"msg_{slug}")
"""


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def migrated_forward() -> Iterator[tuple[str, dict[str, list[tuple]]]]:
    """A scratch database migrated to before the change, seeded, then migrated forward. Yields
    the app role's URL and the rows as the owner saw them before."""
    owner_url, app_url = os.environ["DATABASE_OWNER_URL"], os.environ["DATABASE_URL"]
    name = f"{os.environ.get('TEST_DATABASE_NAME') or 'test_invoiceflow'}_rls_forward"
    with psycopg.connect(owner_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_NAME",)},
        "DATABASE_URL": _with_database(app_url, name),
        "DATABASE_OWNER_URL": _with_database(owner_url, name),
        "DATABASE_CONNECT_AS_OWNER": "true",
    }
    try:
        # Every step in one process (a subprocess a step spent seconds starting Django each time).
        _manage(env, "shell", "-c", migrate_steps_script(BEFORE))
        hashes = {"acme": hash_secret("ifk_pacme_secret"), "globex": hash_secret("ifk_pglobex_secret")}
        _manage(env, "shell", "-c", f"HASHES = {hashes!r}\n{SEED}")
        with psycopg.connect(env["DATABASE_OWNER_URL"]) as owner:
            before = {
                table: owner.execute(f'SELECT * FROM "{table}" ORDER BY id').fetchall() for table in TABLES
            }
        assert all(len(rows) == 2 for rows in before.values()), before
        _manage(env, "migrate", "--no-input", "-v", "0")
        yield env["DATABASE_URL"], before
    finally:
        with psycopg.connect(owner_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_rows_are_intact_and_now_behind_the_policy(
    migrated_forward: tuple[str, dict[str, list[tuple]]],
) -> None:
    app_url, before = migrated_forward
    with psycopg.connect(app_url, autocommit=True) as app:
        tenants = dict(app.execute("SELECT slug, id FROM tenants_tenant").fetchall())
        for table in TABLES:
            assert app.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] == 0, table
            seen = []
            for tenant_id in tenants.values():
                with app.transaction():
                    app.execute("SELECT set_config('app.tenant_id', %s, true)", [str(tenant_id)])
                    rows = app.execute(f'SELECT * FROM "{table}" ORDER BY id').fetchall()
                    assert set(_tenant_ids(app, table, rows)) == {tenant_id}
                    seen += rows
            assert sorted(seen) == before[table], table
        assert rls.rls_violations(app) == []


def test_the_doors_find_the_rows_made_before(migrated_forward: tuple[str, dict[str, list[tuple]]]) -> None:
    app_url, _ = migrated_forward
    with psycopg.connect(app_url, autocommit=True) as app:
        tenants = dict(app.execute("SELECT slug, id FROM tenants_tenant").fetchall())
        found = app.execute(
            "SELECT tenant_id FROM lookup_door_api_key(%s, %s)",
            ["pglobex", hash_secret("ifk_pglobex_secret")],
        ).fetchall()
        assert found == [(tenants["globex"],)]
        assert app.execute("SELECT tenant_id FROM lookup_door_stripe_account('acct_acme')").fetchall() == [
            (tenants["acme"],)
        ]
        # The user's own memberships, read through user_scope's policy.
        with app.transaction():
            user_id = app.execute("SELECT id FROM tenants_user WHERE email = 'owner@acme.test'").fetchone()[0]
            app.execute("SELECT set_config('app.user_id', %s, true)", [str(user_id)])
            rows = app.execute("SELECT tenant_id FROM tenants_membership").fetchall()
            assert rows == [(tenants["acme"],)]


def _tenant_ids(app: psycopg.Connection, table: str, rows: list[tuple]) -> list[int]:
    columns = [column.name for column in app.execute(f'SELECT * FROM "{table}" LIMIT 0').description]
    return [row[columns.index("tenant_id")] for row in rows]
