"""Stripe, the workspaces' plans, and the client's public invoice page."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from .core import DEBUG
from .env import env_int, env_str

# --- Stripe (billing/stripe_client.py is the only code that uses these) ----------------------
# STRIPE_SECRET_KEY unset: online payment and plans are off and the pages say so.
# STRIPE_WEBHOOK_SECRET: signing secret (whsec_...) of the webhook endpoint for the platform's
# events; STRIPE_CONNECT_WEBHOOK_SECRET: that of the Connect endpoint (connected accounts'
# events), when it is a separate endpoint. Both point at /billing/stripe/webhook/.
# STRIPE_API_BASE: Stripe's API by default; the tests point it at a local stand-in.

STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET")
STRIPE_CONNECT_WEBHOOK_SECRET = env_str("STRIPE_CONNECT_WEBHOOK_SECRET")
STRIPE_API_BASE = env_str("STRIPE_API_BASE", "https://api.stripe.com").rstrip("/")
STRIPE_MAX_NETWORK_RETRIES = env_int("STRIPE_MAX_NETWORK_RETRIES", 2)
if STRIPE_SECRET_KEY and not STRIPE_WEBHOOK_SECRET:
    # Without it no webhook can be verified and paid invoices would never be marked paid.
    raise ImproperlyConfigured("STRIPE_SECRET_KEY is set: set STRIPE_WEBHOOK_SECRET (whsec_...) too.")
if not DEBUG and STRIPE_SECRET_KEY.startswith("sk_live") and not STRIPE_API_BASE.startswith("https://"):
    raise ImproperlyConfigured("A live Stripe key must only be sent to an https:// STRIPE_API_BASE.")

# Plans (plans/catalog.py): what workspaces subscribe to. On only with STRIPE_SECRET_KEY and at
# least one plan price; otherwise every workspace is unlimited ("self-hosted").
# STRIPE_PRICE_PRO / STRIPE_PRICE_BUSINESS: the recurring Stripe prices (price_...) of the paid
# plans; PLAN_*_MONTHLY_PRICE and PLAN_CURRENCY: what the pricing page shows for them.
# STRIPE_PRICE_INVOICES_SENT: an optional metered price (on the billing meter named
# STRIPE_METER_EVENT_NAME) added to each subscription; every invoice sent is one meter event.
STRIPE_PRICE_PRO = env_str("STRIPE_PRICE_PRO")
STRIPE_PRICE_BUSINESS = env_str("STRIPE_PRICE_BUSINESS")
STRIPE_PRICE_INVOICES_SENT = env_str("STRIPE_PRICE_INVOICES_SENT")
STRIPE_METER_EVENT_NAME = env_str("STRIPE_METER_EVENT_NAME", "invoices_sent")
PLAN_FREE_MONTHLY_INVOICES = env_int("PLAN_FREE_MONTHLY_INVOICES", 5)
PLAN_PRO_MONTHLY_PRICE = env_str("PLAN_PRO_MONTHLY_PRICE", "12.00")
PLAN_BUSINESS_MONTHLY_PRICE = env_str("PLAN_BUSINESS_MONTHLY_PRICE", "39.00")
PLAN_CURRENCY = env_str("PLAN_CURRENCY", "EUR").upper()

# Online payment of invoices (billing/checkout.py, portal/): the client's public page
# at /i/<token> lives this many days, and one IP may open at most so many of these pages per
# window (guessing a 256-bit token is hopeless anyway; this keeps scanners off the database).
INVOICE_LINK_LIFETIME_DAYS = env_int("INVOICE_LINK_LIFETIME_DAYS", 365)
INVOICE_LINK_RATE_LIMIT = env_int("INVOICE_LINK_RATE_LIMIT", 60)
INVOICE_LINK_RATE_LIMIT_WINDOW_SECONDS = env_int("INVOICE_LINK_RATE_LIMIT_WINDOW_SECONDS", 600)
