#!/usr/bin/env bash
# Create the two PostgreSQL roles InvoiceFlow needs, and its database. Safe to run again.
#   owner role: owns the tables, runs migrations (row-level security is FORCEd on it too)
#   app role:   what the running app connects as; neither owner nor BYPASSRLS
# Used by .ci/run and by the PostgreSQL container's first start (compose.yaml).
# Connects with PG_ADMIN_URL (a superuser), default: the local socket as postgres.
set -euo pipefail

ADMIN_URL=${PG_ADMIN_URL:-postgresql:///postgres}
DB_NAME=${DB_NAME:-invoiceflow}
OWNER_ROLE=${DB_OWNER_ROLE:-invoiceflow_owner}
OWNER_PASSWORD=${DB_OWNER_PASSWORD:-}
APP_ROLE=${DB_APP_ROLE:-invoiceflow_app}
APP_PASSWORD=${DB_APP_PASSWORD:-}

psql "$ADMIN_URL" -v ON_ERROR_STOP=1 -q \
  -v owner="$OWNER_ROLE" -v owner_pw="$OWNER_PASSWORD" \
  -v app="$APP_ROLE" -v app_pw="$APP_PASSWORD" -v db="$DB_NAME" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'owner')
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'owner') \gexec
SELECT format('CREATE ROLE %I LOGIN', :'app')
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app') \gexec
-- CREATEDB lets the test harness create its throwaway database as the owner.
SELECT format('ALTER ROLE %I CREATEDB NOSUPERUSER NOBYPASSRLS', :'owner') \gexec
SELECT format('ALTER ROLE %I NOCREATEDB NOSUPERUSER NOBYPASSRLS NOCREATEROLE', :'app') \gexec
SELECT format('ALTER ROLE %I PASSWORD %L', :'owner', :'owner_pw') WHERE :'owner_pw' <> '' \gexec
SELECT format('ALTER ROLE %I PASSWORD %L', :'app', :'app_pw') WHERE :'app_pw' <> '' \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'owner')
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
SQL
echo "PostgreSQL roles ready: owner=$OWNER_ROLE app=$APP_ROLE database=$DB_NAME"
