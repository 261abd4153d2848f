"""Row-level security on the tables that carry a tenant_id without being TenantOwnedModel rows:
memberships, API keys, Stripe accounts, plan subscriptions, usage reports, public invoice links
and the provider message index. Tested as the app role with raw SQL and plain saves, so only
the database's policy stands between a query and another workspace's rows."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from django.db import connection, models, transaction
from django.db.utils import ProgrammingError

from api.models import ApiKey
from billing.models import StripeAccount
from delivery.models import ProviderMessageIndex
from plans.models import PlanSubscription, UsageReport
from portal.models import PublicInvoiceLink
from tenants.models import Membership, Role, Tenant
from tenants.scoping import tenant_scope, user_scope
from tenants.tests.factories import TenantFactory, UserFactory

pytestmark = pytest.mark.postgres

_serial = itertools.count(1)


def _unique(prefix: str) -> str:
    return f"{prefix}{next(_serial):06d}"


# An unsaved row of each table for `tenant`, with fresh unique values.
BUILDERS: dict[type[models.Model], Callable[[Tenant], models.Model]] = {
    Membership: lambda tenant: Membership(tenant=tenant, user=UserFactory(), role=Role.MEMBER),
    ApiKey: lambda tenant: ApiKey(
        tenant=tenant, name="key", prefix=_unique("p"), secret_hash="0" * 64, role=Role.MEMBER
    ),
    StripeAccount: lambda tenant: StripeAccount(tenant=tenant, stripe_id=_unique("acct_")),
    PlanSubscription: lambda tenant: PlanSubscription(tenant=tenant, stripe_customer_id=_unique("cus_")),
    UsageReport: lambda tenant: UsageReport(
        tenant=tenant,
        identifier=_unique("invoice-sent-"),
        event_name="invoices_sent",
        invoice_public_id="inv_x",
    ),
    PublicInvoiceLink: lambda tenant: PublicInvoiceLink(
        tenant=tenant, token_hash=_unique("h").ljust(64, "0"), link_public_id=_unique("lnk_")
    ),
    ProviderMessageIndex: lambda tenant: ProviderMessageIndex(
        tenant=tenant, provider_message_id=_unique("ses-"), message_public_id=_unique("msg_")
    ),
}
MODELS = list(BUILDERS)


def _make(model: type[models.Model], tenant: Tenant) -> models.Model:
    with tenant_scope(tenant):
        row = BUILDERS[model](tenant)
        row.save(force_insert=True)
    return row


def _ids(model: type[models.Model]) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT id FROM "{model._meta.db_table}"')
        return {row[0] for row in cursor.fetchall()}


def _insert_refused(model: type[models.Model], tenant: Tenant) -> None:
    with (
        pytest.raises(ProgrammingError, match="row-level security"),
        transaction.atomic(),
    ):
        BUILDERS[model](tenant).save(force_insert=True)


@pytest.fixture
def third_tenant(db: None) -> Tenant:
    # Its rows only ever get *attempted*: a fresh tenant keeps one-per-tenant constraints
    # (Stripe account, plan subscription) out of the way of the policy being tested.
    return TenantFactory(name="Initech", slug="initech")


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_with_no_tenant_set_the_app_role_reads_nothing_and_cannot_insert(
    model: type[models.Model], tenant: Tenant, other_tenant: Tenant, third_tenant: Tenant
) -> None:
    mine, theirs = _make(model, tenant), _make(model, other_tenant)
    with tenant_scope(tenant):
        assert mine.pk in _ids(model)  # the rows are there: the empty read below is the policy
    with transaction.atomic():
        assert _ids(model) == set()
        with connection.cursor() as cursor:
            cursor.execute(f'UPDATE "{model._meta.db_table}" SET tenant_id = tenant_id')
            assert cursor.rowcount == 0
            cursor.execute(f'DELETE FROM "{model._meta.db_table}" WHERE id IN (%s, %s)', [mine.pk, theirs.pk])
            assert cursor.rowcount == 0
    _insert_refused(model, third_tenant)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_with_tenant_a_set_b_rows_are_out_of_reach(
    model: type[models.Model], tenant: Tenant, other_tenant: Tenant, third_tenant: Tenant
) -> None:
    mine, theirs = _make(model, tenant), _make(model, other_tenant)
    table = model._meta.db_table
    with tenant_scope(tenant), connection.cursor() as cursor:
        assert _ids(model) == {mine.pk}
        cursor.execute(f'UPDATE "{table}" SET tenant_id = tenant_id WHERE id = %s', [theirs.pk])
        assert cursor.rowcount == 0
        cursor.execute(f'DELETE FROM "{table}" WHERE id = %s', [theirs.pk])
        assert cursor.rowcount == 0
        # Moving one's own row into another workspace is refused as well.
        with pytest.raises(ProgrammingError, match="row-level security"), transaction.atomic():
            cursor.execute(f'UPDATE "{table}" SET tenant_id = %s WHERE id = %s', [other_tenant.pk, mine.pk])
        _insert_refused(model, other_tenant)
        _insert_refused(model, third_tenant)
    with tenant_scope(other_tenant):
        assert _ids(model) == {theirs.pk}  # untouched


def test_user_scope_shows_a_users_own_memberships_and_nobody_elses(
    tenant: Tenant, other_tenant: Tenant, owner_membership: Membership, outsider_membership: Membership
) -> None:
    owner = owner_membership.user
    second = _make(Membership, other_tenant)
    second.user = owner
    with tenant_scope(other_tenant):
        second.save(update_fields=["user"])
    with user_scope(owner.pk):
        assert _ids(Membership) == {owner_membership.pk, second.pk}
        assert outsider_membership.pk not in _ids(Membership)
        # Reading is all it opens: no write, not even to the user's own rows.
        with connection.cursor() as cursor:
            cursor.execute("UPDATE tenants_membership SET role = 'owner' WHERE user_id = %s", [owner.pk])
            assert cursor.rowcount == 0
        _insert_refused(Membership, tenant)
    with transaction.atomic():
        assert _ids(Membership) == set()  # and it closes with its transaction


def test_user_scope_nested_in_a_tenant_scope_hands_the_outer_state_back(
    tenant: Tenant, other_tenant: Tenant, owner_membership: Membership, outsider_membership: Membership
) -> None:
    member_elsewhere = _make(Membership, other_tenant)
    with tenant_scope(other_tenant):
        assert _ids(Membership) == {outsider_membership.pk, member_elsewhere.pk}
        with user_scope(owner_membership.user_id):
            # The tenant's rows and the user's own, together.
            assert _ids(Membership) == {outsider_membership.pk, member_elsewhere.pk, owner_membership.pk}
        assert _ids(Membership) == {outsider_membership.pk, member_elsewhere.pk}
