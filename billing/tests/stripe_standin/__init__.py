"""A faithful local stand-in for the parts of Stripe's API the project uses (see server.py)."""

from billing.tests.stripe_standin.server import Delivery, StripeStandIn, WebhookEndpoint
from billing.tests.stripe_standin.wire import sign_payload

__all__ = ["Delivery", "StripeStandIn", "WebhookEndpoint", "sign_payload"]
