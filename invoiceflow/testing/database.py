"""Switching the default connection between the owner and the app role (tests, benchmarks)."""

from __future__ import annotations

from typing import Any


def reconnect_as(connection: Any, user: str, password: str) -> None:
    """Make the next query connect as `user`.

    The connection pool (settings: DATABASE_POOL) keeps the credentials it was created with, so
    it is closed too: otherwise tests would go on running as the owner, which row-level
    security does not bind the same way.
    """
    connection.close()
    close_pool = getattr(connection, "close_pool", None)  # PostgreSQL only
    if close_pool is not None:
        close_pool()
    connection.settings_dict["USER"] = user
    connection.settings_dict["PASSWORD"] = password
