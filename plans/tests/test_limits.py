"""The Free plan's monthly allowance: refused with a clear message and an upgrade path."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from billing.tests.stripe_standin import StripeStandIn
from core.errors import ApplicationError
from invoices import services
from invoices.models import Invoice, InvoiceStatus
from invoices.tests.factories import make_invoice
from plans.catalog import month_start, next_month_start, tenant_usage
from plans.models import PlanSubscription
from plans.services import plan_subscription_sync
from plans.tests.fixtures import subscribe
from tenants.models import Membership, Tenant
from tenants.scoping import tenant_scope
from tenants.tests.fixtures import rows_in_every_tenant

pytestmark = pytest.mark.django_db


def finalized(owner: Membership, count: int) -> list[Invoice]:
    with tenant_scope(owner.tenant):
        return [make_invoice(actor=owner, finalize=True) for _ in range(count)]


def draft(owner: Membership) -> Invoice:
    with tenant_scope(owner.tenant):
        return make_invoice(actor=owner)


def finalize(owner: Membership, invoice: Invoice) -> Invoice:
    with tenant_scope(owner.tenant):
        return services.invoice_finalize(actor=owner, invoice=invoice)


def test_free_allows_five_a_month_then_refuses_with_the_way_up(
    plans_standin: StripeStandIn, owner_membership: Membership
) -> None:
    finalized(owner_membership, 5)
    sixth = draft(owner_membership)

    with pytest.raises(ApplicationError) as refused:
        finalize(owner_membership, sixth)

    assert refused.value.code == "plan_limit"
    assert "Free plan, which includes 5 finalized invoices a month" in refused.value.message
    assert "Upgrade your plan (Settings → Billing)" in refused.value.message
    with tenant_scope(owner_membership.tenant):
        sixth.refresh_from_db()
        assert sixth.status == InvoiceStatus.DRAFT
        usage = tenant_usage(tenant=owner_membership.tenant)
    assert (usage.used, usage.allowance, usage.exhausted) == (5, 5, True)


def test_credit_notes_do_not_count_and_voided_invoices_do(
    plans_standin: StripeStandIn, owner_membership: Membership
) -> None:
    invoices = finalized(owner_membership, 4)
    with tenant_scope(owner_membership.tenant):
        services.invoice_void(actor=owner_membership, invoice=invoices[0], reason="typo")
        services.credit_note_create(actor=owner_membership, invoice=invoices[1], reason="discount")
        assert tenant_usage(tenant=owner_membership.tenant).used == 4
    finalize(owner_membership, draft(owner_membership))  # the fifth
    with pytest.raises(ApplicationError):
        finalize(owner_membership, draft(owner_membership))


def test_a_subscribed_workspace_is_unlimited(
    plans_standin: StripeStandIn, owner_membership: Membership
) -> None:
    finalized(owner_membership, 5)
    plan_subscription_sync(subscription_id=subscribe(plans_standin, owner_membership, "pro"))

    invoice = finalize(owner_membership, draft(owner_membership))

    assert invoice.status == InvoiceStatus.OPEN
    with tenant_scope(owner_membership.tenant):
        usage = tenant_usage(tenant=owner_membership.tenant)
    assert (usage.plan.code, usage.used, usage.allowance) == ("pro", 6, None)


def test_without_stripe_every_workspace_is_unlimited(owner_membership: Membership, settings: Any) -> None:
    assert not settings.STRIPE_SECRET_KEY
    invoices = finalized(owner_membership, 7)
    assert all(i.status == InvoiceStatus.OPEN for i in invoices)
    assert rows_in_every_tenant(PlanSubscription) == 0


def test_the_finalize_page_refuses_and_offers_upgrade(
    plans_standin: StripeStandIn, owner_membership: Membership, owner_client: Client
) -> None:
    finalized(owner_membership, 5)
    invoice = draft(owner_membership)
    url = reverse("invoice_finalize", args=[owner_membership.tenant.slug, invoice.public_id])
    billing = reverse("plan_billing", args=[owner_membership.tenant.slug])

    page = owner_client.get(url).content.decode()
    assert 'data-testid="plan-limit"' in page
    assert "You have finalized all 5 invoices of the Free plan this month" in page
    assert f'href="{billing}" data-testid="upgrade">Upgrade</a>' in page

    response = owner_client.post(url, follow=True)
    body = response.content.decode()
    assert "Free plan, which includes 5 finalized invoices a month" in body
    assert f'href="{billing}" data-testid="upgrade"' in body
    with tenant_scope(owner_membership.tenant):
        assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.DRAFT


def test_a_member_is_told_to_ask_an_owner(
    plans_standin: StripeStandIn,
    owner_membership: Membership,
    member_membership: Membership,
    member_client: Client,
) -> None:
    finalized(owner_membership, 4)
    invoice = draft(owner_membership)
    url = reverse("invoice_finalize", args=[owner_membership.tenant.slug, invoice.public_id])
    page = member_client.get(url).content.decode()
    assert "One finalized invoice left this month on the Free plan" in page
    assert "Ask an owner or admin to upgrade the plan." in page
    assert 'data-testid="upgrade"' not in page


@pytest.mark.parametrize("plans", [True, False])
def test_no_notice_far_from_the_limit_or_without_plans(
    request: pytest.FixtureRequest, owner_membership: Membership, owner_client: Client, plans: bool
) -> None:
    if plans:
        request.getfixturevalue("plans_standin")
    finalized(owner_membership, 3 if plans else 9)
    invoice = draft(owner_membership)
    url = reverse("invoice_finalize", args=[owner_membership.tenant.slug, invoice.public_id])
    assert 'data-testid="plan-limit"' not in owner_client.get(url).content.decode()


def test_the_month_is_the_workspaces_own(tenant: Tenant) -> None:
    tenant.time_zone = "Pacific/Auckland"
    start = month_start(tenant=tenant, today=date(2026, 12, 17))
    assert start.isoformat() == "2026-12-01T00:00:00+13:00"
    tenant.time_zone = "UTC"
    assert next_month_start(tenant=tenant).day == 1
    assert next_month_start(tenant=tenant) > month_start(tenant=tenant)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_members_finalizing_the_last_one_at_once_get_one(
    plans_standin: StripeStandIn, owner_membership: Membership
) -> None:
    finalized(owner_membership, 4)
    drafts = [draft(owner_membership), draft(owner_membership)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run(invoice: Invoice) -> None:
        try:
            barrier.wait()
            finalize(owner_membership, invoice)
            outcomes.append("finalized")
        except ApplicationError as error:
            outcomes.append(error.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(invoice,)) for invoice in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["finalized", "plan_limit"]
    with tenant_scope(owner_membership.tenant):
        assert tenant_usage(tenant=owner_membership.tenant).used == 5
