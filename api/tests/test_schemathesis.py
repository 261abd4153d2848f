"""Schemathesis against the live schema: every operation, generated inputs (valid and not),
no 500s, and every answer (status, content type, body) as the schema says.

The schema is the one /api/schema/ serves; requests go through the WSGI app in-process, as the
owner of a tenant with some data. `positive_data_acceptance` is left out: a schema-valid body
can still name a client that does not exist, which is a documented 400/404, not a bug.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import load_all_checks
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.tests.conftest import access_token, make_data
from invoiceflow.wsgi import application

load_all_checks()


# Loaded once at collection, through the app (the schema view touches no database).
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@pytest.fixture
def seeded(db, tenant, owner_membership):
    # Schemathesis calls the WSGI app directly; like Django's test client, keep the request
    # signals from closing the test's database connection (and its transaction).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield make_data(tenant, prefix="Acme")
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_every_operation_answers_as_documented(case, seeded, owner_membership):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {access_token(owner_membership)}"},
        excluded_checks=[positive_data_acceptance],
    )
