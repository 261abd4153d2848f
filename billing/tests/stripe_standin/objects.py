"""Stripe objects, built from Stripe's official sample of each type.

`fixtures/openapi-fixtures3.json` (Stripe's `openapi/fixtures3.json`, vendored with its MIT
licence; see `fixtures/README.md`) holds one sample of every object. Each builder starts from that
sample, so every field Stripe sends is present with the right shape, then sets the fields a fresh
object really has
(the samples carry placeholder values such as a canceled_at on a live payment intent).
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

from billing.tests.stripe_standin.wire import new_id

# Vendored in the repository: a clone must run its own tests with nothing beside it.
FIXTURES_PATH = Path(__file__).resolve().parent / "fixtures" / "openapi-fixtures3.json"

# Amounts below these are refused by Stripe (its minimum charge amounts, in minor units).
MINIMUM_CHARGE = {"usd": 50, "eur": 50, "gbp": 30, "chf": 50, "cad": 50, "aud": 50, "jpy": 50, "sek": 300}
DEFAULT_CURRENCY = {"US": "usd", "GB": "gbp", "CH": "chf", "CA": "cad", "AU": "aud", "JP": "jpy", "SE": "sek"}
DECLINED_CARDS = {"4000000000000002": ("card_declined", "generic_decline", "Your card was declined.")}
DECLINED_CARDS["4000000000009995"] = (
    "card_declined",
    "insufficient_funds",
    "Your card has insufficient funds.",
)


@functools.cache
def _samples() -> dict[str, Any]:
    return json.loads(FIXTURES_PATH.read_text())["resources"]


def sample(kind: str) -> dict[str, Any]:
    return copy.deepcopy(_samples()[kind])


def empty_list(url: str) -> dict[str, Any]:
    return {"object": "list", "data": [], "has_more": False, "url": url}


def checkout_session(
    *, params: dict[str, Any], amount: int, currency: str, now: int, expires_at: int, base_url: str
) -> dict[str, Any]:
    session = sample("checkout.session")
    session_id = new_id("cs_test_", 58)
    pi_data = params.get("payment_intent_data") or {}
    session.update(
        id=session_id,
        after_expiration=None,
        allow_promotion_codes=None,
        amount_subtotal=amount,
        amount_total=amount,
        automatic_tax={"enabled": False, "liability": None, "provider": None, "status": None},
        cancel_url=params.get("cancel_url"),
        success_url=params.get("success_url"),
        client_reference_id=params.get("client_reference_id"),
        consent=None,
        consent_collection=None,
        created=now,
        currency=currency,
        custom_text=dict.fromkeys(session["custom_text"]),
        customer=params.get("customer"),
        customer_creation="if_required",
        customer_details=None,
        customer_email=params.get("customer_email"),
        expires_at=expires_at,
        invoice_creation={"enabled": False, "invoice_data": {**session["invoice_creation"]["invoice_data"]}},
        locale=params.get("locale"),
        metadata={},
        mode=params["mode"],
        payment_intent=None,
        payment_method_configuration_details=None,
        payment_method_types=params.get("payment_method_types") or ["card"],
        payment_status="unpaid",
        shipping_address_collection=None,
        shipping_cost=None,
        shipping_options=[],
        status="open",
        submit_type=params.get("submit_type"),
        total_details={"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        ui_mode="hosted",
        url=f"{base_url}/c/pay/{session_id}",
        adaptive_pricing={"enabled": False},
        discounts=[],
        collected_information=None,
        currency_conversion=None,
        managed_payments={"enabled": False},
    )
    session["invoice_creation"]["invoice_data"].update(
        issuer=None, rendering_options=None, account_tax_ids=None, custom_fields=None, metadata={}
    )
    # Not part of Stripe's object: what the payment intent will be created with.
    session["_payment_intent_data"] = pi_data
    return session


def line_item(*, price_data: dict[str, Any], quantity: int, now: int) -> dict[str, Any]:
    item = sample("item")
    unit_amount = int(price_data["unit_amount"])
    product = price_data.get("product") or new_id("prod_", 14)
    description = (price_data.get("product_data") or {}).get("name") or ""
    item.update(
        id=new_id("li_"),
        amount_subtotal=unit_amount * quantity,
        amount_total=unit_amount * quantity,
        currency=price_data["currency"],
        description=description,
        quantity=quantity,
        adjustable_quantity=None,
    )
    item["price"].update(
        id=new_id("price_"),
        created=now,
        currency=price_data["currency"],
        product=product,
        recurring=None,
        transform_quantity=None,
        type="one_time",
        unit_amount=unit_amount,
        unit_amount_decimal=str(unit_amount),
        custom_unit_amount=None,
    )
    return item


def payment_intent(*, amount: int, currency: str, now: int, data: dict[str, Any]) -> dict[str, Any]:
    intent = sample("payment_intent")
    intent_id = new_id("pi_")
    intent.update(
        id=intent_id,
        amount=amount,
        amount_capturable=0,
        amount_details={"tip": {}},
        amount_received=0,
        automatic_payment_methods=None,
        canceled_at=None,
        cancellation_reason=None,
        client_secret=f"{intent_id}_secret_{new_id('', 25)}",
        created=now,
        currency=currency,
        description=data.get("description"),
        last_payment_error=None,
        latest_charge=None,
        metadata=dict(data.get("metadata") or {}),
        next_action=None,
        payment_method_configuration_details=None,
        processing=None,
        receipt_email=data.get("receipt_email"),
        shipping=None,
        status="requires_payment_method",
        transfer_data=None,
        managed_payments={"enabled": False},
    )
    return intent


def payment_method(*, card_number: str, email: str, now: int) -> dict[str, Any]:
    method = sample("payment_method")
    method.update(id=new_id("pm_"), created=now, metadata={})
    method["billing_details"].update(email=email or None, phone=None)
    method["billing_details"]["address"] = dict.fromkeys(method["billing_details"]["address"])
    method["card"].update(last4=card_number[-4:], fingerprint=new_id("", 16), wallet=None)
    return method


def charge(
    *, intent: dict[str, Any], method: dict[str, Any], now: int, decline: tuple | None
) -> dict[str, Any]:
    result = sample("charge")
    charge_id = new_id("ch_")
    paid = decline is None
    result.update(
        id=charge_id,
        amount=intent["amount"],
        amount_captured=intent["amount"] if paid else 0,
        amount_refunded=0,
        balance_transaction=new_id("txn_") if paid else None,
        captured=paid,
        created=now,
        currency=intent["currency"],
        description=intent["description"],
        disputed=False,
        failure_code=decline[0] if decline else None,
        failure_message=decline[2] if decline else None,
        metadata=dict(intent["metadata"]),
        outcome={
            "advice_code": None,
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "approved_by_network" if paid else "declined_by_network",
            "reason": None if paid else decline[1],
            "risk_level": "normal",
            "risk_score": 20,
            "seller_message": "Payment complete."
            if paid
            else "The bank did not return any further details with this decline.",
            "type": "authorized" if paid else "issuer_declined",
        },
        paid=paid,
        payment_intent=intent["id"],
        payment_method=method["id"],
        receipt_email=intent.get("receipt_email"),
        receipt_url=None,
        refunded=False,
        refunds=None,
        shipping=None,
        source=None,
        status="succeeded" if paid else "failed",
        transfer_data=None,
    )
    result["billing_details"] = copy.deepcopy(method["billing_details"])
    result["payment_method_details"]["card"].update(last4=method["card"]["last4"], wallet=None)
    return result


def balance_transaction(*, source: str, amount: int, currency: str, now: int, kind: str) -> dict[str, Any]:
    txn = sample("balance_transaction")
    # Stripe's standard card pricing (2.9 % + 30) on charges; refunds carry no new fee.
    fee = (amount * 29 + 500) // 1000 + 30 if kind == "charge" else 0
    txn.update(
        id=new_id("txn_"),
        amount=amount,
        available_on=now + 2 * 86400,
        created=now,
        currency=currency,
        description=None,
        fee=fee,
        fee_details=[
            {
                "amount": fee,
                "application": None,
                "currency": currency,
                "description": "Stripe processing fees",
                "type": "stripe_fee",
            }
        ]
        if fee
        else [],
        net=amount - fee,
        reporting_category=kind,
        source=source,
        status="pending",
        type=kind,
    )
    return txn


def refund(*, source_charge: dict[str, Any], amount: int, reason: str | None, meta: dict, now: int) -> dict:
    result = sample("refund")
    result.update(
        id=new_id("re_"),
        amount=amount,
        charge=source_charge["id"],
        created=now,
        currency=source_charge["currency"],
        metadata=meta,
        payment_intent=source_charge["payment_intent"],
        reason=reason,
        status="succeeded",
        payment_method=source_charge["payment_method"],
    )
    return result


def dispute(*, source_charge: dict[str, Any], amount: int, reason: str, now: int) -> dict[str, Any]:
    result = sample("dispute")
    result.update(
        id=new_id("dp_"),
        amount=amount,
        charge=source_charge["id"],
        created=now,
        currency=source_charge["currency"],
        is_charge_refundable=False,
        metadata={},
        payment_intent=source_charge["payment_intent"],
        reason=reason,
        status="needs_response",
    )
    result["evidence_details"].update(due_by=now + 7 * 86400)
    result["payment_method_details"]["card"].update(case_type="chargeback")
    return result


def account(*, params: dict[str, Any], now: int) -> dict[str, Any]:
    result = sample("account")
    account_id = new_id("acct_", 16)
    country = (params.get("country") or "US").upper()
    result.update(
        id=account_id,
        business_type=params.get("business_type"),
        capabilities={"card_payments": "inactive", "transfers": "inactive"},
        charges_enabled=False,
        country=country,
        created=now,
        default_currency=params.get("default_currency") or DEFAULT_CURRENCY.get(country, "eur"),
        details_submitted=False,
        email=params.get("email"),
        metadata={},
        payouts_enabled=False,
        type=params.get("type") or "standard",
    )
    result["external_accounts"]["url"] = f"/v1/accounts/{account_id}/external_accounts"
    result["settings"]["dashboard"]["display_name"] = (params.get("business_profile") or {}).get("name")
    return result


def account_link(*, url: str, now: int) -> dict[str, Any]:
    result = sample("account_link")
    result.update(created=now, expires_at=now + 300, url=url)
    return result


def event(
    *,
    kind: str,
    obj: dict[str, Any],
    now: int,
    api_version: str,
    account: str | None,
    previous: dict[str, Any] | None,
    request: dict[str, Any],
) -> dict[str, Any]:
    result = sample("event")
    result.update(
        id=new_id("evt_"),
        api_version=api_version,
        created=now,
        data={"object": copy.deepcopy(obj)},
        pending_webhooks=1,
        request=request,
        type=kind,
    )
    if previous:
        result["data"]["previous_attributes"] = previous
    if account:
        result["account"] = account
    return result
