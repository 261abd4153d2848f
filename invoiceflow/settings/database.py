"""The database: SQLite by default, PostgreSQL as a non-owner role with a bounded pool."""

from __future__ import annotations

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from invoiceflow.pool_reset import forget_tenant_on_return

from .core import BASE_DIR
from .env import env_bool, env_float, env_int, env_str

# DATABASE_URL is what the running app connects as. On PostgreSQL that must be a role that
# neither owns the tables nor bypasses row-level security. DATABASE_OWNER_URL is the owning
# role: migrations (and the test harness's database creation) run as it.

DATABASE_URL = env_str("DATABASE_URL")
DATABASE_OWNER_URL = env_str("DATABASE_OWNER_URL")
# Connections are bounded per process by a psycopg pool (Django's OPTIONS["pool"]): a request or
# task borrows one and gives it back when it ends. Without it, every thread of the ASGI server
# kept its own connection for CONN_MAX_AGE: two web processes filled PostgreSQL's 100 slots.
# The bound to plan with (PostgreSQL's default max_connections is 100, 3 kept for superusers):
#     web containers * WEB_CONCURRENCY * DATABASE_POOL_MAX_SIZE      (default 1 * 2 * 8 = 16)
#   + worker containers * CELERY_WORKER_CONCURRENCY * 1              (default 1 * 2 * 1 = 2)
#   + beat, migrations and shells (a few)
# stays below 97: four web and four worker containers with the defaults take 72. A Celery
# prefork process runs one task at a time, so invoiceflow.celery sizes its pool at one.
# Eight per web process: requests run Python under one GIL per process, so more concurrent
# database sessions than that mostly queue inside PostgreSQL instead of in the pool. A request
# that waits DATABASE_POOL_TIMEOUT for one is answered 503 (invoiceflow.database).
DATABASE_POOL = env_bool("DATABASE_POOL", True)
DATABASE_POOL_MIN_SIZE = env_int("DATABASE_POOL_MIN_SIZE", 1)
DATABASE_POOL_MAX_SIZE = env_int("DATABASE_POOL_MAX_SIZE", 8)
# Seconds a request waits for a free connection: below the health check's 6 s, so /readyz answers
# 503 (instead of timing out) when the database is down or the pool stays full.
DATABASE_POOL_TIMEOUT = env_float("DATABASE_POOL_TIMEOUT", 5.0)
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
            conn_health_checks=True,
        )
    }
    if DATABASE_POOL and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        if DATABASES["default"]["CONN_MAX_AGE"] != 0:
            raise ImproperlyConfigured(
                "DATABASE_CONN_MAX_AGE must be 0 with the connection pool: a pooled connection goes "
                "back to the pool after each request. Set DATABASE_POOL=false to use CONN_MAX_AGE."
            )
        if not 0 <= DATABASE_POOL_MIN_SIZE <= DATABASE_POOL_MAX_SIZE or DATABASE_POOL_MAX_SIZE < 1:
            raise ImproperlyConfigured(
                "Need 0 <= DATABASE_POOL_MIN_SIZE <= DATABASE_POOL_MAX_SIZE and a MAX_SIZE of 1 or "
                f"more, got {DATABASE_POOL_MIN_SIZE} and {DATABASE_POOL_MAX_SIZE}."
            )
        if DATABASE_POOL_TIMEOUT <= 0:
            raise ImproperlyConfigured(
                f"DATABASE_POOL_TIMEOUT must be positive, got {DATABASE_POOL_TIMEOUT}."
            )
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": DATABASE_POOL_MIN_SIZE,
            "max_size": DATABASE_POOL_MAX_SIZE,
            "timeout": DATABASE_POOL_TIMEOUT,
            # Runs as each connection goes back (in the pool's own thread, not the request's).
            "reset": forget_tenant_on_return,
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
        }
    }
# Parallel test runs on one server need distinct throwaway databases.
if env_str("TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME")}
# Behind PgBouncer in transaction mode (deploy/kubernetes/, docs/kubernetes.md): a server-side
# cursor outlives its transaction's server connection, so querysets' .iterator() must not use one.
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env_bool("DATABASE_DISABLE_SERVER_SIDE_CURSORS", False)
DATABASE_OWNER = dj_database_url.parse(DATABASE_OWNER_URL) if DATABASE_OWNER_URL else None
# The role the app connects as; migrations grant it data privileges (see tenants.apps).
DATABASE_APP_ROLE = env_str("DATABASE_APP_ROLE") or DATABASES["default"].get("USER") or ""
# Migrations (./dev start, docker/entrypoint.sh) set this to connect as the owning role.
if env_bool("DATABASE_CONNECT_AS_OWNER", False):
    if not DATABASE_OWNER:
        raise ImproperlyConfigured("DATABASE_CONNECT_AS_OWNER needs DATABASE_OWNER_URL.")
    DATABASES["default"] = {**DATABASE_OWNER, "CONN_MAX_AGE": 0}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
