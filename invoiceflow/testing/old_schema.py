"""Seeding a database migrated to an earlier state with today's models.

The migration-forward tests (tenants/tests/test_rls_migration.py,
invoiceflow/tests/test_app_split_migration.py) write rows at an old migration with the ORM, then
migrate forward and check the rows. Today's models have columns that did not exist then (a
later migration added them): `forget_columns_the_database_lacks()` drops those fields from the
models' metadata for this process only, so an insert names only the columns of that time.
"""

from __future__ import annotations

from django.apps import apps
from django.db import connection


def forget_columns_the_database_lacks() -> list[str]:
    """Drop from each model the concrete fields whose column its table does not have yet; the
    `table.column` names dropped. Models whose table does not exist yet are left alone."""
    tables = set(connection.introspection.table_names())
    dropped: list[str] = []
    with connection.cursor() as cursor:
        for model in apps.get_models():
            opts = model._meta
            if opts.db_table not in tables:
                continue
            columns = {c.name for c in connection.introspection.get_table_description(cursor, opts.db_table)}
            missing = [f for f in opts.local_fields if f.concrete and f.column not in columns]
            for field in missing:
                opts.local_fields.remove(field)
                dropped.append(f"{opts.db_table}.{field.column}")
            if missing:
                opts._expire_cache()
    return dropped


def migrate_steps_script(steps: list[tuple[str, str]]) -> str:
    """Python for `manage.py shell -c` that runs `migrate <app> <migration>` for each step, in
    order, in one process: the same commands as one subprocess a step, without paying Django's
    start-up (seconds, with every app loaded) once per step."""
    return (
        "from django.core.management import call_command\n"
        f"for app, migration in {steps!r}:\n"
        "    call_command('migrate', app, migration, interactive=False, verbosity=0)\n"
    )
