"""Fixtures and helpers of the plans tests (imported by the root conftest).

- `plans_standin`: the Stripe stand-in with the plans' prices created on it (Pro, Business and
  the metered "invoices sent" price) and the settings pointing at them: plans are on.
- `subscribe(standin, membership, plan)`: what an owner does on the billing page and on the
  stand-in's hosted Checkout page; returns the Stripe subscription's id. No webhook is sent
  (the stand-in has no endpoint unless a test adds one): tests deliver `standin.events`.
- `deliver(client, events)`: post events to the webhook endpoint, processing them after commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from django.test import Client

from billing.tests.fixtures import post_stripe_event
from billing.tests.stripe_standin import StripeStandIn
from plans import services as plan_services
from plans.models import PlanSubscription
from tenants.models import Membership, Tenant
from tenants.scoping import tenant_scope

__all__ = ["plans_standin"]

METER = "mtr_test_invoices_sent"
SUCCESS_URL = "http://127.0.0.1:9/billing?checkout=success&session_id={CHECKOUT_SESSION_ID}"


@pytest.fixture
def plans_standin(stripe_standin: StripeStandIn, settings: Any) -> StripeStandIn:
    pro = stripe_standin.price_create(name="Pro", unit_amount=1200)
    business = stripe_standin.price_create(name="Business", unit_amount=3900)
    metered = stripe_standin.price_create(name="Invoices sent", unit_amount=0, meter=METER)
    settings.STRIPE_PRICE_PRO = pro["id"]
    settings.STRIPE_PRICE_BUSINESS = business["id"]
    settings.STRIPE_PRICE_INVOICES_SENT = metered["id"]
    settings.STRIPE_METER_EVENT_NAME = "invoices_sent"
    settings.PLAN_FREE_MONTHLY_INVOICES = 5
    return stripe_standin


def plan_subscription_of(tenant: Tenant) -> PlanSubscription:
    """The workspace's plan row, read inside its scope (row-level security hides it elsewhere)."""
    with tenant_scope(tenant):
        return PlanSubscription.objects.get(tenant=tenant)


def checkout(membership: Membership, plan: str = "pro") -> dict[str, Any]:
    with tenant_scope(membership.tenant):
        return plan_services.plan_checkout_start(
            actor=membership, plan=plan, success_url=SUCCESS_URL, cancel_url="http://127.0.0.1:9/billing"
        )


def subscribe(standin: StripeStandIn, membership: Membership, plan: str = "pro") -> str:
    session = checkout(membership, plan)
    assert standin.pay_checkout_session(session["id"]) == ""
    paid, _ = standin.store.find(session["id"])
    return paid["subscription"]


def events_of(standin: StripeStandIn, subscription_id: str, *types: str) -> list[dict[str, Any]]:
    """The stand-in's events about one subscription (or its invoices), oldest first."""

    def about(event: dict[str, Any]) -> bool:
        obj = event["data"]["object"]
        if obj["object"] == "subscription":
            return obj["id"] == subscription_id
        if obj["object"] == "invoice":
            return obj["parent"]["subscription_details"]["subscription"] == subscription_id
        if obj["object"] == "checkout.session":
            return obj.get("subscription") == subscription_id
        return False

    return [e for e in standin.events if about(e) and (not types or e["type"] in types)]


def deliver(client: Client, events: Iterable[dict[str, Any]], capture: Any) -> None:
    for event in events:
        with capture(execute=True):
            response = post_stripe_event(client, event)
        assert response.status_code == 200, response.content
