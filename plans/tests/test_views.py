"""The billing settings page: who may see it, subscribing and managing through Stripe's pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from billing.models import StripeEvent
from billing.tests.stripe_standin import StripeStandIn
from billing.tests.test_standin import fetch
from plans.tests.fixtures import deliver, events_of, plan_subscription_of, subscribe
from tenants.models import Membership, Tenant

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("billing_celery_eager")]


def url(tenant: Tenant, name: str = "plan_billing") -> str:
    return reverse(name, args=[tenant.slug])


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner_client", 200), ("member_client", 403), ("viewer_client", 403), ("outsider_client", 404)],
)
def test_only_owners_and_admins_see_billing(
    request: pytest.FixtureRequest, tenant: Tenant, who: str, status: int
) -> None:
    client = request.getfixturevalue(who)
    for name in ("plan_billing",):
        assert client.get(url(tenant, name)).status_code == status
    for name in ("plan_checkout", "plan_portal"):
        assert client.post(url(tenant, name), {"plan": "pro"}).status_code in (
            (status,) if status != 200 else (302,)
        )


def test_admins_see_billing(admin_membership: Membership) -> None:
    from tenants.tests.fixtures import client_for

    response = client_for(admin_membership.user).get(url(admin_membership.tenant))
    assert response.status_code == 200


def test_without_stripe_the_page_says_plans_are_off(owner_client: Client, tenant: Tenant) -> None:
    body = owner_client.get(url(tenant)).content.decode()
    assert 'data-testid="plans-off"' in body
    assert "Plans and online payment are switched off on this installation" in body
    assert "Upgrade to" not in body
    # Posting anyway is refused with the same explanation.
    response = owner_client.post(url(tenant, "plan_checkout"), {"plan": "pro"}, follow=True)
    assert "Plans are switched off on this installation" in response.content.decode()


def test_the_page_shows_the_free_plan_usage_and_upgrade_buttons(
    plans_standin: StripeStandIn, owner_client: Client, tenant: Tenant
) -> None:
    response = owner_client.get(url(tenant))
    body = response.content.decode()
    assert "Free plan" in body
    assert "0 of 5 finalized invoices used this month" in body
    assert 'data-testid="choose-pro"' in body
    assert 'data-testid="choose-business"' in body
    assert "€12" in body
    assert "€39" in body
    assert 'data-testid="manage-subscription"' not in body
    # The form posts, then is redirected to Stripe's hosted page: CSP form-action allows it.
    csp = response.headers["Content-Security-Policy"]
    assert plans_standin.base_url in csp.split("form-action", 1)[1].split(";")[0]


def test_subscribe_through_hosted_checkout_then_webhooks(
    plans_standin: StripeStandIn,
    owner_client: Client,
    tenant: Tenant,
    django_capture_on_commit_callbacks: Any,
) -> None:
    response = owner_client.post(url(tenant, "plan_checkout"), {"plan": "pro"})
    assert response.status_code == 303
    checkout_url = response["Location"]
    assert checkout_url.startswith(plans_standin.base_url + "/c/pay/")

    # The hosted page, over HTTP: it shows the plan's price, Pay completes it.
    status, _, page = fetch(checkout_url)
    assert status == 200
    assert "12.00 EUR" in page
    status, headers, _ = fetch(
        checkout_url, "POST", {"email": "owner@example.com", "card_number": "4242424242424242"}
    )
    assert status == 303
    back = urlsplit(headers["Location"])
    assert back.path == url(tenant)
    session_id = parse_qs(back.query)["session_id"][0]

    subscription_id = plans_standin.store.objects[session_id]["subscription"]
    deliver(
        client=owner_client,
        events=events_of(plans_standin, subscription_id),
        capture=django_capture_on_commit_callbacks,
    )
    assert StripeEvent.objects.filter(status="processed").count() == len(
        events_of(plans_standin, subscription_id)
    )
    row = plan_subscription_of(tenant)
    assert (row.plan, row.status) == ("pro", "active")

    body = owner_client.get(url(tenant)).content.decode()
    assert "Pro plan" in body
    assert 'data-testid="plan-status">Active' in body
    assert "no limit on your plan" in body
    assert 'data-testid="manage-subscription"' in body
    assert 'data-testid="choose-business"' not in body  # plan changes go through the portal
    # A second checkout while subscribed is refused.
    response = owner_client.post(url(tenant, "plan_checkout"), {"plan": "business"}, follow=True)
    assert "already has a subscription" in response.content.decode()


def test_coming_back_from_checkout_syncs_without_waiting_for_the_webhook(
    plans_standin: StripeStandIn, owner_client: Client, tenant: Tenant
) -> None:
    response = owner_client.post(url(tenant, "plan_checkout"), {"plan": "business"})
    session_id = response["Location"].rsplit("/", 1)[1]
    plans_standin.pay_checkout_session(session_id)

    response = owner_client.get(url(tenant), {"checkout": "success", "session_id": session_id}, follow=True)

    assert "your subscription is set up" in response.content.decode()
    row = plan_subscription_of(tenant)
    assert (row.plan, row.status) == ("business", "active")


def test_another_workspaces_session_id_is_ignored(
    plans_standin: StripeStandIn,
    owner_client: Client,
    tenant: Tenant,
    outsider_membership: Membership,
) -> None:
    owner_client.post(url(tenant, "plan_checkout"), {"plan": "pro"})  # this workspace's customer
    theirs = subscribe(plans_standin, outsider_membership, "pro")
    their_session = next(
        o["id"] for o in plans_standin.store.objects.values() if o.get("subscription") == theirs
    )
    owner_client.get(url(tenant), {"checkout": "success", "session_id": their_session})
    assert plan_subscription_of(tenant).status == ""


def test_payment_failed_is_shown_as_past_due(
    plans_standin: StripeStandIn,
    owner_membership: Membership,
    owner_client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    tenant = owner_membership.tenant
    subscription_id = subscribe(plans_standin, owner_membership, "pro")
    plans_standin.subscription_renew(subscription_id, paid=False)
    deliver(
        owner_client,
        events_of(plans_standin, subscription_id, "invoice.payment_failed"),
        django_capture_on_commit_callbacks,
    )

    body = owner_client.get(url(tenant)).content.decode()
    assert 'data-testid="plan-status">Past due' in body
    assert "Your last payment failed" in body
    assert 'data-testid="manage-subscription"' in body


def test_manage_subscription_opens_the_portal_where_canceling_returns_to_free(
    plans_standin: StripeStandIn,
    owner_membership: Membership,
    owner_client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    tenant = owner_membership.tenant
    subscription_id = subscribe(plans_standin, owner_membership, "pro")
    deliver(owner_client, events_of(plans_standin, subscription_id), django_capture_on_commit_callbacks)

    response = owner_client.post(url(tenant, "plan_portal"))
    assert response.status_code == 303
    portal = response["Location"]
    assert portal.startswith(plans_standin.base_url + "/p/session/")
    status, _, page = fetch(portal)
    assert status == 200
    assert "Cancel plan" in page
    assert f'href="http://testserver{url(tenant)}"' in page

    status, _, _ = fetch(portal, "POST", {"action": "cancel", "subscription": subscription_id})
    assert status == 303
    deliver(
        owner_client,
        events_of(plans_standin, subscription_id, "customer.subscription.deleted"),
        django_capture_on_commit_callbacks,
    )

    row = plan_subscription_of(tenant)
    assert (row.status, row.effective_plan) == ("canceled", "free")
    body = owner_client.get(url(tenant)).content.decode()
    assert "Free plan" in body
    assert "Your subscription was canceled" in body
    assert 'data-testid="choose-pro"' in body


def test_switching_plans_in_the_portal(
    plans_standin: StripeStandIn,
    owner_membership: Membership,
    owner_client: Client,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
) -> None:
    tenant = owner_membership.tenant
    subscription_id = subscribe(plans_standin, owner_membership, "pro")
    portal = owner_client.post(url(tenant, "plan_portal"))["Location"]
    fetch(
        portal,
        "POST",
        {"action": "switch", "subscription": subscription_id, "price": settings.STRIPE_PRICE_BUSINESS},
    )
    updates = events_of(plans_standin, subscription_id, "customer.subscription.updated")
    deliver(owner_client, updates[-1:], django_capture_on_commit_callbacks)
    assert plan_subscription_of(tenant).plan == "business"


def test_the_portal_needs_a_subscription_first(
    plans_standin: StripeStandIn, owner_client: Client, tenant: Tenant
) -> None:
    response = owner_client.post(url(tenant, "plan_portal"), follow=True)
    assert "Subscribe to a plan first." in response.content.decode()


def test_workspace_settings_link_to_billing(owner_client: Client, tenant: Tenant) -> None:
    body = owner_client.get(reverse("tenant_settings", args=[tenant.slug])).content.decode()
    assert f'href="{url(tenant)}" data-testid="billing-link"' in body


def test_platform_admin_lists_subscriptions_read_only(
    plans_standin: StripeStandIn, admin_client: Client, owner_membership: Membership
) -> None:
    subscribe(plans_standin, owner_membership, "pro")
    # Behind row-level security: one workspace at a time, chosen in the "By tenant" filter.
    changelist = reverse("admin:plans_plansubscription_changelist")
    assert "Choose a workspace" in admin_client.get(changelist).content.decode()
    response = admin_client.get(changelist, {"tenant__id__exact": owner_membership.tenant_id})
    assert response.status_code == 200
    assert [row.tenant for row in response.context["cl"].result_list] == [owner_membership.tenant]
    assert admin_client.get(reverse("admin:plans_usagereport_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:plans_plansubscription_add")).status_code == 403
