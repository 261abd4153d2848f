"""A database migrated on the old layout (documents, the public page, email delivery and plans
inside `invoices` and `billing`) migrates forward to the new apps with every row where it was,
row-level security and the lookup doors intact, no table created or dropped, and the moved
models' content types (with their permissions) following them.

Runs `manage.py` in subprocesses against a scratch database, as production does: migrations as
the owner, then the checks as the app role (see tenants/tests/test_rls_migration.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.conf import settings

from invoiceflow.testing.old_schema import migrate_steps_script
from tenants import rls

pytestmark = pytest.mark.postgres

BASE_DIR = Path(settings.BASE_DIR)
# The last migration of each app on the old layout (sites first: every migrate names the site).
BEFORE = [
    ("sites", "0002_alter_domain_unique"),
    ("tenants", "0005_rls_for_memberships"),
    ("invoices", "0006_rls_for_public_links_and_message_index"),
    ("billing", "0004_rls_for_stripe_accounts_and_plans"),
    ("api", "0002_rls_for_api_keys"),
    ("webhooks", "0001_initial"),
]
# (old app, new app, model): every model that moved, with the table it keeps.
MOVED = [
    ("invoices", "documents", "invoicedocument"),
    ("invoices", "documents", "bulkjob"),
    ("invoices", "documents", "bulkjobitem"),
    ("invoices", "portal", "invoicelink"),
    ("invoices", "portal", "publicinvoicelink"),
    ("invoices", "delivery", "outgoingmessage"),
    ("invoices", "delivery", "providermessageindex"),
    ("invoices", "delivery", "clientemailproblem"),
    ("invoices", "delivery", "sendingsettings"),
    ("invoices", "delivery", "clientreminderoverride"),
    ("invoices", "delivery", "remindersent"),
    ("invoices", "delivery", "latefee"),
    ("invoices", "delivery", "recurringtemplate"),
    ("invoices", "delivery", "recurringrun"),
    ("billing", "plans", "plansubscription"),
    ("billing", "plans", "usagereport"),
]
TABLES = [f"{old}_{model}" for old, _new, model in MOVED]
NEW_APPS = ("documents_", "portal_", "delivery_", "plans_", "website_")

# Rows in every moved table, written inside each workspace's scope (the tables were behind
# row-level security already). The content types and permissions of the old layout's models
# were made by migrating to it.
SEED = """
from invoiceflow.testing.old_schema import forget_columns_the_database_lacks
forget_columns_the_database_lacks()
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from delivery import models as delivery
from documents import models as documents
from invoices.models import Client, Invoice
from plans.models import PlanSubscription, UsageReport
from portal.models import InvoiceLink, PublicInvoiceLink
from tenants.models import Membership, Tenant, User
from tenants.scoping import tenant_scope

for slug in ("acme", "globex"):
    tenant = Tenant.objects.create(name=slug.title(), slug=slug, country="FR", default_currency="EUR")
    user = User.objects.create_user(f"owner@{slug}.test", "a-long-pass-phrase-7")
    with tenant_scope(tenant):
        member = Membership.objects.create(user=user, tenant=tenant, role="owner")
        client = Client.objects.create(name=f"{slug} client", emails=[f"ap@{slug}.test"], currency="EUR")
        invoice = Invoice.objects.create(
            client=client, currency="EUR", issue_date=date(2026, 11, 2), due_date=date(2026, 12, 2)
        )
        document = documents.InvoiceDocument.objects.create(
            invoice=invoice, format="pdf", content_version=1, status="ready", size=1234,
            storage_key=f"{slug}/inv.pdf",
        )
        job = documents.BulkJob.objects.create(kind="generate", total=1, done=1, requested_by=user)
        documents.BulkJobItem.objects.create(job=job, invoice=invoice, document=document, succeeded=True)
        link = InvoiceLink.objects.create(invoice=invoice, expires_at=timezone.now() + timedelta(days=30))
        PublicInvoiceLink.objects.create(
            tenant=tenant, token_hash=f"{slug:0<64}", link_public_id=link.public_id
        )
        message = delivery.OutgoingMessage.objects.create(
            kind="invoice", invoice=invoice, to=[f"ap@{slug}.test"], subject="Invoice", status="sent",
            provider_message_id=f"ses-{slug}",
        )
        delivery.ProviderMessageIndex.objects.create(
            tenant=tenant, provider_message_id=f"ses-{slug}", message_public_id=message.public_id
        )
        delivery.ClientEmailProblem.objects.create(
            client=client, email=f"ap@{slug}.test", kind="bounced", message=message
        )
        delivery.SendingSettings.objects.create()
        delivery.ClientReminderOverride.objects.create(client=client, remind_after_days=[7])
        delivery.ReminderSent.objects.create(invoice=invoice, step="due", message=message)
        delivery.LateFee.objects.create(invoice=invoice, amount=Decimal("5.00"))
        template = delivery.RecurringTemplate.objects.create(
            name="Retainer", client=client, currency="EUR", frequency="monthly", start_date=date(2026, 1, 1),
            created_by=member,
        )
        delivery.RecurringRun.objects.create(
            template=template, period_start=date(2026, 11, 1), invoice=invoice, status="created"
        )
        PlanSubscription.objects.create(tenant=tenant, stripe_customer_id=f"cus_{slug}", plan="pro")
        UsageReport.objects.create(
            tenant=tenant, identifier=f"invoice-sent-{slug}", event_name="invoices_sent",
            invoice_public_id=invoice.public_id,
        )
"""

# After: the new apps' models read their rows through the ORM, as the app role.
READ_BACK = """
import json

from django.apps import apps

from tenants.models import Tenant
from tenants.scoping import tenant_scope

counts = {}
for tenant in Tenant.objects.order_by("slug"):
    with tenant_scope(tenant):
        for old, new, model in MOVED:
            found = apps.get_model(new, model)
            manager = getattr(found, "unscoped_across_tenants", found.objects)
            counts[f"{tenant.slug}:{new}.{model}"] = manager.filter(tenant=tenant).count()
print(json.dumps(counts))
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


def _tenant_rows(connection: psycopg.Connection, table: str) -> list[tuple]:
    """Every row of `table`, read workspace by workspace (the policy hides them otherwise)."""
    rows: list[tuple] = []
    for (tenant_id,) in connection.execute("SELECT id FROM tenants_tenant ORDER BY id").fetchall():
        with connection.transaction():
            connection.execute("SELECT set_config('app.tenant_id', %s, true)", [str(tenant_id)])
            rows += connection.execute(f'SELECT * FROM "{table}" ORDER BY id').fetchall()
    return sorted(rows)


def _content_types(connection: psycopg.Connection) -> dict[str, tuple[int, str]]:
    """model -> (content type id, app label) of the moved models."""
    found = connection.execute(
        "SELECT model, id, app_label FROM django_content_type WHERE model = ANY(%s)",
        [[model for _old, _new, model in MOVED]],
    ).fetchall()
    return {model: (row_id, label) for model, row_id, label in found}


@pytest.fixture(scope="module")
def migrated_forward() -> Iterator[dict[str, Any]]:
    """A scratch database migrated to the old layout, seeded, then migrated forward."""
    owner_url, app_url = os.environ["DATABASE_OWNER_URL"], os.environ["DATABASE_URL"]
    name = f"{os.environ.get('TEST_DATABASE_NAME') or 'test_invoiceflow'}_app_split"
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
        _manage(env, "shell", "-c", f"MOVED = {MOVED!r}\n{SEED}")
        with psycopg.connect(env["DATABASE_OWNER_URL"], autocommit=True) as owner:
            tables_before = {row[0] for row in owner.execute("SELECT tablename FROM pg_tables").fetchall()}
            before = {table: _tenant_rows(owner, table) for table in TABLES}
            types_before = _content_types(owner)
        assert all(len(rows) == 2 for rows in before.values()), before
        assert {label for _id, label in types_before.values()} == {"invoices", "billing"}
        _manage(env, "migrate", "--no-input", "-v", "0")
        app_env = {**env, "DATABASE_CONNECT_AS_OWNER": "false"}
        output = _manage(app_env, "shell", "-c", f"MOVED = {MOVED!r}\n{READ_BACK}")
        read_back = json.loads(output.strip().splitlines()[-1])  # after the shell's own banner
        yield {
            "app_url": env["DATABASE_URL"],
            "owner_url": env["DATABASE_OWNER_URL"],
            "before": before,
            "tables_before": tables_before,
            "types_before": types_before,
            "read_back": read_back,
        }
    finally:
        with psycopg.connect(owner_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_every_row_stays_in_its_table_behind_the_policy(migrated_forward: dict[str, Any]) -> None:
    with psycopg.connect(migrated_forward["app_url"], autocommit=True) as app:
        for table in TABLES:
            # No tenant set: the policy shows nothing.
            assert app.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] == 0, table
            assert _tenant_rows(app, table) == migrated_forward["before"][table], table
        assert rls.rls_violations(app) == []


# Tables the new apps made for models of their own after the split (not moved ones).
MADE_AFTER_THE_SPLIT = {"portal_portalsignin"}


def test_no_table_was_made_for_a_moved_model(migrated_forward: dict[str, Any]) -> None:
    with psycopg.connect(migrated_forward["owner_url"], autocommit=True) as owner:
        tables_after = {row[0] for row in owner.execute("SELECT tablename FROM pg_tables").fetchall()}
        applied = {
            (app, name) for app, name in owner.execute("SELECT app, name FROM django_migrations").fetchall()
        }
    made = tables_after - migrated_forward["tables_before"]
    # No table of the new apps: their models live in the tables they had. (Other apps that the
    # old layout's migrations did not need, allauth's for one, get theirs now.)
    assert {table for table in made if table.startswith(NEW_APPS)} - MADE_AFTER_THE_SPLIT == set()
    assert {"events_outboxevent", "events_outboxdelivery"} <= made
    assert migrated_forward["tables_before"] - tables_after == set()
    assert {
        ("documents", "0001_initial"),
        ("portal", "0001_initial"),
        ("delivery", "0001_initial"),
        ("plans", "0001_initial"),
        ("billing", "0005_plans_move_to_their_own_app"),
        ("invoices", "0009_email_delivery_moves_to_its_own_app"),
    } <= applied


def test_the_new_apps_models_read_the_rows(migrated_forward: dict[str, Any]) -> None:
    assert migrated_forward["read_back"] == {
        f"{slug}:{new}.{model}": 1 for slug in ("acme", "globex") for _old, new, model in MOVED
    }


def test_the_lookup_doors_find_the_rows_made_before(migrated_forward: dict[str, Any]) -> None:
    with psycopg.connect(migrated_forward["app_url"], autocommit=True) as app:
        tenants = dict(app.execute("SELECT slug, id FROM tenants_tenant").fetchall())
        link = app.execute(
            "SELECT tenant_id FROM lookup_door_public_invoice_link(%s)", [f"{'globex':0<64}"]
        ).fetchall()
        message = app.execute("SELECT tenant_id FROM lookup_door_provider_message('ses-acme')").fetchall()
        customer = app.execute(
            "SELECT tenant_id FROM lookup_door_plan_subscription_by_customer('cus_globex')"
        ).fetchall()
    assert link == [(tenants["globex"],)]
    assert message == [(tenants["acme"],)]
    assert customer == [(tenants["globex"],)]


def test_content_types_and_their_permissions_follow_the_models(migrated_forward: dict[str, Any]) -> None:
    with psycopg.connect(migrated_forward["owner_url"], autocommit=True) as owner:
        after = _content_types(owner)
        permissions = dict(
            owner.execute(
                "SELECT codename, content_type_id FROM auth_permission WHERE codename = ANY(%s)",
                [[f"view_{model}" for _old, _new, model in MOVED]],
            ).fetchall()
        )
    for _old, new, model in MOVED:
        old_id, _label = migrated_forward["types_before"][model]
        # The same row, relabelled: nothing pointing at it (permissions, admin log) is orphaned.
        assert after[model] == (old_id, new), model
        assert permissions[f"view_{model}"] == old_id, model
