"""The stand-in's Billing side: customers, products, prices, subscriptions, their invoices,
Checkout in mode=subscription, customer portal sessions and billing meter events.

Objects start from Stripe's samples (`objects.sample`) like the rest of the stand-in. A
subscription's billing period lives on its items (as since API version 2025-03-31), and an
invoice names its subscription under `parent.subscription_details`.

Simplifications, each deliberate: a month is a calendar month from the subscription's start;
cards are charged at once (no 3-D Secure); a meter event whose `identifier` was seen before is
accepted and not counted again (Stripe enforces identifiers' uniqueness over at least 24 hours).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from billing.tests.stripe_standin import billing_objects, objects
from billing.tests.stripe_standin.store import Call, Store
from billing.tests.stripe_standin.wire import (
    StripeAPIError,
    check_known,
    invalid,
    metadata,
    missing,
    new_id,
    to_bool,
    to_int,
)

CUSTOMER_PARAMS = {"email", "name", "metadata", "description", "phone", "expand", "preferred_locales"}
PRICE_PARAMS = {
    "currency",
    "unit_amount",
    "product",
    "product_data",
    "recurring",
    "nickname",
    "lookup_key",
    "metadata",
    "active",
    "expand",
}
SUBSCRIPTION_UPDATE_PARAMS = {"cancel_at_period_end", "items", "metadata", "proration_behavior", "expand"}
CHECKOUT_SUBSCRIPTION_PARAMS = {
    "mode",
    "line_items",
    "success_url",
    "cancel_url",
    "customer",
    "customer_email",
    "client_reference_id",
    "metadata",
    "subscription_data",
    "payment_method_types",
    "expires_at",
    "locale",
    "expand",
    "allow_promotion_codes",
    "billing_address_collection",
    "automatic_tax",
    "tax_id_collection",
    "ui_mode",
}
SUBSCRIPTION_DATA_PARAMS = {"metadata", "description", "trial_period_days", "billing_cycle_anchor"}
PORTAL_PARAMS = {"customer", "return_url", "configuration", "locale", "flow_data", "on_behalf_of", "expand"}
METER_EVENT_PARAMS = {"event_name", "payload", "identifier", "timestamp", "expand"}


class Billing:
    def __init__(self, store: Store, base_url: Callable[[], str]) -> None:
        self.store = store
        self.base_url = base_url
        self.meter_events: list[dict[str, Any]] = []  # counted ones, in arrival order
        self.meter_identifiers: dict[str, dict[str, Any]] = {}
        self.portal_tokens: dict[str, str] = {}  # token in the portal URL → session id

    def routes(self) -> list[tuple[str, str, Callable[..., dict[str, Any]]]]:
        s = r"([A-Za-z0-9_]+)"
        return [
            ("POST", "/v1/customers", self.customer_create),
            ("GET", "/v1/customers", self.listing("customer", ["email"])),
            ("GET", f"/v1/customers/{s}", self.retrieve("customer")),
            ("POST", f"/v1/customers/{s}", self.customer_update),
            ("POST", "/v1/products", self.product_create),
            ("GET", f"/v1/products/{s}", self.retrieve("product")),
            ("POST", "/v1/prices", self.price_create),
            ("GET", "/v1/prices", self.listing("price", ["product"])),
            ("GET", f"/v1/prices/{s}", self.retrieve("price")),
            ("GET", "/v1/subscriptions", self.listing("subscription", ["customer", "status"])),
            ("GET", f"/v1/subscriptions/{s}", self.retrieve("subscription")),
            ("POST", f"/v1/subscriptions/{s}", self.subscription_update),
            ("DELETE", f"/v1/subscriptions/{s}", self.subscription_cancel_api),
            ("GET", "/v1/invoices", self.listing("invoice", ["customer", "status"])),
            ("GET", f"/v1/invoices/{s}", self.retrieve("invoice")),
            ("POST", "/v1/billing_portal/sessions", self.portal_session_create),
            ("POST", "/v1/billing/meter_events", self.meter_event_create),
        ]

    def retrieve(self, kind: str) -> Callable[..., dict[str, Any]]:
        def operation(call: Call, object_id: str) -> dict[str, Any]:
            return self.store.render(self.store.get(kind, object_id, call.account), call)

        return operation

    def listing(self, kind: str, filters: list[str]) -> Callable[..., dict[str, Any]]:
        def operation(call: Call) -> dict[str, Any]:
            return self.store.listing(kind, call, call.path, {n: call.params.get(n) for n in filters})

        return operation

    # --- customers, products, prices -----------------------------------------------------------

    def customer_create(self, call: Call) -> dict[str, Any]:
        check_known(call.params, CUSTOMER_PARAMS)
        customer = objects.sample("customer")
        customer.update(
            id=new_id("cus_", 14),
            created=self.store.now(),
            currency=None,
            discount=None,
            email=call.params.get("email"),
            name=call.params.get("name"),
            description=call.params.get("description"),
            phone=call.params.get("phone"),
            metadata=metadata(call.params),
            invoice_prefix=new_id("", 8).upper(),
            shipping=None,
        )
        customer["invoice_settings"]["default_payment_method"] = None
        self.store.add(customer, call.account)
        return self.store.render(customer, call)

    def customer_update(self, call: Call, customer_id: str) -> dict[str, Any]:
        check_known(call.params, CUSTOMER_PARAMS)
        customer = self.store.get("customer", customer_id, call.account)
        for name in ("email", "name", "description", "phone"):
            if name in call.params:
                customer[name] = call.params[name] or None
        if "metadata" in call.params:
            customer["metadata"] = metadata(call.params, customer["metadata"])
        self.store.emit(call, "customer.updated", customer, call.account)
        return self.store.render(customer, call)

    def product_create(self, call: Call) -> dict[str, Any]:
        name = call.params.get("name")
        if not name:
            raise missing("name")
        return self.store.render(self._product(name, call.account), call)

    def _product(self, name: str, account: str | None) -> dict[str, Any]:
        product = objects.sample("product")
        now = self.store.now()
        product.update(
            id=new_id("prod_", 14),
            created=now,
            updated=now,
            name=name,
            description=None,
            default_price=None,
            metadata={},
            package_dimensions=None,
            type="service",
        )
        return self.store.add(product, account)

    def price_create(self, call: Call) -> dict[str, Any]:
        params = call.params
        check_known(params, PRICE_PARAMS)
        if not params.get("currency"):
            raise missing("currency")
        recurring = params.get("recurring") or None
        usage_type = (recurring or {}).get("usage_type", "licensed")
        if usage_type not in ("licensed", "metered"):
            raise invalid(
                "recurring[usage_type]", "Invalid recurring[usage_type]: must be licensed or metered"
            )
        if usage_type == "metered" and not (recurring or {}).get("meter"):
            raise missing("recurring[meter]")
        if recurring and recurring.get("interval") not in ("day", "week", "month", "year"):
            raise invalid(
                "recurring[interval]", "Invalid recurring[interval]: must be one of day, week, month, or year"
            )
        unit_amount = to_int(params, "unit_amount", minimum=0)
        if unit_amount is None:
            raise missing("unit_amount")
        if params.get("product"):
            product = self.store.get("product", params["product"], call.account, "product")
        elif (params.get("product_data") or {}).get("name"):
            product = self._product(params["product_data"]["name"], call.account)
        else:
            raise missing("product")
        price = objects.sample("price")
        price.update(
            id=new_id("price_"),
            created=self.store.now(),
            currency=params["currency"].lower(),
            custom_unit_amount=None,
            lookup_key=params.get("lookup_key"),
            metadata=metadata(params),
            nickname=params.get("nickname"),
            product=product["id"],
            recurring={
                "interval": recurring["interval"],
                "interval_count": to_int(recurring, "interval_count", minimum=1) or 1,
                "meter": recurring.get("meter"),
                "trial_period_days": None,
                "usage_type": usage_type,
            }
            if recurring
            else None,
            transform_quantity=None,
            type="recurring" if recurring else "one_time",
            unit_amount=unit_amount,
            unit_amount_decimal=str(unit_amount),
        )
        self.store.add(price, call.account)
        if product["default_price"] is None:
            product["default_price"] = price["id"]
        return self.store.render(price, call)

    # --- Checkout in mode=subscription ---------------------------------------------------------

    def checkout_create(self, call: Call) -> dict[str, Any]:
        params, store, now = call.params, self.store, self.store.now()
        check_known(params, CHECKOUT_SUBSCRIPTION_PARAMS)
        check_known(params.get("subscription_data") or {}, SUBSCRIPTION_DATA_PARAMS, "subscription_data")
        if params.get("customer"):
            store.get("customer", params["customer"], call.account, "customer")
        raw_items = params.get("line_items")
        if not raw_items:
            raise missing("line_items")
        if not isinstance(raw_items, list):
            raise invalid("line_items", "Invalid array")
        items, currencies, licensed = [], set(), 0
        for index, raw in enumerate(raw_items):
            prefix = f"line_items[{index}]"
            if "price" not in raw:
                raise missing(f"{prefix}[price]")
            price = store.get("price", raw["price"], call.account, f"{prefix}[price]")
            if price["type"] != "recurring":
                raise invalid(
                    f"{prefix}[price]",
                    "You must provide at least one recurring price in `subscription` mode when using prices.",
                )
            metered = price["recurring"]["usage_type"] == "metered"
            if metered and "quantity" in raw:
                raise invalid(
                    f"{prefix}[quantity]", "Quantity should not be specified where usage_type is `metered`."
                )
            if not metered and "quantity" not in raw:
                raise missing(f"{prefix}[quantity]")
            quantity = None if metered else to_int(raw, "quantity", minimum=1)
            licensed += 0 if metered else 1
            currencies.add(price["currency"])
            items.append(billing_objects.checkout_item(price, quantity))
        if len(currencies) > 1:
            raise invalid("line_items", "All prices on a subscription must have the same `currency`.")
        if not licensed:
            raise invalid("line_items", "A subscription needs at least one licensed (non-metered) price.")
        expires_at = to_int(params, "expires_at") or now + 86400
        session = objects.checkout_session(
            params={**params, "payment_intent_data": {}},
            amount=sum(item["amount_total"] for item in items),
            currency=currencies.pop(),
            now=now,
            expires_at=expires_at,
            base_url=self.base_url(),
        )
        session.update(
            metadata=metadata(params),
            subscription=None,
            invoice=None,
            customer_creation=None if params.get("customer") else "always",
        )
        # Not part of Stripe's object: what the subscription will be created with.
        session["_subscription_data"] = params.get("subscription_data") or {}
        store.add(session, call.account)
        store.line_items[session["id"]] = items
        return store.render(session, call)

    def checkout_pay(self, call: Call, session: dict[str, Any], *, card: str, email: str) -> str:
        """Pay on the hosted page: the subscription starts and its first invoice is paid."""
        store, now = self.store, self.store.now()
        account = store.owner[session["id"]]
        digits = re.sub(r"\D", "", card)
        if len(digits) != 16:
            return "Your card number is incomplete."
        decline = objects.DECLINED_CARDS.get(digits)
        if decline:
            return decline[2]
        method = store.add(objects.payment_method(card_number=digits, email=email, now=now), account)
        customer_id = session["customer"]
        if not customer_id:
            customer = self.customer_create(
                Call("POST", "/v1/customers", {"email": email}, account, None, call.request_id)
            )
            customer_id = session["customer"] = customer["id"]
        data = session["_subscription_data"]
        prices = [item["price"] for item in store.line_items[session["id"]]]
        quantities = [item["quantity"] for item in store.line_items[session["id"]]]
        subscription = billing_objects.subscription(
            customer=customer_id,
            prices=prices,
            quantities=quantities,
            meta=dict(data.get("metadata") or {}),
            method=method["id"],
            now=now,
        )
        store.add(subscription, account)
        # Stripe creates the subscription incomplete, pays its first invoice, then activates it.
        store.emit(call, "customer.subscription.created", subscription, account)
        invoice = billing_objects.subscription_invoice(subscription, reason="subscription_create", now=now)
        store.add(invoice, account)
        self._invoice_settle(call, invoice, subscription, account, paid=True)
        customer_details = objects.sample("checkout.session")["customer_details"]
        customer_details.update(email=email, name=None, address=dict.fromkeys(customer_details["address"]))
        session.update(
            status="complete",
            payment_status="paid",
            customer_details=customer_details,
            subscription=subscription["id"],
            invoice=invoice["id"],
            url=None,
        )
        store.emit(call, "checkout.session.completed", session, account)
        return ""

    # --- subscriptions and their invoices ------------------------------------------------------

    def _invoice_settle(
        self,
        call: Call,
        invoice: dict[str, Any],
        subscription: dict[str, Any],
        account: str | None,
        *,
        paid: bool,
    ) -> None:
        """Finalize and attempt an invoice; the subscription follows (active or past_due)."""
        store, now = self.store, self.store.now()
        subscription["latest_invoice"] = invoice["id"]
        store.emit(call, "invoice.created", invoice, account)
        store.emit(call, "invoice.finalized", invoice, account)
        invoice.update(attempted=True, attempt_count=invoice["attempt_count"] + 1)
        previous = {"status": subscription["status"]}
        if paid:
            invoice.update(status="paid", amount_paid=invoice["amount_due"], amount_remaining=0)
            invoice["status_transitions"].update(paid_at=now)
            subscription["status"] = "active"
            store.emit(call, "invoice.paid", invoice, account)
            store.emit(call, "invoice.payment_succeeded", invoice, account)
        else:
            invoice["next_payment_attempt"] = now + 3 * 86400
            subscription["status"] = "past_due" if subscription["status"] != "incomplete" else "incomplete"
            store.emit(call, "invoice.payment_failed", invoice, account)
        if subscription["status"] != previous["status"]:
            store.emit(call, "customer.subscription.updated", subscription, account, previous)

    def subscription_renew(self, call: Call, subscription_id: str, *, paid: bool) -> dict[str, Any]:
        """The period ends: the next one starts and its invoice is charged (test helper)."""
        subscription, account = self.store.find(subscription_id)
        if subscription["object"] != "subscription" or subscription["status"] == "canceled":
            raise invalid("subscription", f"{subscription_id} is not a live subscription.")
        for item in subscription["items"]["data"]:
            start = item["current_period_end"]
            item.update(current_period_start=start, current_period_end=billing_objects.add_months(start, 1))
        invoice = billing_objects.subscription_invoice(
            subscription, reason="subscription_cycle", now=self.store.now()
        )
        self.store.add(invoice, account)
        self._invoice_settle(call, invoice, subscription, account, paid=paid)
        return self.store.public(subscription)

    def subscription_update(self, call: Call, subscription_id: str) -> dict[str, Any]:
        params = call.params
        check_known(params, SUBSCRIPTION_UPDATE_PARAMS)
        subscription = self.store.get("subscription", subscription_id, call.account)
        if subscription["status"] == "canceled":
            raise StripeAPIError(
                400, "A canceled subscription can only update its cancellation_details and metadata."
            )
        previous: dict[str, Any] = {}
        if "cancel_at_period_end" in params:
            previous["cancel_at_period_end"] = subscription["cancel_at_period_end"]
            subscription["cancel_at_period_end"] = bool(to_bool(params, "cancel_at_period_end"))
            end = max(i["current_period_end"] for i in subscription["items"]["data"])
            subscription["cancel_at"] = end if subscription["cancel_at_period_end"] else None
        if "metadata" in params:
            previous["metadata"] = dict(subscription["metadata"])
            subscription["metadata"] = metadata(params, subscription["metadata"])
        for index, raw in enumerate(params.get("items") or []):
            self._item_change(call, subscription, raw, f"items[{index}]", previous)
        if previous:
            self.store.emit(call, "customer.subscription.updated", subscription, call.account, previous)
        return self.store.render(subscription, call)

    def _item_change(
        self, call: Call, subscription: dict[str, Any], raw: dict[str, Any], prefix: str, previous: dict
    ) -> None:
        items = subscription["items"]["data"]
        item = next((i for i in items if i["id"] == raw.get("id")), None)
        if item is None:
            raise StripeAPIError(404, f"No such subscription item: '{raw.get('id')}'", param=f"{prefix}[id]")
        if raw.get("price"):
            price = self.store.get("price", raw["price"], call.account, f"{prefix}[price]")
            previous.setdefault("items", copy.deepcopy(subscription["items"]))
            item.update(price=copy.deepcopy(price), plan=billing_objects.plan_of(price))

    def subscription_cancel(self, call: Call, subscription: dict[str, Any], account: str | None) -> None:
        now = self.store.now()
        previous = {"status": subscription["status"]}
        subscription.update(status="canceled", canceled_at=now, ended_at=now, cancel_at_period_end=False)
        subscription["cancellation_details"] = {
            "comment": None,
            "feedback": None,
            "reason": "cancellation_requested",
        }
        self.store.emit(call, "customer.subscription.deleted", subscription, account, previous)

    def subscription_cancel_api(self, call: Call, subscription_id: str) -> dict[str, Any]:
        subscription = self.store.get("subscription", subscription_id, call.account)
        if subscription["status"] == "canceled":
            raise StripeAPIError(
                400,
                f"A canceled subscription can only update its cancellation_details and metadata. "
                f"({subscription_id})",
            )
        self.subscription_cancel(call, subscription, call.account)
        return self.store.render(subscription, call)

    # --- customer portal -----------------------------------------------------------------------

    def portal_session_create(self, call: Call) -> dict[str, Any]:
        params = call.params
        check_known(params, PORTAL_PARAMS)
        if not params.get("customer"):
            raise missing("customer")
        customer = self.store.get("customer", params["customer"], call.account, "customer")
        session = objects.sample("billing_portal.session")
        token = new_id("", 32)
        session.update(
            id=new_id("bps_"),
            configuration="bpc_standin",
            created=self.store.now(),
            customer=customer["id"],
            flow=None,
            livemode=False,
            locale=params.get("locale"),
            return_url=params.get("return_url"),
            url=f"{self.base_url()}/p/session/{token}",
        )
        self.store.add(session, call.account)
        self.portal_tokens[token] = session["id"]
        return self.store.render(session, call)

    # --- billing meter events ------------------------------------------------------------------

    def meter_event_create(self, call: Call) -> dict[str, Any]:
        params, now = call.params, self.store.now()
        check_known(params, METER_EVENT_PARAMS)
        if not params.get("event_name"):
            raise missing("event_name")
        payload = params.get("payload")
        if not isinstance(payload, dict):
            raise missing("payload")
        for key in ("stripe_customer_id", "value"):
            if key not in payload:
                raise missing(f"payload[{key}]")
        if not re.fullmatch(r"-?\d+(\.\d+)?", str(payload["value"])):
            raise invalid("payload[value]", "The value must be a number.")
        self.store.get("customer", payload["stripe_customer_id"], call.account, "payload[stripe_customer_id]")
        timestamp = to_int(params, "timestamp") or now
        if not now - 35 * 86400 <= timestamp <= now + 300:
            raise invalid(
                "timestamp",
                "Timestamp must be within the past 35 calendar days or up to 5 minutes in the future.",
            )
        identifier = params.get("identifier") or new_id("", 24)
        event = objects.sample("billing.meter_event")
        event.update(
            created=now,
            event_name=params["event_name"],
            identifier=identifier,
            livemode=False,
            payload={k: str(v) for k, v in payload.items()},
            timestamp=timestamp,
        )
        if identifier not in self.meter_identifiers:
            self.meter_identifiers[identifier] = event
            self.meter_events.append(event)
        return copy.deepcopy(event)
