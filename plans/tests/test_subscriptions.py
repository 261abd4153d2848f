"""Subscribing to a plan and keeping it current from Stripe's webhooks, in any order, twice."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.test import Client

from billing import stripe_client
from billing.models import StripeEvent
from billing.tests.fixtures import make_stripe_event, post_stripe_event
from billing.tests.stripe_standin import StripeStandIn
from plans.catalog import PlanCode, plans_enabled, tenant_plan
from plans.models import PlanSubscription
from plans.services import plan_subscription_sync
from plans.tests.fixtures import METER, checkout, deliver, events_of, subscribe
from tenants.models import Membership, Tenant
from tenants.scoping import TenantNotSetError, tenant_scope
from tenants.tests.fixtures import rows_in_every_tenant

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("billing_celery_eager")]

LIFECYCLE = ["customer.subscription.created", "invoice.paid", "customer.subscription.updated"]


def row(tenant: Tenant) -> PlanSubscription:
    with tenant_scope(tenant):
        return PlanSubscription.objects.get(tenant=tenant)


def test_checkout_is_a_hosted_subscription_session_for_the_plans_price(
    plans_standin: StripeStandIn, owner_membership: Membership, settings: Any
) -> None:
    session = checkout(owner_membership, "pro")

    assert session["mode"] == "subscription"
    assert session["url"].startswith(plans_standin.base_url + "/c/pay/")
    request = next(r for r in plans_standin.requests if r["path"] == "/v1/checkout/sessions")
    assert request["params"]["line_items"] == [
        {"price": settings.STRIPE_PRICE_PRO, "quantity": "1"},
        {"price": settings.STRIPE_PRICE_INVOICES_SENT},
    ]
    tenant = owner_membership.tenant
    assert request["params"]["subscription_data"]["metadata"]["invoiceflow_tenant"] == tenant.public_id
    # The workspace's customer is made once and remembered.
    customer = row(tenant).stripe_customer_id
    assert request["params"]["customer"] == customer
    customer_obj, _ = plans_standin.store.find(customer)
    assert customer_obj["metadata"] == {"invoiceflow_tenant": tenant.public_id}
    # A double click gets the same session back, and no second customer.
    assert checkout(owner_membership, "pro")["id"] == session["id"]
    assert [r["path"] for r in plans_standin.requests].count("/v1/customers") == 1


def test_only_paid_available_plans_can_be_bought(
    plans_standin: StripeStandIn, owner_membership: Membership, settings: Any
) -> None:
    from core.errors import ApplicationError

    for plan in ("free", "enterprise"):
        with pytest.raises(ApplicationError, match="plan"):
            checkout(owner_membership, plan)
    settings.STRIPE_PRICE_BUSINESS = ""
    with pytest.raises(ApplicationError, match="cannot be bought"):
        checkout(owner_membership, "business")


def test_members_cannot_start_a_checkout(plans_standin: StripeStandIn, member_membership: Membership) -> None:
    from core.errors import ApplicationError

    with pytest.raises(ApplicationError, match="owners and admins"):
        checkout(member_membership, "pro")
    assert not any(r["path"] == "/v1/checkout/sessions" for r in plans_standin.requests)


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_lifecycle_events_in_any_order_twice_give_the_same_plan(
    plans_standin: StripeStandIn,
    owner_membership: Membership,
    client: Client,
    django_capture_on_commit_callbacks: Any,
    order: tuple[int, ...],
) -> None:
    tenant = owner_membership.tenant
    subscription_id = subscribe(plans_standin, owner_membership, "pro")
    events = events_of(plans_standin, subscription_id, *LIFECYCLE)
    assert [e["type"] for e in events] == LIFECYCLE
    # The first event says "incomplete": the handler asks Stripe and finds the truth.
    assert events[0]["data"]["object"]["status"] == "incomplete"

    shuffled = [events[i] for i in order]
    deliver(client, shuffled + shuffled, django_capture_on_commit_callbacks)

    subscription = row(tenant)
    assert (subscription.plan, subscription.status) == ("pro", "active")
    assert subscription.stripe_subscription_id == subscription_id
    assert subscription.current_period_start is not None
    assert subscription.current_period_end > subscription.current_period_start
    with tenant_scope(tenant):
        assert tenant_plan(tenant=tenant).code == PlanCode.PRO
    assert StripeEvent.objects.count() == 3
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {"processed"}


def test_cancellation_returns_the_workspace_to_free(
    plans_standin: StripeStandIn,
    owner_membership: Membership,
    client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    tenant = owner_membership.tenant
    subscription_id = subscribe(plans_standin, owner_membership, "business")
    plans_standin.subscription_cancel(subscription_id)
    # The deletion arrives first, the creation after it: still canceled, still Free.
    deleted = events_of(plans_standin, subscription_id, "customer.subscription.deleted")
    created = events_of(plans_standin, subscription_id, "customer.subscription.created")
    deliver(client, deleted + created + deleted, django_capture_on_commit_callbacks)

    subscription = row(tenant)
    assert (subscription.plan, subscription.status) == ("business", "canceled")
    assert subscription.effective_plan == PlanCode.FREE
    with tenant_scope(tenant):
        assert tenant_plan(tenant=tenant).code == PlanCode.FREE


def test_a_failed_renewal_is_past_due_and_keeps_the_plan_until_paid(
    plans_standin: StripeStandIn,
    owner_membership: Membership,
    client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    tenant = owner_membership.tenant
    subscription_id = subscribe(plans_standin, owner_membership, "pro")
    deliver(client, events_of(plans_standin, subscription_id, *LIFECYCLE), django_capture_on_commit_callbacks)
    first_period_end = row(tenant).current_period_end

    plans_standin.subscription_renew(subscription_id, paid=False)
    failed = events_of(plans_standin, subscription_id, "invoice.payment_failed")
    assert len(failed) == 1
    deliver(client, failed + failed, django_capture_on_commit_callbacks)

    subscription = row(tenant)
    assert subscription.status == "past_due"
    assert subscription.current_period_start == first_period_end
    with tenant_scope(tenant):
        assert tenant_plan(tenant=tenant).code == PlanCode.PRO

    plans_standin.subscription_renew(subscription_id, paid=True)
    paid = events_of(plans_standin, subscription_id, "invoice.paid")[-1]
    deliver(client, [paid], django_capture_on_commit_callbacks)
    assert row(tenant).status == "active"


def test_a_late_event_of_an_old_subscription_does_not_undo_a_new_one(
    plans_standin: StripeStandIn,
    owner_membership: Membership,
    client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    tenant = owner_membership.tenant
    old = subscribe(plans_standin, owner_membership, "pro")
    plans_standin.subscription_cancel(old)
    deliver(
        client,
        events_of(plans_standin, old, "customer.subscription.deleted"),
        django_capture_on_commit_callbacks,
    )
    assert row(tenant).status == "canceled"
    plans_standin.store.clock_offset += 60  # the new subscription is created a minute later
    new = subscribe(plans_standin, owner_membership, "business")

    # The old subscription's events come (again, or late) after the new one's.
    late = events_of(plans_standin, old, *LIFECYCLE, "customer.subscription.deleted")
    assert len(late) == 4
    deliver(client, events_of(plans_standin, new, *LIFECYCLE) + late, django_capture_on_commit_callbacks)

    subscription = row(tenant)
    assert (subscription.stripe_subscription_id, subscription.plan, subscription.status) == (
        new,
        "business",
        "active",
    )
    assert plan_subscription_sync(subscription_id=old).stripe_subscription_id == new


def test_events_from_connected_accounts_and_unknown_subscriptions_are_ignored(
    plans_standin: StripeStandIn, client: Client, tenant: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    connect_event = make_stripe_event("invoice.paid", "invoice", account="acct_1TenantOwn")
    stranger = make_stripe_event("customer.subscription.updated", "subscription")
    with django_capture_on_commit_callbacks(execute=True):
        post_stripe_event(client, connect_event)
    # The sample subscription does not exist at the stand-in: retrieving it fails, the event too.
    with django_capture_on_commit_callbacks(execute=True):
        post_stripe_event(client, stranger)
    assert StripeEvent.objects.get(stripe_id=connect_event["id"]).status == "processed"
    assert StripeEvent.objects.get(stripe_id=stranger["id"]).status == "failed"
    assert rows_in_every_tenant(PlanSubscription) == 0


def test_a_subscription_of_no_workspace_is_ignored(
    plans_standin: StripeStandIn, tenant: Tenant, settings: Any
) -> None:
    customer = stripe_client.customer_create(idempotency_key="customer-elsewhere", email="x@example.com")
    session = stripe_client.checkout_session_create(
        params={
            "mode": "subscription",
            "customer": customer["id"],
            "line_items": [{"price": settings.STRIPE_PRICE_PRO, "quantity": 1}],
        },
        idempotency_key="checkout-elsewhere",
    )
    plans_standin.pay_checkout_session(session["id"])
    subscription_id = plans_standin.store.objects[session["id"]]["subscription"]
    assert plan_subscription_sync(subscription_id=subscription_id) is None
    assert rows_in_every_tenant(PlanSubscription) == 0


def test_a_subscription_without_our_metadata_finds_its_workspace_by_customer(
    plans_standin: StripeStandIn,
    owner_membership: Membership,
    other_tenant: Tenant,
    client: Client,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # Made in Stripe's dashboard for the workspace's customer: no metadata names the workspace,
    # so the webhook finds it through the customer's lookup door (the row is behind RLS).
    tenant = owner_membership.tenant
    customer = checkout(owner_membership)["customer"]
    with tenant_scope(other_tenant):
        PlanSubscription.objects.create(tenant=other_tenant, stripe_customer_id="cus_someone_else")
    session = stripe_client.checkout_session_create(
        params={
            "mode": "subscription",
            "customer": customer,
            "line_items": [{"price": settings.STRIPE_PRICE_BUSINESS, "quantity": 1}],
        },
        idempotency_key="checkout-from-the-dashboard",
    )
    plans_standin.pay_checkout_session(session["id"])
    subscription_id = plans_standin.store.objects[session["id"]]["subscription"]
    assert not plans_standin.store.objects[subscription_id].get("metadata")
    deliver(
        client,
        events_of(plans_standin, subscription_id, "customer.subscription.created"),
        django_capture_on_commit_callbacks,
    )
    assert (row(tenant).plan, row(tenant).status) == ("business", "active")
    assert row(other_tenant).status == ""


def test_plans_are_off_without_a_key_or_without_prices(settings: Any, tenant: Tenant) -> None:
    settings.STRIPE_SECRET_KEY = ""
    assert not plans_enabled()
    assert tenant_plan(tenant=tenant) is None
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_PRICE_PRO = settings.STRIPE_PRICE_BUSINESS = ""
    assert not plans_enabled()
    settings.STRIPE_PRICE_PRO = "price_x"
    assert plans_enabled()


def test_meter_price_is_metered(plans_standin: StripeStandIn, settings: Any) -> None:
    price, _ = plans_standin.store.find(settings.STRIPE_PRICE_INVOICES_SENT)
    assert price["recurring"]["usage_type"] == "metered"
    assert price["recurring"]["meter"] == METER


def test_a_plan_is_read_only_inside_its_workspaces_scope(
    plans_standin: StripeStandIn, owner_membership: Membership, tenant: Tenant, other_tenant: Tenant
) -> None:
    # Outside the scope row-level security hides the subscription: reading there would make a
    # paying workspace look Free, so it is refused rather than answered.
    plan_subscription_sync(subscription_id=subscribe(plans_standin, owner_membership, "pro"))
    with pytest.raises(TenantNotSetError):
        tenant_plan(tenant=tenant)
    with tenant_scope(other_tenant), pytest.raises(ValueError, match="its own tenant scope"):
        tenant_plan(tenant=tenant)
    with tenant_scope(tenant):
        assert tenant_plan(tenant=tenant).code == PlanCode.PRO
