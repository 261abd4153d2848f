"""The lookup doors (tenants/doors.py): the few ways to find a row before its tenant is known.
Each answers (tenant, row id) for an exact key and nothing more, as the app role."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from api.models import ApiKey
from api.services import hash_secret
from billing.models import StripeAccount
from delivery.models import ProviderMessageIndex
from plans.models import PlanSubscription
from portal.models import PublicInvoiceLink
from portal.services import token_hash
from tenants.doors import LOOKUP_DOORS, door_find, door_lookup
from tenants.models import Role, Tenant
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.postgres

RAW_KEY = "ifk_a1b2c3d4_the-secret"


def test_these_are_all_the_doors_there_are() -> None:
    # A new door is a security decision: adding one means adding it here, on purpose.
    assert set(LOOKUP_DOORS) == {
        "lookup_door_api_key",
        "lookup_door_public_invoice_link",
        "lookup_door_provider_message",
        "lookup_door_stripe_account",
        "lookup_door_stripe_accounts_all",
        "lookup_door_plan_subscription_by_customer",
        "lookup_door_public_quote",
        "lookup_door_portal_sign_in",
    }


@pytest.fixture
def rows(tenant: Tenant, other_tenant: Tenant) -> dict[str, tuple[Tenant, int]]:
    """One row per door, in `other_tenant`, and a decoy of each in `tenant`."""
    made: dict[str, tuple[Tenant, int]] = {}
    for owner, suffix in ((tenant, "decoy"), (other_tenant, "real")):
        with tenant_scope(owner):
            key = ApiKey.objects.create(
                tenant=owner,
                name=suffix,
                role=Role.MEMBER,
                prefix=f"a1b2{suffix[:4]}" if suffix == "decoy" else "a1b2c3d4",
                secret_hash=hash_secret(RAW_KEY if suffix == "real" else "other"),
            )
            link = PublicInvoiceLink.objects.create(
                tenant=owner, token_hash=token_hash(f"token-{suffix}"), link_public_id=f"lnk_{suffix}"
            )
            message = ProviderMessageIndex.objects.create(
                tenant=owner, provider_message_id=f"ses-{suffix}", message_public_id=f"msg_{suffix}"
            )
            account = StripeAccount.objects.create(tenant=owner, stripe_id=f"acct_{suffix}")
            plan = PlanSubscription.objects.create(tenant=owner, stripe_customer_id=f"cus_{suffix}")
        if suffix == "real":
            made = {"key": (owner, key.pk), "link": (owner, link.pk), "message": (owner, message.pk)}
            made |= {"account": (owner, account.pk), "plan": (owner, plan.pk)}
    return made


def _found(name: str, *keys: str) -> tuple[Tenant, int] | None:
    match = door_find(name, *keys)
    return (match.tenant, match.row_id) if match else None


def test_each_door_finds_its_row_by_the_exact_key_only(rows: dict[str, tuple[Tenant, int]]) -> None:
    assert _found("lookup_door_api_key", "a1b2c3d4", hash_secret(RAW_KEY)) == rows["key"]
    assert _found("lookup_door_public_invoice_link", token_hash("token-real")) == rows["link"]
    assert _found("lookup_door_provider_message", "ses-real") == rows["message"]
    assert _found("lookup_door_stripe_account", "acct_real") == rows["account"]
    assert _found("lookup_door_plan_subscription_by_customer", "cus_real") == rows["plan"]
    # A near miss is nothing at all.
    assert _found("lookup_door_api_key", "a1b2c3d4", hash_secret("ifk_a1b2c3d4_guess")) is None
    assert _found("lookup_door_api_key", "a1b2c3d5", hash_secret(RAW_KEY)) is None
    assert _found("lookup_door_public_invoice_link", token_hash("token-rea")) is None
    assert _found("lookup_door_provider_message", "ses-%") is None
    assert _found("lookup_door_stripe_account", "") is None


def test_the_reconciliation_door_lists_workspaces_with_an_account(
    rows: dict[str, tuple[Tenant, int]], tenant: Tenant, other_tenant: Tenant
) -> None:
    assert {match.tenant for match in door_lookup("lookup_door_stripe_accounts_all")} == {
        tenant,
        other_tenant,
    }


def test_a_door_answers_ids_only_and_leaves_the_tables_closed(rows: dict[str, tuple[Tenant, int]]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT * FROM lookup_door_stripe_account(%s)", ["acct_real"])
        assert [column.name for column in cursor.description] == ["tenant_id", "row_id"]
        # Same transaction, right after: the setting the door used is cleared ...
        cursor.execute("SELECT current_setting('app.lookup_door', true)")
        assert cursor.fetchone()[0] == ""
        # ... and setting it ourselves opens nothing: the door's policy is the owner's alone.
        cursor.execute("SELECT set_config('app.lookup_door', 'lookup_door_stripe_account', true)")
        cursor.execute("SELECT count(*) FROM billing_stripeaccount")
        assert cursor.fetchone()[0] == 0


def test_an_undeclared_door_cannot_be_called_through_the_helper(db: None) -> None:
    with pytest.raises(KeyError):
        door_find("lookup_door_everything")
    with pytest.raises(TypeError):
        door_find("lookup_door_api_key", "a1b2c3d4")
