#!/usr/bin/env python3
"""Apply database migrations once, as the role that owns the tables.

With DATABASE_OWNER_URL set, Django connects as the owner (DATABASE_CONNECT_AS_OWNER, see
invoiceflow/settings/database.py); afterwards the post-migrate hook grants the app role
(DATABASE_URL's user) data access, never ownership. Without it (SQLite, a single-role
database) DATABASE_URL is used.

On PostgreSQL the run holds an advisory lock, so web processes starting together on several
machines migrate one after the other: the first applies, the others find nothing left to do.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# The lock's key: any constant the app uses for nothing else ("invflow" in ASCII).
MIGRATION_LOCK_KEY = 0x696E76666C6F77


def say(message: str, *, error: bool = False) -> None:
    """A line of the container's log: JSON like the app's when LOG_FORMAT says so."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from invoiceflow.script_log import say as log_line

    log_line(message, logger="migrate", error=error)


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from invoiceflow.secret_files import SecretFileError, load_secret_files

    try:
        load_secret_files()  # DATABASE_OWNER_URL_FILE counts as DATABASE_OWNER_URL below
    except SecretFileError as error:
        say(str(error), error=True)
        return 2
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "invoiceflow.settings")
    if os.environ.get("DATABASE_OWNER_URL", "").strip():
        os.environ["DATABASE_CONNECT_AS_OWNER"] = "true"

    import django

    django.setup()

    from django.db import connection

    from invoiceflow.script_log import LineLogger

    role = connection.settings_dict.get("USER") or "(default)"
    say(f"migrate: applying migrations on {connection.vendor} as {role}")
    # migrate's progress lines ("Applying x... OK") in the container's log format.
    with LineLogger("migrate") as output:
        if connection.vendor != "postgresql":
            run_migrate(output)
            return 0
        with connection.cursor() as cursor:
            # A session-level lock: it spans the many transactions `migrate` runs on this connection.
            cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK_KEY])
        try:
            run_migrate(output)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATION_LOCK_KEY])
    return 0


def run_migrate(output: object) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1, stdout=output)


if __name__ == "__main__":
    sys.exit(main())
