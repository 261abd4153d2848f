"""The /v1 endpoints the project uses, with Stripe's validation and state changes.

Each operation validates everything before it changes anything, so a refused request leaves
no trace (and is not recorded for idempotent replay).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from billing.tests.stripe_standin import objects
from billing.tests.stripe_standin.store import Call, Store
from billing.tests.stripe_standin.subscriptions import Billing
from billing.tests.stripe_standin.wire import (
    StripeAPIError,
    check_known,
    invalid,
    metadata,
    missing,
    new_id,
    to_int,
)


def _names(text: str) -> set[str]:
    return set(text.split())


CHECKOUT_PARAMS = _names(
    "mode line_items success_url cancel_url customer customer_email client_reference_id metadata "
    "payment_intent_data payment_method_types expires_at locale submit_type expand customer_creation "
    "invoice_creation ui_mode allow_promotion_codes billing_address_collection automatic_tax "
    "after_expiration consent_collection custom_text phone_number_collection tax_id_collection "
    "payment_method_configuration saved_payment_method_options discounts currency"
)
PAYMENT_INTENT_DATA_PARAMS = _names(
    "metadata description receipt_email statement_descriptor statement_descriptor_suffix "
    "application_fee_amount transfer_data on_behalf_of setup_future_usage capture_method "
    "transfer_group shipping"
)
REFUND_PARAMS = _names(
    "charge payment_intent amount reason metadata expand refund_application_fee reverse_transfer "
    "instructions_email"
)
REFUND_REASONS = {"duplicate", "fraudulent", "requested_by_customer"}
ACCOUNT_PARAMS = _names(
    "type controller email country business_type business_profile metadata capabilities "
    "default_currency expand settings tos_acceptance"
)
ACCOUNT_UPDATE_PARAMS = {"email", "business_profile", "metadata", "expand", "settings"}


def _url(params: dict[str, Any], name: str, required: bool) -> str | None:
    value = params.get(name)
    if value is None:
        if required:
            raise missing(name)
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise invalid(name, "Not a valid URL")
    return value


class API:
    def __init__(self, store: Store, base_url: Callable[[], str]) -> None:
        self.store = store
        self.base_url = base_url
        s = r"([A-Za-z0-9_]+)"
        self.routes: list[tuple[str, re.Pattern[str], Callable[..., dict[str, Any]]]] = [
            (m, re.compile(f"^{p}$"), f)
            for m, p, f in [
                ("POST", "/v1/checkout/sessions", self.checkout_create),
                ("GET", "/v1/checkout/sessions", self.checkout_list),
                ("GET", f"/v1/checkout/sessions/{s}", self.checkout_retrieve),
                ("GET", f"/v1/checkout/sessions/{s}/line_items", self.checkout_line_items),
                ("POST", f"/v1/checkout/sessions/{s}/expire", self.checkout_expire),
                ("GET", "/v1/payment_intents", self.listing("payment_intent", ["customer"])),
                ("GET", f"/v1/payment_intents/{s}", self.retrieve("payment_intent")),
                ("GET", "/v1/charges", self.listing("charge", ["payment_intent", "customer"])),
                ("GET", f"/v1/charges/{s}", self.retrieve("charge")),
                ("GET", f"/v1/balance_transactions/{s}", self.retrieve("balance_transaction")),
                ("POST", "/v1/refunds", self.refund_create),
                ("GET", "/v1/refunds", self.listing("refund", ["charge", "payment_intent"])),
                ("GET", f"/v1/refunds/{s}", self.retrieve("refund")),
                ("GET", "/v1/disputes", self.listing("dispute", ["charge", "payment_intent"])),
                ("GET", f"/v1/disputes/{s}", self.retrieve("dispute")),
                ("POST", f"/v1/disputes/{s}/close", self.dispute_accept),
                ("GET", "/v1/events", self.listing("event", ["type"])),
                ("GET", f"/v1/events/{s}", self.retrieve("event")),
                ("POST", "/v1/accounts", self.account_create),
                ("GET", "/v1/accounts", self.platform_only(self.listing("account", []))),
                ("GET", f"/v1/accounts/{s}", self.platform_only(self.retrieve("account"))),
                ("POST", f"/v1/accounts/{s}", self.platform_only(self.account_update)),
                ("DELETE", f"/v1/accounts/{s}", self.platform_only(self.account_delete)),
                ("POST", "/v1/account_links", self.platform_only(self.account_link_create)),
            ]
        ]
        # Billing: customers, prices, subscriptions, the portal, meter events (subscriptions.py).
        self.billing = Billing(store, base_url)
        self.routes += [(m, re.compile(f"^{p}$"), f) for m, p, f in self.billing.routes()]

    def dispatch(self, call: Call) -> dict[str, Any]:
        path_known = False
        for method, pattern, operation in self.routes:
            match = pattern.match(call.path)
            if match:
                path_known = True
                if method == call.method:
                    return operation(call, *match.groups())
        if path_known:
            raise StripeAPIError(405, f"Unsupported method {call.method} for {call.path}")
        raise StripeAPIError(404, f"Unrecognized request URL ({call.method}: {call.path}).")

    # --- generic -------------------------------------------------------------------------------

    def retrieve(self, kind: str) -> Callable[..., dict[str, Any]]:
        def operation(call: Call, object_id: str) -> dict[str, Any]:
            return self.store.render(self.store.get(kind, object_id, call.account), call)

        return operation

    def listing(self, kind: str, filters: list[str]) -> Callable[..., dict[str, Any]]:
        def operation(call: Call) -> dict[str, Any]:
            wanted = {name: call.params.get(name) for name in filters}
            return self.store.listing(kind, call, call.path, wanted)

        return operation

    def platform_only(self, operation: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        """Connect management calls are the platform's: with a Stripe-Account header they fail."""

        def wrapped(call: Call, *args: str) -> dict[str, Any]:
            if call.account:
                raise StripeAPIError(400, "This call cannot be made on behalf of a connected account.")
            return operation(call, *args)

        return wrapped

    # --- Checkout ------------------------------------------------------------------------------

    def checkout_create(self, call: Call) -> dict[str, Any]:
        if call.params.get("mode") == "subscription":
            return self.billing.checkout_create(call)
        params, now = call.params, self.store.now()
        check_known(params, CHECKOUT_PARAMS)
        mode = params.get("mode") or ""
        if not mode:
            raise missing("mode")
        if mode != "payment":
            raise invalid("mode", f"The Stripe stand-in implements payment and subscription, not {mode!r}.")
        raw_items = params.get("line_items")
        if not raw_items:
            raise missing("line_items")
        if not isinstance(raw_items, list):
            raise invalid("line_items", "Invalid array")
        items, currencies = [], set()
        for index, raw in enumerate(raw_items):
            prefix = f"line_items[{index}]"
            if "price" in raw:
                raise StripeAPIError(
                    404, f"No such price: '{raw['price']}'", code="resource_missing", param=f"{prefix}[price]"
                )
            price_data = raw.get("price_data")
            if not isinstance(price_data, dict):
                raise missing(f"{prefix}[price_data]")
            for name in ("currency", "unit_amount"):
                if name not in price_data:
                    raise missing(f"{prefix}[price_data][{name}]")
            if not price_data.get("product") and not (price_data.get("product_data") or {}).get("name"):
                raise missing(f"{prefix}[price_data][product_data][name]")
            to_int(price_data, "unit_amount", minimum=0)
            if "quantity" not in raw:
                raise missing(f"{prefix}[quantity]")
            quantity = to_int(raw, "quantity", minimum=1) or 1
            currency = price_data["currency"].lower()
            currencies.add(currency)
            items.append(
                objects.line_item(price_data={**price_data, "currency": currency}, quantity=quantity, now=now)
            )
        if len(currencies) > 1:
            raise invalid("line_items", "All line items must use the same currency.")
        currency = currencies.pop()
        amount = sum(item["amount_total"] for item in items)
        minimum = objects.MINIMUM_CHARGE.get(currency, 50)
        if amount < minimum:
            raise invalid(
                "line_items",
                f"The Checkout Session's total amount due must add up to at least "
                f"{minimum} {currency} in minor units.",
            )
        expires_at = to_int(params, "expires_at") or now + 86400
        if not now + 1800 <= expires_at <= now + 86400:
            raise invalid(
                "expires_at",
                "The `expires_at` timestamp must be between 30 minutes and "
                "24 hours from Checkout Session creation.",
            )
        check_known(
            params.get("payment_intent_data") or {}, PAYMENT_INTENT_DATA_PARAMS, "payment_intent_data"
        )
        _url(params, "success_url", required=False)
        _url(params, "cancel_url", required=False)
        session = objects.checkout_session(
            params=params,
            amount=amount,
            currency=currency,
            now=now,
            expires_at=expires_at,
            base_url=self.base_url(),
        )
        session["metadata"] = metadata(params)
        self.store.add(session, call.account)
        self.store.line_items[session["id"]] = items
        return self.store.render(session, call)

    def checkout_list(self, call: Call) -> dict[str, Any]:
        wanted = {
            n: call.params.get(n) for n in ("payment_intent", "status", "customer", "client_reference_id")
        }
        return self.store.listing("checkout.session", call, call.path, wanted)

    def checkout_retrieve(self, call: Call, session_id: str) -> dict[str, Any]:
        return self.store.render(self.store.get("checkout.session", session_id, call.account), call)

    def checkout_line_items(self, call: Call, session_id: str) -> dict[str, Any]:
        self.store.get("checkout.session", session_id, call.account)
        items = self.store.line_items[session_id]
        return {**objects.empty_list(call.path), "data": [dict(item) for item in items]}

    def checkout_expire(self, call: Call, session_id: str) -> dict[str, Any]:
        session = self.store.get("checkout.session", session_id, call.account)
        if session["status"] != "open":
            raise StripeAPIError(400, 'Only Checkout Sessions with a status in ["open"] can be expired.')
        self.expire_session(call, session, call.account)
        return self.store.render(session, call)

    def expire_session(self, call: Call, session: dict[str, Any], account: str | None) -> None:
        session.update(status="expired", url=None)
        intent_id = session.get("payment_intent")
        if intent_id:
            intent = self.store.objects[intent_id]
            if intent["status"] != "succeeded":
                intent.update(
                    status="canceled", canceled_at=self.store.now(), cancellation_reason="abandoned"
                )
                self.store.emit(call, "payment_intent.canceled", intent, account)
        self.store.emit(call, "checkout.session.expired", session, account)

    def sweep_expired(self, call: Call) -> None:
        now = self.store.now()
        for obj_id, obj in list(self.store.objects.items()):
            if obj["object"] == "checkout.session" and obj["status"] == "open" and obj["expires_at"] <= now:
                self.expire_session(call, obj, self.store.owner[obj_id])

    def checkout_pay(self, call: Call, session: dict[str, Any], *, card: str, email: str) -> str:
        """The customer presses Pay on the hosted page. Returns an error message, or ''."""
        if session["mode"] == "subscription":
            return self.billing.checkout_pay(call, session, card=card, email=email)
        store, now = self.store, self.store.now()
        account = store.owner[session["id"]]
        digits = re.sub(r"\D", "", card)
        if len(digits) != 16:
            return "Your card number is incomplete."
        decline = objects.DECLINED_CARDS.get(digits)
        method = store.add(objects.payment_method(card_number=digits, email=email, now=now), account)
        if session["payment_intent"]:
            intent = store.objects[session["payment_intent"]]
        else:
            intent = objects.payment_intent(
                amount=session["amount_total"],
                currency=session["currency"],
                now=now,
                data=session["_payment_intent_data"],
            )
            store.add(intent, account)
            session["payment_intent"] = intent["id"]
            store.emit(call, "payment_intent.created", intent, account)
        charge = store.add(objects.charge(intent=intent, method=method, now=now, decline=decline), account)
        intent.update(latest_charge=charge["id"], payment_method=method["id"])
        if decline:
            intent.update(
                status="requires_payment_method",
                last_payment_error={
                    "charge": charge["id"],
                    "code": decline[0],
                    "decline_code": decline[1],
                    "doc_url": "https://stripe.com/docs/error-codes/card-declined",
                    "message": decline[2],
                    "payment_method": store.public(method),
                    "type": "card_error",
                },
            )
            store.emit(call, "charge.failed", charge, account)
            store.emit(call, "payment_intent.payment_failed", intent, account)
            return decline[2]
        txn = objects.balance_transaction(
            source=charge["id"], amount=charge["amount"], currency=charge["currency"], now=now, kind="charge"
        )
        store.add(txn, account)
        charge["balance_transaction"] = txn["id"]
        intent.update(status="succeeded", amount_received=intent["amount"], last_payment_error=None)
        customer_details = objects.sample("checkout.session")["customer_details"]
        customer_details.update(email=email, name=None, address=dict.fromkeys(customer_details["address"]))
        session.update(status="complete", payment_status="paid", customer_details=customer_details, url=None)
        store.emit(call, "charge.succeeded", charge, account)
        store.emit(call, "payment_intent.succeeded", intent, account)
        store.emit(call, "checkout.session.completed", session, account)
        return ""

    # --- refunds and disputes ------------------------------------------------------------------

    def refund_create(self, call: Call) -> dict[str, Any]:
        store, params = self.store, call.params
        check_known(params, REFUND_PARAMS)
        if params.get("charge"):
            charge = store.get("charge", params["charge"], call.account, "charge")
        elif params.get("payment_intent"):
            intent = store.get("payment_intent", params["payment_intent"], call.account, "payment_intent")
            if intent["status"] != "succeeded" or not intent["latest_charge"]:
                raise StripeAPIError(
                    400,
                    f"This PaymentIntent ({intent['id']}) does not have a successful charge to refund.",
                    param="payment_intent",
                )
            charge = store.objects[intent["latest_charge"]]
        else:
            raise StripeAPIError(
                400,
                "One of the following params should be provided for this request: payment_intent or charge.",
                code="parameter_missing",
            )
        if not charge["paid"]:
            raise StripeAPIError(400, f"Charge {charge['id']} has not been paid.", param="charge")
        if charge["refunded"]:
            raise StripeAPIError(
                400, f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded"
            )
        open_disputes = [
            d
            for d in store.objects.values()
            if d["object"] == "dispute" and d["charge"] == charge["id"] and d["status"] not in ("won", "lost")
        ]
        if open_disputes:
            raise StripeAPIError(
                400,
                f"Charge {charge['id']} has been charged back; cannot issue a refund.",
                code="charge_disputed",
            )
        remaining = charge["amount"] - charge["amount_refunded"]
        amount = to_int(params, "amount", minimum=1)
        amount = remaining if amount is None else amount
        if amount > remaining:
            raise StripeAPIError(
                400,
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})",
                code="amount_too_large",
                param="amount",
            )
        reason = params.get("reason")
        if reason is not None and reason not in REFUND_REASONS:
            raise invalid("reason", f"Invalid reason: must be one of {', '.join(sorted(REFUND_REASONS))}")
        now = store.now()
        refund = objects.refund(
            source_charge=charge, amount=amount, reason=reason, meta=metadata(params), now=now
        )
        txn = objects.balance_transaction(
            source=refund["id"], amount=-amount, currency=refund["currency"], now=now, kind="refund"
        )
        store.add(txn, call.account)
        refund["balance_transaction"] = txn["id"]
        store.add(refund, call.account)
        previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        store.emit(call, "refund.created", refund, call.account)
        store.emit(call, "charge.refunded", charge, call.account, previous)
        return store.render(refund, call)

    def dispute_create(
        self, call: Call, charge_id: str, *, amount: int | None, reason: str
    ) -> dict[str, Any]:
        """A customer's bank disputes a charge (a test helper: no API call does this)."""
        store = self.store
        charge, account = store.find(charge_id)
        if charge["object"] != "charge" or not charge["paid"]:
            raise invalid("charge", f"{charge_id} is not a paid charge.")
        dispute = objects.dispute(
            source_charge=charge, amount=amount or charge["amount"], reason=reason, now=store.now()
        )
        txn = objects.balance_transaction(
            source=dispute["id"],
            amount=-dispute["amount"],
            currency=dispute["currency"],
            now=store.now(),
            kind="dispute",
        )
        dispute["balance_transactions"] = [txn]
        store.add(txn, account)
        store.add(dispute, account)
        charge["disputed"] = True
        store.emit(call, "charge.dispute.created", dispute, account)
        store.emit(call, "charge.dispute.funds_withdrawn", dispute, account)
        return store.public(dispute)

    def dispute_close(self, call: Call, dispute: dict[str, Any], account: str | None, status: str) -> None:
        if status not in ("won", "lost"):
            raise invalid("status", "A dispute closes as won or lost.")
        if dispute["status"] in ("won", "lost"):
            raise StripeAPIError(400, f"This dispute is already closed ({dispute['status']}).")
        previous = {"status": dispute["status"]}
        dispute["status"] = status
        if status == "won":
            txn = objects.balance_transaction(
                source=dispute["id"],
                amount=dispute["amount"],
                currency=dispute["currency"],
                now=self.store.now(),
                kind="dispute",
            )
            self.store.add(txn, account)
            dispute["balance_transactions"].append(txn)
        self.store.emit(call, "charge.dispute.closed", dispute, account, previous)
        if status == "won":
            self.store.emit(call, "charge.dispute.funds_reinstated", dispute, account)

    def dispute_accept(self, call: Call, dispute_id: str) -> dict[str, Any]:
        """POST /v1/disputes/:id/close: the merchant accepts the dispute, which is then lost."""
        dispute = self.store.get("dispute", dispute_id, call.account)
        self.dispute_close(call, dispute, call.account, "lost")
        return self.store.render(dispute, call)

    # --- Connect -------------------------------------------------------------------------------

    def account_create(self, call: Call) -> dict[str, Any]:
        params = call.params
        check_known(params, ACCOUNT_PARAMS)
        if call.account:
            raise StripeAPIError(400, "Connected accounts cannot create other accounts.")
        if params.get("type") not in (None, "standard", "express", "custom"):
            raise invalid("type", "Invalid type: must be one of custom, express, or standard")
        account = objects.account(params=params, now=self.store.now())
        account["metadata"] = metadata(params)
        self.store.add(account, None)
        return self.store.render(account, call)

    def account_update(self, call: Call, account_id: str) -> dict[str, Any]:
        check_known(call.params, ACCOUNT_UPDATE_PARAMS)
        account = self.store.get("account", account_id, None)
        previous: dict[str, Any] = {}
        if "email" in call.params:
            previous["email"] = account["email"]
            account["email"] = call.params["email"] or None
        if "metadata" in call.params:
            previous["metadata"] = account["metadata"]
            account["metadata"] = metadata(call.params, account["metadata"])
        if previous:
            self.store.emit(call, "account.updated", account, account_id, previous)
        return self.store.render(account, call)

    def account_delete(self, call: Call, account_id: str) -> dict[str, Any]:
        self.store.get("account", account_id, None)
        del self.store.objects[account_id]
        return {"id": account_id, "object": "account", "deleted": True}

    def account_link_create(self, call: Call) -> dict[str, Any]:
        params = call.params
        check_known(
            params,
            {"account", "refresh_url", "return_url", "type", "collect", "collection_options", "expand"},
        )
        if not params.get("account"):
            raise missing("account")
        account = self.store.get("account", params["account"], None, "account")
        if not params.get("type"):
            raise missing("type")
        if params["type"] not in ("account_onboarding", "account_update"):
            raise invalid("type", "Invalid type: must be one of account_onboarding or account_update")
        refresh_url = _url(params, "refresh_url", required=True)
        return_url = _url(params, "return_url", required=True)
        token = new_id("", 12)
        now = self.store.now()
        self.store.links[token] = {
            "account": account["id"],
            "refresh_url": refresh_url,
            "return_url": return_url,
            "expires_at": now + 300,
            "used": False,
        }
        return objects.account_link(url=f"{self.base_url()}/setup/s/{account['id']}/{token}", now=now)

    def account_set_enabled(self, call: Call, account_id: str, *, enabled: bool) -> dict[str, Any]:
        """Onboarding finished (enabled) or Stripe restricting the account (not enabled)."""
        account = self.store.get("account", account_id, None)
        keys = ("charges_enabled", "payouts_enabled", "details_submitted", "capabilities", "requirements")
        previous = {key: account[key] for key in keys}
        requirements = objects.sample("account")["requirements"]
        if enabled:
            requirements.update(currently_due=[], eventually_due=[], past_due=[], disabled_reason=None)
        else:
            requirements.update(currently_due=["external_account"], past_due=["external_account"])
        state = "active" if enabled else "inactive"
        account.update(
            charges_enabled=enabled,
            payouts_enabled=enabled,
            details_submitted=account["details_submitted"] or enabled,
            capabilities={"card_payments": state, "transfers": state},
            requirements=requirements,
        )
        changed = {key: value for key, value in previous.items() if account[key] != value}
        if changed:
            self.store.emit(call, "account.updated", account, account_id, changed)
        return self.store.public(account)
