"""Run the stand-in by hand, e.g. beside `./dev start`:

    .venv/bin/python -m billing.tests.stripe_standin --webhook-url http://127.0.0.1:8000/billing/stripe/webhook/

then start the app with STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET and STRIPE_API_BASE as printed.
"""

from __future__ import annotations

import argparse
import time

from billing.tests.stripe_standin import StripeStandIn


def main() -> None:
    parser = argparse.ArgumentParser(description="Local Stripe stand-in (127.0.0.1 only)")
    parser.add_argument("--api-key", default="sk_test_standin")
    parser.add_argument("--webhook-url", default="")
    parser.add_argument("--webhook-secret", default="whsec_standin")
    parser.add_argument("--connect-webhook-secret", default="whsec_standin_connect")
    args = parser.parse_args()
    standin = StripeStandIn(api_key=args.api_key).start()
    if args.webhook_url:
        standin.add_webhook_endpoint(args.webhook_url, secret=args.webhook_secret)
        standin.add_webhook_endpoint(args.webhook_url, secret=args.connect_webhook_secret, connect=True)
    print(f"STRIPE_API_BASE={standin.base_url}")  # noqa: T201
    print(f"STRIPE_SECRET_KEY={args.api_key}")  # noqa: T201
    print(f"STRIPE_WEBHOOK_SECRET={args.webhook_secret}")  # noqa: T201
    print(f"STRIPE_CONNECT_WEBHOOK_SECRET={args.connect_webhook_secret}")  # noqa: T201
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        standin.stop()


if __name__ == "__main__":
    main()
