"""Stripe Billing objects of the stand-in, built from Stripe's samples: a subscription (its
billing period on its items, as since API version 2025-03-31), its invoices (naming the
subscription under `parent.subscription_details`), Checkout line items of recurring prices."""

from __future__ import annotations

import calendar
import copy
from datetime import UTC, datetime
from typing import Any

from billing.tests.stripe_standin import objects
from billing.tests.stripe_standin.wire import new_id


def add_months(timestamp: int, months: int) -> int:
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


def plan_of(price: dict[str, Any]) -> dict[str, Any]:
    """The legacy `plan` object every subscription item still carries, mirrored from its price."""
    recurring = price["recurring"] or {}
    return {
        "id": price["id"],
        "object": "plan",
        "active": price["active"],
        "amount": price["unit_amount"],
        "amount_decimal": price["unit_amount_decimal"],
        "billing_scheme": "per_unit",
        "created": price["created"],
        "currency": price["currency"],
        "interval": recurring.get("interval"),
        "interval_count": recurring.get("interval_count"),
        "livemode": False,
        "metadata": {},
        "meter": recurring.get("meter"),
        "nickname": price["nickname"],
        "product": price["product"],
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": None,
        "usage_type": recurring.get("usage_type"),
    }


def checkout_item(price: dict[str, Any], quantity: int | None) -> dict[str, Any]:
    item = objects.sample("item")
    amount = (price["unit_amount"] or 0) * (quantity or 0)
    item.update(
        id=new_id("li_"),
        amount_subtotal=amount,
        amount_total=amount,
        currency=price["currency"],
        description=price.get("nickname") or price["product"],
        price=copy.deepcopy(price),
        quantity=quantity,
        adjustable_quantity=None,
    )
    return item


def subscription(
    *,
    customer: str,
    prices: list[dict[str, Any]],
    quantities: list[int | None],
    meta: dict[str, str],
    method: str,
    now: int,
) -> dict[str, Any]:
    subscription = objects.sample("subscription")
    subscription_id = new_id("sub_")
    interval_months = {"month": 1, "year": 12}
    period_end = add_months(now, interval_months.get(prices[0]["recurring"]["interval"], 1))
    items = []
    for price, quantity in zip(prices, quantities, strict=True):
        item = objects.sample("subscription_item")
        item.update(
            id=new_id("si_", 14),
            created=now,
            metadata={},
            price=copy.deepcopy(price),
            plan=plan_of(price),
            quantity=quantity,
            subscription=subscription_id,
            current_period_start=now,
            current_period_end=period_end,
            billing_thresholds=None,
        )
        if quantity is None:
            del item["quantity"]
        items.append(item)
    subscription.update(
        id=subscription_id,
        automatic_tax={"enabled": False, "liability": None, "disabled_reason": None},
        billing_cycle_anchor=now,
        billing_cycle_anchor_config=None,
        billing_schedules=[],
        cancel_at=None,
        canceled_at=None,
        cancel_at_period_end=False,
        created=now,
        currency=prices[0]["currency"],
        customer=customer,
        default_payment_method=method,
        ended_at=None,
        items={
            "object": "list",
            "data": items,
            "has_more": False,
            "url": f"/v1/subscription_items?subscription={subscription_id}",
        },
        latest_invoice=None,
        managed_payments={"enabled": False},
        metadata=meta,
        next_pending_invoice_item_invoice=None,
        pause_collection=None,
        pending_invoice_item_interval=None,
        pending_update=None,
        start_date=now,
        status="incomplete",
        transfer_data=None,
        trial_end=None,
        trial_start=None,
        billing_thresholds=None,
    )
    return subscription


def subscription_invoice(subscription: dict[str, Any], *, reason: str, now: int) -> dict[str, Any]:
    invoice = objects.sample("invoice")
    invoice_id = new_id("in_")
    lines, total = [], 0
    template = invoice["lines"]["data"][0]
    for item in subscription["items"]["data"]:
        amount = (item["price"]["unit_amount"] or 0) * item.get("quantity", 0)
        total += amount
        line = copy.deepcopy(template)
        line.update(
            id=new_id("il_"),
            amount=amount,
            currency=subscription["currency"],
            description=item["price"].get("nickname") or item["price"]["product"],
            invoice=invoice_id,
            period={"start": item["current_period_start"], "end": item["current_period_end"]},
            quantity=item.get("quantity", 0),
            subtotal=amount,
            parent={
                "type": "subscription_item_details",
                "invoice_item_details": None,
                "subscription_item_details": {
                    "invoice_item": None,
                    "proration": False,
                    "proration_details": {"credited_items": None},
                    "subscription": subscription["id"],
                    "subscription_item": item["id"],
                },
            },
        )
        lines.append(line)
    invoice.update(
        id=invoice_id,
        amount_due=total,
        amount_paid=0,
        amount_remaining=total,
        amount_overpaid=0,
        attempt_count=0,
        attempted=False,
        auto_advance=True,
        billing_reason=reason,
        created=now,
        currency=subscription["currency"],
        customer=subscription["customer"],
        due_date=None,
        effective_at=now,
        from_invoice=None,
        last_finalization_error=None,
        lines={
            "object": "list",
            "data": lines,
            "has_more": False,
            "url": f"/v1/invoices/{invoice_id}/lines",
        },
        next_payment_attempt=None,
        number=f"{new_id('', 8).upper()}-0001",
        parent={
            "type": "subscription_details",
            "quote_details": None,
            "subscription_details": {
                "metadata": dict(subscription["metadata"]),
                "subscription": subscription["id"],
            },
        },
        period_start=now,
        period_end=now,
        shipping_cost=None,
        status="open",
        subtotal=total,
        subtotal_excluding_tax=total,
        total=total,
        total_excluding_tax=total,
        webhooks_delivered_at=None,
    )
    invoice["status_transitions"].update(finalized_at=now)
    return invoice
