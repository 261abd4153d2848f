"""A local stand-in for Stripe's API, its hosted pages and its webhooks.

    with StripeStandIn(api_key="sk_test_...") as standin:
        standin.add_webhook_endpoint(url, secret="whsec_...")              # platform events
        standin.add_webhook_endpoint(url, secret="whsec_...", connect=True)  # connected accounts'
        # settings.STRIPE_API_BASE = standin.base_url; then use billing.stripe_client as usual.

It serves, on 127.0.0.1 and a free port, in a thread:
- `/v1/...`: Checkout Sessions, payment intents, charges, refunds, disputes, balance
  transactions, events, Connect accounts and account links (see `api.py`), authenticated by
  the secret key, form-encoded requests, JSON answers, Stripe's error bodies, Idempotency-Key.
- `/c/pay/<session>`: the hosted Checkout page: Pay (card 4242...) completes the session;
  4000 0000 0000 0002 is declined.
- `/setup/s/<account>/<token>`: Connect onboarding: "Agree and submit" enables the account.
- `/_standin/...`: test helpers with no Stripe equivalent (a customer disputes a charge...).

Events are signed like Stripe's and POSTed to the endpoints before the request that caused
them is answered, so a test sees their effect as soon as its call returns. `hold_webhooks()`
keeps them back (a lost or late webhook), `release_webhooks()` sends them.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from billing.tests.stripe_standin import pages
from billing.tests.stripe_standin.api import API
from billing.tests.stripe_standin.billing_helpers import BillingHelpers
from billing.tests.stripe_standin.store import Call, Store
from billing.tests.stripe_standin.wire import StripeAPIError, decode_form, new_id, sign_payload, to_int

logger = logging.getLogger(__name__)

DEFAULT_API_VERSION = "2026-10-28.endive"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# Webhooks to loopback only, never through a proxy from the environment.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class WebhookEndpoint:
    url: str
    secret: str
    connect: bool = False


@dataclass
class Delivery:
    event_id: str
    type: str
    url: str
    status: int | None
    account: str | None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    standin: StripeStandIn


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes: without this, Nagle's algorithm and the client's
    # delayed ACK add 40 ms to every keep-alive request.
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        self.server.standin._handle(self, "GET")

    def do_POST(self) -> None:
        self.server.standin._handle(self, "POST")

    def do_DELETE(self) -> None:
        self.server.standin._handle(self, "DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("stripe stand-in: " + format, *args)


class StripeStandIn(BillingHelpers):
    def __init__(self, *, api_key: str = "sk_test_standin", api_version: str = DEFAULT_API_VERSION) -> None:
        self.api_key = api_key
        self.store = Store(api_version=api_version)
        self.api = API(self.store, lambda: self.base_url)
        self.endpoints: list[WebhookEndpoint] = []
        self.deliveries: list[Delivery] = []
        self.requests: list[dict[str, Any]] = []
        self.held: list[dict[str, Any]] = []
        self.holding = False
        self._lock = threading.RLock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- life cycle ------------------------------------------------------------------------

    def start(self) -> StripeStandIn:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.standin = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            assert self._thread is not None
            self._thread.join(timeout=5)
            self._server = None

    def __enter__(self) -> StripeStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the stand-in first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # --- webhooks --------------------------------------------------------------------------

    def add_webhook_endpoint(self, url: str, *, secret: str, connect: bool = False) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.hostname not in LOOPBACK:
            raise ValueError(f"The stand-in only delivers to this machine (loopback), not to {url!r}.")
        self.endpoints.append(WebhookEndpoint(url, secret, connect))

    def hold_webhooks(self) -> None:
        self.holding = True

    def release_webhooks(self) -> None:
        self.holding = False
        held, self.held = self.held, []
        self._deliver(held)

    def drop_held_webhooks(self) -> list[dict[str, Any]]:
        """Forget held events: Stripe's deliveries that never arrive."""
        dropped, self.held = self.held, []
        return dropped

    def redeliver(self, event_id: str) -> None:
        event = next(e for e in self.store.events if e["id"] == event_id)
        self._deliver([event], force=True)

    @property
    def events(self) -> list[dict[str, Any]]:
        return list(self.store.events)

    def _deliver(self, events: list[dict[str, Any]], force: bool = False) -> None:
        if self.holding and not force:
            self.held.extend(events)
            return
        for event in events:
            account = event.get("account")
            for endpoint in self.endpoints:
                if endpoint.connect == bool(account):
                    self._post_event(event, endpoint)

    def _post_event(self, event: dict[str, Any], endpoint: WebhookEndpoint) -> None:
        payload = json.dumps(event, indent=2)
        # The URL was checked in add_webhook_endpoint: http(s) on loopback only.
        request = urllib.request.Request(  # noqa: S310
            endpoint.url,
            data=payload.encode(),
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": sign_payload(payload, endpoint.secret, self.store.now()),
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            },
        )
        status: int | None
        try:
            with _opener.open(request, timeout=30) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError as error:
            logger.warning("stripe stand-in: webhook to %s failed: %s", endpoint.url, error)
            status = None
        self.deliveries.append(
            Delivery(event["id"], event["type"], endpoint.url, status, event.get("account"))
        )

    # --- test helpers (also under /_standin/ over HTTP) ----------------------------------------

    def _helper(self, operation: Any, *args: Any, **kwargs: Any) -> Any:
        call = Call("POST", "/_standin", {}, None, None, "")
        with self._lock:
            result = operation(call, *args, **kwargs)
        self._deliver(call.events)
        return result

    def advance_clock(self, seconds: int) -> None:
        """Move Stripe's clock on: open Checkout sessions past their expiry expire."""
        with self._lock:
            self.store.clock_offset += seconds
        self._helper(self.api.sweep_expired)

    def pay_checkout_session(
        self, session_id: str, *, card: str = "4242424242424242", email: str = ""
    ) -> str:
        """What pressing Pay on the hosted page does; returns the error shown, or ''."""
        session, _ = self.store.find(session_id)
        return self._helper(self.api.checkout_pay, session, card=card, email=email or "payer@example.com")

    def dispute_create(
        self, charge_id: str, *, amount: int | None = None, reason: str = "fraudulent"
    ) -> dict:
        return self._helper(self.api.dispute_create, charge_id, amount=amount, reason=reason)

    def dispute_close(self, dispute_id: str, *, status: str) -> None:
        dispute, account = self.store.find(dispute_id)
        self._helper(self.api.dispute_close, dispute, account, status)

    def account_complete_onboarding(self, account_id: str) -> dict[str, Any]:
        return self._helper(self.api.account_set_enabled, account_id, enabled=True)

    def account_restrict(self, account_id: str) -> dict[str, Any]:
        return self._helper(self.api.account_set_enabled, account_id, enabled=False)

    # --- HTTP ------------------------------------------------------------------------------

    def _handle(self, http: _Handler, method: str) -> None:
        url = urlsplit(http.path)
        length = int(http.headers.get("Content-Length") or 0)
        body = http.rfile.read(length).decode() if length else ""
        try:
            if url.path.startswith("/v1/"):
                self._api(http, method, url.path, body if method == "POST" else url.query)
            elif url.path.startswith("/c/pay/"):
                self._checkout_page(http, method, url.path.removeprefix("/c/pay/"), body)
            elif url.path.startswith("/p/session/"):
                self._portal_page(http, method, url.path.removeprefix("/p/session/"), body)
            elif url.path.startswith("/setup/s/"):
                self._onboarding_page(http, method, url.path.removeprefix("/setup/s/"), body)
            elif url.path.startswith("/_standin/") and method == "POST":
                self._helper_http(http, url.path.removeprefix("/_standin/"), body)
            else:
                self._send(http, 404, pages.page("Not found", "<h1>Not found</h1>"), "text/html")
        except Exception:
            logger.exception("stripe stand-in: %s %s", method, http.path)
            self._send_json(http, 500, {"error": {"type": "api_error", "message": "Stand-in failure."}})

    def _authenticate(self, http: _Handler) -> None:
        header = http.headers.get("Authorization") or ""
        key = ""
        if header.startswith("Bearer "):
            key = header.removeprefix("Bearer ").strip()
        elif header.startswith("Basic "):
            key = base64.b64decode(header.removeprefix("Basic ")).decode().split(":", 1)[0]
        if not key:
            raise StripeAPIError(401, "You did not provide an API key.")
        if key != self.api_key:
            raise StripeAPIError(401, f"Invalid API Key provided: {key[:8]}{'*' * 12}{key[-4:]}")

    def _api(self, http: _Handler, method: str, path: str, form: str) -> None:
        request_id = new_id("req_", 14)
        call = Call(
            method,
            path,
            {},
            http.headers.get("Stripe-Account"),
            http.headers.get("Idempotency-Key"),
            request_id,
        )
        headers = {"Request-Id": request_id, "Stripe-Version": http.headers.get("Stripe-Version") or ""}
        try:
            self._authenticate(http)
            call.params = decode_form(form)
            with self._lock:
                if call.account and call.account not in self.store.accounts():
                    raise StripeAPIError(
                        403,
                        f"The provided key does not have access to account '{call.account}' (or that "
                        "account does not exist). Application access may have been revoked.",
                        code="account_invalid",
                    )
                self.api.sweep_expired(call)
                saved = self.store.idempotent_lookup(call)
                if saved is not None:
                    status, payload = saved.status, saved.body
                    headers["Idempotent-Replayed"] = "true"
                else:
                    status, payload = 200, self.api.dispatch(call)
                    self.store.idempotent_save(call, status, payload)
        except StripeAPIError as error:
            status, payload = error.status, error.response(request_id)
        if call.idempotency_key:
            headers["Idempotency-Key"] = call.idempotency_key
        self.requests.append(
            {
                "method": method,
                "path": path,
                "params": call.params,
                "account": call.account,
                "idempotency_key": call.idempotency_key,
                "stripe_version": http.headers.get("Stripe-Version"),
                "status": status,
            }
        )
        self._deliver(call.events)
        self._send_json(http, status, payload, headers)

    def _checkout_page(self, http: _Handler, method: str, session_id: str, body: str) -> None:
        call = Call(method, "/c/pay", {}, None, None, "")
        with self._lock:
            self.api.sweep_expired(call)
            session = self.store.objects.get(session_id)
        if session is None or session["object"] != "checkout.session":
            self._deliver(call.events)
            self._send(http, 404, pages.page("Not found", "<h1>No such Checkout Session</h1>"), "text/html")
            return
        merchant = self._merchant_name(self.store.owner[session_id])
        form = dict(parse_qsl(body))
        error = ""
        if method == "POST" and session["status"] == "open":
            email = form.get("email", "").strip()
            with self._lock:
                error = self.api.checkout_pay(call, session, card=form.get("card_number", ""), email=email)
            self._deliver(call.events)
            if not error:
                target = (session.get("success_url") or "").replace("{CHECKOUT_SESSION_ID}", session_id)
                if target:
                    self._send(http, 303, "", "text/plain", {"Location": target})
                    return
        else:
            self._deliver(call.events)
        items = self.store.line_items.get(session_id, [])
        html = pages.checkout_page(session, items, merchant, error=error, email=form.get("email", ""))
        self._send(http, 402 if error else 200, html, "text/html")

    def _merchant_name(self, account_id: str | None) -> str:
        account = self.store.objects.get(account_id or "")
        if account:
            return account["settings"]["dashboard"]["display_name"] or account["email"] or account["id"]
        return "the merchant"

    def _onboarding_page(self, http: _Handler, method: str, rest: str, body: str) -> None:
        account_id, _, token = rest.partition("/")
        link = self.store.links.get(token)
        if link is None or link["account"] != account_id:
            self._send(http, 404, pages.page("Not found", "<h1>Invalid link</h1>"), "text/html")
            return
        if link["used"] or link["expires_at"] < self.store.now():
            # Stripe sends an expired or reused link back to the platform for a fresh one.
            self._send(http, 302, "", "text/plain", {"Location": link["refresh_url"]})
            return
        if method == "GET":
            account = self.store.objects[account_id]
            self._send(http, 200, pages.onboarding_page(account), "text/html")
            return
        link["used"] = True
        if dict(parse_qsl(body)).get("action") == "submit":
            self.account_complete_onboarding(account_id)
        self._send(http, 303, "", "text/plain", {"Location": link["return_url"]})

    def _helper_http(self, http: _Handler, path: str, body: str) -> None:
        params = decode_form(body)
        try:
            if match := re.fullmatch(r"charges/(\w+)/dispute", path):
                amount = to_int(params, "amount", minimum=1)
                result = self.dispute_create(
                    match[1], amount=amount, reason=params.get("reason", "fraudulent")
                )
            elif match := re.fullmatch(r"disputes/(\w+)/close", path):
                self.dispute_close(match[1], status=params.get("status", ""))
                result = {"closed": True}
            elif match := re.fullmatch(r"accounts/(\w+)/restrict", path):
                result = self.account_restrict(match[1])
            elif match := re.fullmatch(r"checkout/sessions/(\w+)/pay", path):
                result = {
                    "error": self.pay_checkout_session(match[1], card=params.get("card", "4242424242424242"))
                }
            elif path == "clock/advance":
                self.advance_clock(to_int(params, "seconds") or 0)
                result = {"now": self.store.now()}
            else:
                raise StripeAPIError(404, f"Unknown stand-in helper: {path}")
        except StripeAPIError as error:
            self._send_json(http, error.status, error.response(""))
            return
        self._send_json(http, 200, result)

    def _send_json(
        self, http: _Handler, status: int, payload: Any, headers: dict[str, str] | None = None
    ) -> None:
        self._send(http, status, json.dumps(payload, indent=2), "application/json", headers)

    @staticmethod
    def _send(
        http: _Handler, status: int, body: str, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        data = body.encode()
        http.send_response(status)
        http.send_header("Content-Type", f"{content_type}; charset=utf-8")
        http.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            http.send_header(name, value)
        http.end_headers()
        http.wfile.write(data)
