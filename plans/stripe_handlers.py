"""Stripe webhook handlers that keep each workspace's plan current.

Every one of them re-reads the subscription from Stripe (`plan_subscription_sync`), so the
outcome depends on the subscription's state, not on which event came first or how often.
Events from connected accounts (a tenant's own Stripe account) are the tenant's business, not
the platform's billing: they are ignored here, as is everything while plans are switched off.
"""

from __future__ import annotations

from billing.handlers import handles
from billing.models import StripeEvent
from plans.catalog import plans_enabled
from plans.services import plan_subscription_sync, subscription_id_of_invoice


@handles("customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted")
def subscription_changed(event: StripeEvent) -> None:
    if event.account or not plans_enabled():
        return
    plan_subscription_sync(subscription_id=event.data_object["id"])


@handles("invoice.paid", "invoice.payment_failed")
def subscription_invoice(event: StripeEvent) -> None:
    if event.account or not plans_enabled():
        return
    subscription_id = subscription_id_of_invoice(event.data_object)
    if subscription_id:  # a one-off invoice is not about a plan
        plan_subscription_sync(subscription_id=subscription_id)
