"""What the database connection pool runs on every connection handed back to it.

Imported by settings (the pool's options hold the function itself), so nothing from Django here.
"""

from __future__ import annotations

from typing import Any

# The setting row-level security reads (tenants.rls, set by tenants.scoping.tenant_scope).
TENANT_SETTING = "app.tenant_id"


def forget_tenant_on_return(connection: Any) -> None:
    """Clear the tenant a pooled connection may still carry before another request borrows it.

    tenant_scope sets it with SET LOCAL, so it already ends with its transaction; this is the
    belt to those braces, should any code ever set it for the session. It is not a session-level
    setting of our own: behind a transaction-mode PgBouncer it is a harmless no-op.
    """
    connection.execute(f"RESET {TENANT_SETTING}")
    if not connection.autocommit:
        connection.commit()
