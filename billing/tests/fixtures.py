"""Stripe fixtures every app's tests can use (imported by the root conftest).

- `stripe_standin`: the local Stripe stand-in, running, with the settings pointed at it
  (STRIPE_SECRET_KEY, STRIPE_API_BASE, both webhook secrets). No webhook endpoint yet.
- `stripe_standin_live`: the same, delivering its webhooks to the app's real endpoint on
  `live_server` (a transactional test).
- `webhook_recorder`: a bare HTTP endpoint on loopback that keeps what it receives.
- `stripe_webhook_secret`: only the webhook secrets set, for tests that post events themselves.
- `billing_celery_eager`: queued tasks run in-process even when REDIS_URL sets a broker,
  retries included (immediately: countdowns do not apply in-process).
- `make_stripe_event(type, obj, account=None)`: an event built from Stripe's sample objects;
  `post_stripe_event(client, event, ...)` signs and posts it (or any bytes) as Stripe does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from billing import stripe_client
from billing.tests.stripe_standin import StripeStandIn, sign_payload
from billing.tests.stripe_standin import objects as stripe_objects
from invoiceflow.celery import app as celery_app

__all__ = [
    "billing_celery_eager",
    "stripe_standin",
    "stripe_standin_live",
    "stripe_webhook_secret",
    "webhook_recorder",
]

PLATFORM_WEBHOOK_SECRET = "whsec_test_platform_0123456789"
CONNECT_WEBHOOK_SECRET = "whsec_test_connect_0123456789"


@pytest.fixture
def billing_celery_eager() -> Iterator[None]:
    conf = celery_app.conf
    saved = conf.task_always_eager, conf.task_eager_propagates
    # Not propagating: only then does Celery's eager apply() run a retried task again, as a
    # worker would (with propagation the Retry is raised to the caller instead).
    conf.task_always_eager, conf.task_eager_propagates = True, False
    yield
    conf.task_always_eager, conf.task_eager_propagates = saved


@pytest.fixture
def stripe_webhook_secret(settings: Any) -> str:
    settings.STRIPE_WEBHOOK_SECRET = PLATFORM_WEBHOOK_SECRET
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = CONNECT_WEBHOOK_SECRET
    return PLATFORM_WEBHOOK_SECRET


@pytest.fixture
def stripe_standin(settings: Any, stripe_webhook_secret: str) -> Iterator[StripeStandIn]:
    with StripeStandIn(
        api_key="sk_test_standin_" + "x" * 24, api_version=stripe_client.STRIPE_API_VERSION
    ) as standin:
        settings.STRIPE_SECRET_KEY = standin.api_key
        settings.STRIPE_API_BASE = standin.base_url
        settings.STRIPE_MAX_NETWORK_RETRIES = 0
        yield standin


@pytest.fixture
def stripe_standin_live(stripe_standin: StripeStandIn, live_server: Any) -> StripeStandIn:
    url = live_server.url + reverse("stripe_webhook")
    stripe_standin.add_webhook_endpoint(url, secret=PLATFORM_WEBHOOK_SECRET)
    stripe_standin.add_webhook_endpoint(url, secret=CONNECT_WEBHOOK_SECRET, connect=True)
    return stripe_standin


@dataclass
class WebhookRecorder:
    url: str
    received: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200

    def events(self, type_: str | None = None) -> list[dict[str, Any]]:
        parsed = [json.loads(r["body"]) for r in self.received]
        return [e for e in parsed if type_ is None or e["type"] == type_]


@pytest.fixture
def webhook_recorder() -> Iterator[WebhookRecorder]:
    recorder: WebhookRecorder

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            recorder.received.append({"body": body, "headers": dict(self.headers)})
            self.send_response(recorder.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    recorder = WebhookRecorder(url=f"http://127.0.0.1:{server.server_address[1]}/hook")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield recorder
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def make_stripe_event(
    event_type: str,
    obj: dict[str, Any] | str,
    *,
    account: str | None = None,
    previous: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An event from Stripe's samples: `obj` is an object or a sample's name ("charge")."""
    data = stripe_objects.sample(obj) if isinstance(obj, str) else obj
    return stripe_objects.event(
        kind=event_type,
        obj=data,
        now=int(time.time()),
        api_version=stripe_client.STRIPE_API_VERSION,
        account=account,
        previous=previous,
        request={"id": None, "idempotency_key": None},
    )


def sign_bytes(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """`sign_payload` for any bytes, UTF-8 or not: HMAC-SHA256(secret, b"<t>." + body)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def post_stripe_event(
    client: Client,
    event: dict[str, Any] | str | bytes,
    *,
    secret: str = PLATFORM_WEBHOOK_SECRET,
    timestamp: int | None = None,
    tamper: Callable[[str], str] | None = None,
) -> Any:
    """POST an event as Stripe does: the exact bytes signed, then (optionally) tampered with."""
    if isinstance(event, bytes):
        signature, body = sign_bytes(event, secret, timestamp), event
    else:
        payload = event if isinstance(event, str) else json.dumps(event, indent=2)
        signature = sign_payload(payload, secret, timestamp)
        body = (tamper(payload) if tamper else payload).encode()
    return client.post(
        reverse("stripe_webhook"),
        data=body,
        content_type="application/json; charset=utf-8",
        headers={"Stripe-Signature": signature},
    )
