"""Plans end to end: the stand-in's hosted pages and its signed webhooks reach the live app."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from billing.models import StripeEvent
from billing.tests.stripe_standin import StripeStandIn
from billing.tests.test_standin import fetch
from plans.tests.fixtures import plan_subscription_of
from tenants.models import Tenant

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("billing_celery_eager")]


def test_subscribe_on_the_hosted_page_then_cancel_in_the_portal(
    plans_standin: StripeStandIn, stripe_standin_live: StripeStandIn, owner_client: Client, tenant: Tenant
) -> None:
    billing = reverse("plan_billing", args=[tenant.slug])
    checkout_url = owner_client.post(reverse("plan_checkout", args=[tenant.slug]), {"plan": "pro"})[
        "Location"
    ]

    # Pay on the hosted page: Stripe's webhooks reach the app before the page redirects back.
    status, headers, _ = fetch(
        checkout_url, "POST", {"email": "owner@example.com", "card_number": "4242 4242 4242 4242"}
    )
    assert status == 303
    assert headers["Location"].startswith(f"http://testserver{billing}?checkout=success&session_id=cs_test_")
    assert {d.status for d in plans_standin.deliveries} == {200}
    assert "customer.subscription.created" in {d.type for d in plans_standin.deliveries}
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {"processed"}
    row = plan_subscription_of(tenant)
    assert (row.plan, row.status) == ("pro", "active")

    # Stripe retries a delivery: nothing changes.
    plans_standin.redeliver(plans_standin.deliveries[0].event_id)
    assert plan_subscription_of(tenant).status == "active"

    portal = owner_client.post(reverse("plan_portal", args=[tenant.slug]))["Location"]
    status, _, _ = fetch(portal, "POST", {"action": "cancel", "subscription": row.stripe_subscription_id})
    assert status == 303
    assert plans_standin.deliveries[-1].type == "customer.subscription.deleted"
    row = plan_subscription_of(tenant)
    assert (row.status, row.effective_plan) == ("canceled", "free")
    assert "Your subscription was canceled" in owner_client.get(billing).content.decode()


def test_a_declined_card_subscribes_nothing(
    plans_standin: StripeStandIn, stripe_standin_live: StripeStandIn, owner_client: Client, tenant: Tenant
) -> None:
    checkout_url = owner_client.post(reverse("plan_checkout", args=[tenant.slug]), {"plan": "business"})[
        "Location"
    ]
    status, _, page = fetch(
        checkout_url, "POST", {"email": "owner@example.com", "card_number": "4000000000000002"}
    )
    assert status == 402
    assert "Your card was declined." in page
    assert plans_standin.deliveries == []
    assert plan_subscription_of(tenant).status == ""
