"""The one module that talks to Stripe: nothing else in the project imports `stripe`.

Everything that crosses this boundary is plain data: calls take keyword arguments and return
the Stripe object as a `dict` shaped exactly like Stripe's JSON, so the rest of the code never
depends on the library's classes. Amounts are integer minor units here and nowhere else
(`invoices.money.to_minor_units` / `from_minor_units` convert).

Settings (read in invoiceflow/settings/payments.py, documented there and in .env.example):
    STRIPE_SECRET_KEY        no key → online payments and plans are off (`payments_enabled()`)
    STRIPE_WEBHOOK_SECRET    signing secret of the platform's webhook endpoint (whsec_...)
    STRIPE_CONNECT_WEBHOOK_SECRET  signing secret of the Connect endpoint, when it is a separate one
    STRIPE_API_BASE          https://api.stripe.com; tests point it at the local stand-in
    STRIPE_MAX_NETWORK_RETRIES  retries of idempotent calls on network errors (default 2)

Connect: a tenant's own Stripe account is passed as `account="acct_..."` (the Stripe-Account
header), so its objects live on that account (direct charges).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

import stripe
from django.conf import settings
from django.utils import timezone

from billing.webhook_envelope import InvalidStripeEventError, json_loads_strict
from core.errors import ApplicationError

if TYPE_CHECKING:
    from stripe.params import (
        AccountCreateParams,
        CustomerCreateParams,
        PaymentIntentRetrieveParams,
        RefundCreateParams,
    )
    from stripe.params.billing import MeterEventCreateParams
    from stripe.params.checkout import SessionCreateParams, SessionListParams, SessionRetrieveParams

# The API version every request is made with and every webhook endpoint must be set to. One
# place: upgrading is a deliberate change here, with the handlers checked against the changelog.
STRIPE_API_VERSION = "2026-10-28.endive"

# Stripe's own verification window for a webhook's signed timestamp (seconds): older deliveries
# are refused as replays, and (our check, not the library's) so are those further ahead of our
# clock than this, which is also the clock skew we allow.
WEBHOOK_TOLERANCE_SECONDS = 300

# Re-exported so callers can catch Stripe's errors without importing `stripe`.
StripeError = stripe.StripeError
InvalidRequestError = stripe.InvalidRequestError
IdempotencyError = stripe.IdempotencyError
CardError = stripe.CardError
AuthenticationError = stripe.AuthenticationError
APIConnectionError = stripe.APIConnectionError
SignatureVerificationError = stripe.SignatureVerificationError

StripeData = dict[str, Any]


class PaymentsDisabledError(ApplicationError):
    def __init__(self) -> None:
        super().__init__(
            "Online payments are switched off on this installation (no Stripe key is configured).",
            code="payments_disabled",
        )


def payments_enabled() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


@functools.lru_cache(maxsize=4)
def _client(api_key: str, api_base: str, max_network_retries: int) -> stripe.StripeClient:
    return stripe.StripeClient(
        api_key,
        stripe_version=STRIPE_API_VERSION,
        base_addresses={"api": api_base},
        max_network_retries=max_network_retries,
    )


def get_client() -> stripe.StripeClient:
    """A client configured from settings (cached per configuration; tests change settings)."""
    if not payments_enabled():
        raise PaymentsDisabledError()
    return _client(
        settings.STRIPE_SECRET_KEY,
        settings.STRIPE_API_BASE,
        settings.STRIPE_MAX_NETWORK_RETRIES,
    )


def _options(*, account: str | None, idempotency_key: str | None = None) -> stripe.RequestOptions:
    options: stripe.RequestOptions = {}
    if account:
        options["stripe_account"] = account
    if idempotency_key:
        options["idempotency_key"] = idempotency_key
    return options


def _data(obj: stripe.StripeObject) -> StripeData:
    return obj.to_dict()


STRIPE_API_ORIGIN = "https://api.stripe.com"
# Where Stripe's hosted pages live: Checkout (Pay now) and Connect onboarding.
STRIPE_HOSTED_ORIGINS = ("https://checkout.stripe.com", "https://connect.stripe.com")


def hosted_page_origins() -> list[str]:
    """Origins our forms may be redirected to (CSP form-action on the pages that post to them).

    Chromium applies form-action to the redirect that follows a POST, so a page whose form leads
    to a Stripe-hosted page must list Stripe's origin. A stand-in (STRIPE_API_BASE elsewhere)
    serves its hosted pages from its own origin.
    """
    base = settings.STRIPE_API_BASE.rstrip("/")
    if base == STRIPE_API_ORIGIN:
        return list(STRIPE_HOSTED_ORIGINS)
    parts = urlsplit(base)
    return [f"{parts.scheme}://{parts.netloc}"]


# --- webhooks ------------------------------------------------------------------------------------


def webhook_secrets() -> list[str]:
    return [s for s in (settings.STRIPE_WEBHOOK_SECRET, settings.STRIPE_CONNECT_WEBHOOK_SECRET) if s]


def webhook_event_construct(*, payload: bytes, signature_header: str | None) -> StripeData:
    """Verify a delivery with Stripe's own check, then parse it strictly.

    The platform endpoint and the Connect endpoint sign with different secrets but may share
    one URL, so each configured secret is tried. Raises `SignatureVerificationError` for a
    bad signature or a timestamp outside the tolerance (either way), and
    `InvalidStripeEventError` for a body that is not UTF-8 or not strict JSON
    (`billing.webhook_envelope`). The envelope's fields are checked by the service that stores it.
    """
    secrets = webhook_secrets()
    if not secrets:
        raise SignatureVerificationError("No webhook secret is configured.", signature_header)
    try:
        # Stripe signs the text; the library would decode it too, with a UnicodeDecodeError.
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidStripeEventError("The body is not UTF-8.") from None
    error: Exception | None = None
    for secret in secrets:
        try:
            # The check `stripe.Webhook.construct_event` runs before it builds an Event object
            # tree; that tree costs a millisecond per delivery and would be thrown away.
            stripe.WebhookSignature.verify_header(
                text, signature_header, secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
            )
        except stripe.SignatureVerificationError as exc:
            error = exc
            continue
        _refuse_future_timestamp(signature_header or "")
        # The event exactly as Stripe sent it, which is what we store. (The library's objects
        # would also turn *_decimal fields into Decimals, which a JSONField cannot hold.)
        return json_loads_strict(text)
    assert error is not None
    raise error


def _refuse_future_timestamp(signature_header: str) -> None:
    """The library refuses a timestamp older than the tolerance, not one ahead of our clock.

    A future timestamp would let a captured delivery be replayed for as long as it is ahead,
    so the window is the same in both directions. The header is read as the library reads it
    (its parser is private) and has just accepted: the first `t=` item is the time.
    """
    items = [item.split("=", 2) for item in signature_header.split(",")]
    timestamp = int(next(item[1] for item in items if item[0] == "t"))
    if timestamp > timezone.now().timestamp() + WEBHOOK_TOLERANCE_SECONDS:
        raise SignatureVerificationError(
            f"Timestamp ahead of our clock by more than {WEBHOOK_TOLERANCE_SECONDS} s ({timestamp})",
            signature_header,
        )


# --- Checkout ------------------------------------------------------------------------------------


def checkout_session_create(
    *, params: Mapping[str, Any], idempotency_key: str, account: str | None = None
) -> StripeData:
    # The caller builds Stripe's JSON shape without importing stripe's types: it is checked here
    # only as far as Stripe's answer goes (a wrong field is Stripe's InvalidRequestError).
    session = get_client().v1.checkout.sessions.create(
        params=cast("SessionCreateParams", dict(params)),
        options=_options(account=account, idempotency_key=idempotency_key),
    )
    return _data(session)


def checkout_session_retrieve(
    *, session_id: str, account: str | None = None, expand: list[str] | None = None
) -> StripeData:
    params: SessionRetrieveParams | None = {"expand": expand} if expand else None
    return _data(
        get_client().v1.checkout.sessions.retrieve(
            session_id, params=params, options=_options(account=account)
        )
    )


def checkout_session_expire(*, session_id: str, account: str | None = None) -> StripeData:
    return _data(get_client().v1.checkout.sessions.expire(session_id, options=_options(account=account)))


def checkout_session_list(
    *, account: str | None = None, filters: Mapping[str, Any] | None = None
) -> Iterator[StripeData]:
    """Every matching session, newest first, following Stripe's pagination."""
    page = get_client().v1.checkout.sessions.list(
        params=cast("SessionListParams", dict(filters or {})), options=_options(account=account)
    )
    for session in page.auto_paging_iter():
        yield _data(session)


# --- payments ------------------------------------------------------------------------------------


def payment_intent_retrieve(
    *, payment_intent_id: str, account: str | None = None, expand: list[str] | None = None
) -> StripeData:
    params: PaymentIntentRetrieveParams | None = {"expand": expand} if expand else None
    return _data(
        get_client().v1.payment_intents.retrieve(
            payment_intent_id, params=params, options=_options(account=account)
        )
    )


def charge_retrieve(*, charge_id: str, account: str | None = None) -> StripeData:
    return _data(get_client().v1.charges.retrieve(charge_id, options=_options(account=account)))


def refund_create(
    *,
    idempotency_key: str,
    charge: str | None = None,
    payment_intent: str | None = None,
    amount: int | None = None,
    metadata: Mapping[str, str] | None = None,
    account: str | None = None,
) -> StripeData:
    """Refund all of a charge, or `amount` minor units of it (a partial refund)."""
    params: RefundCreateParams
    if charge is not None and payment_intent is None:
        params = {"charge": charge}
    elif payment_intent is not None and charge is None:
        params = {"payment_intent": payment_intent}
    else:
        raise ValueError("Refund either a charge or a payment intent.")
    if amount is not None:
        params["amount"] = amount
    if metadata:
        params["metadata"] = dict(metadata)
    return _data(
        get_client().v1.refunds.create(
            params=params, options=_options(account=account, idempotency_key=idempotency_key)
        )
    )


def refund_list(*, charge: str, account: str | None = None) -> Iterator[StripeData]:
    """Every refund of a charge (charges no longer embed their refunds since 2022-11-15)."""
    page = get_client().v1.refunds.list(
        params={"charge": charge, "limit": 100}, options=_options(account=account)
    )
    for refund in page.auto_paging_iter():
        yield _data(refund)


def dispute_list(*, charge: str, account: str | None = None) -> Iterator[StripeData]:
    page = get_client().v1.disputes.list(
        params={"charge": charge, "limit": 100}, options=_options(account=account)
    )
    for dispute in page.auto_paging_iter():
        yield _data(dispute)


def dispute_retrieve(*, dispute_id: str, account: str | None = None) -> StripeData:
    return _data(get_client().v1.disputes.retrieve(dispute_id, options=_options(account=account)))


def event_retrieve(*, event_id: str, account: str | None = None) -> StripeData:
    return _data(get_client().v1.events.retrieve(event_id, options=_options(account=account)))


# --- Connect -------------------------------------------------------------------------------------


def account_create(
    *,
    idempotency_key: str,
    email: str = "",
    country: str = "",
    metadata: Mapping[str, str] | None = None,
) -> StripeData:
    """A Standard connected account: the tenant owns it and its dashboard; we charge on it."""
    params: AccountCreateParams = {"type": "standard"}
    if email:
        params["email"] = email
    if country:
        params["country"] = country
    if metadata:
        params["metadata"] = dict(metadata)
    return _data(
        get_client().v1.accounts.create(
            params=params, options=_options(account=None, idempotency_key=idempotency_key)
        )
    )


def account_retrieve(*, account_id: str) -> StripeData:
    return _data(get_client().v1.accounts.retrieve(account_id))


def account_link_create(*, account_id: str, refresh_url: str, return_url: str) -> StripeData:
    """A one-time onboarding link (expires in minutes: create it when the user clicks)."""
    return _data(
        get_client().v1.account_links.create(
            params={
                "account": account_id,
                "refresh_url": refresh_url,
                "return_url": return_url,
                "type": "account_onboarding",
            }
        )
    )


# --- plans: the platform's own customers, subscriptions, portal and usage ---------------------------

# The customer portal's origin (CSP form-action on the billing page, which posts and is redirected).
STRIPE_PORTAL_ORIGIN = "https://billing.stripe.com"


def customer_create(
    *, idempotency_key: str, email: str = "", name: str = "", metadata: Mapping[str, str] | None = None
) -> StripeData:
    params: CustomerCreateParams = {}
    if email:
        params["email"] = email
    if name:
        params["name"] = name
    if metadata:
        params["metadata"] = dict(metadata)
    return _data(
        get_client().v1.customers.create(
            params=params, options=_options(account=None, idempotency_key=idempotency_key)
        )
    )


def subscription_retrieve(*, subscription_id: str) -> StripeData:
    """The subscription as it is now (a canceled one is still retrievable, status "canceled")."""
    return _data(get_client().v1.subscriptions.retrieve(subscription_id))


def billing_portal_session_create(*, customer: str, return_url: str) -> StripeData:
    """A short-lived link to the customer portal (create it when the user clicks)."""
    return _data(
        get_client().v1.billing_portal.sessions.create(
            params={"customer": customer, "return_url": return_url}
        )
    )


def meter_event_create(
    *, event_name: str, customer: str, value: int, identifier: str, timestamp: int | None = None
) -> StripeData:
    """Report usage to a billing meter. `identifier` makes Stripe count the event once; it is
    also the idempotency key, so a retried request replays the first answer."""
    params: MeterEventCreateParams = {
        "event_name": event_name,
        "identifier": identifier,
        "payload": {"stripe_customer_id": customer, "value": str(value)},
    }
    if timestamp is not None:
        params["timestamp"] = timestamp
    return _data(
        get_client().v1.billing.meter_events.create(
            params=params, options=_options(account=None, idempotency_key=identifier)
        )
    )
