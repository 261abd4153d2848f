"""`StripeStandIn`'s Billing helpers and the hosted customer portal page.

    price = standin.price_create(name="Pro", unit_amount=1200, currency="eur")
    standin.subscription_renew(sub_id, paid=False)   # the renewal's card is declined
    standin.meter_events                             # usage counted, by identifier

The portal (`/p/session/<token>`) lists the customer's live subscriptions with two buttons
each, as a portal configured for immediate cancellation and plan switching shows: "Cancel
plan" and "Switch to <price>". Both POST back and redirect to the portal page.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from billing.tests.stripe_standin import pages
from billing.tests.stripe_standin.store import Call
from billing.tests.stripe_standin.wire import StripeAPIError

if TYPE_CHECKING:
    from billing.tests.stripe_standin.api import API
    from billing.tests.stripe_standin.store import Store


class BillingHelpers:
    """Mixed into StripeStandIn (which provides `api`, `store`, `_helper`, `_deliver`, `_send`)."""

    api: API
    store: Store

    def _helper(self, operation: Any, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover
        raise NotImplementedError

    def _deliver(self, events: list[dict[str, Any]], force: bool = False) -> None:  # pragma: no cover
        raise NotImplementedError

    # --- test helpers ----------------------------------------------------------------------

    def price_create(
        self,
        *,
        name: str,
        unit_amount: int,
        currency: str = "eur",
        interval: str = "month",
        meter: str | None = None,
    ) -> dict[str, Any]:
        """A recurring price (metered on `meter` when given) of a new product."""
        recurring: dict[str, Any] = {"interval": interval}
        if meter:
            recurring.update(usage_type="metered", meter=meter)
        params = {
            "currency": currency,
            "unit_amount": str(unit_amount),
            "nickname": name,
            "product_data": {"name": name},
            "recurring": recurring,
        }
        call = Call("POST", "/v1/prices", params, None, None, "")
        return self._helper(lambda _call: self.api.billing.price_create(call))

    def subscription_renew(self, subscription_id: str, *, paid: bool = True) -> dict[str, Any]:
        return self._helper(self.api.billing.subscription_renew, subscription_id, paid=paid)

    def subscription_cancel(self, subscription_id: str) -> None:
        subscription, account = self.store.find(subscription_id)
        self._helper(lambda call: self.api.billing.subscription_cancel(call, subscription, account))

    @property
    def meter_events(self) -> list[dict[str, Any]]:
        return list(self.api.billing.meter_events)

    # --- the hosted portal -----------------------------------------------------------------

    def _portal_page(self, http: Any, method: str, token: str, body: str) -> None:
        billing = self.api.billing
        session_id = billing.portal_tokens.get(token)
        if session_id is None:
            self._send(
                http, 404, pages.page("Not found", "<h1>This portal link is invalid</h1>"), "text/html"
            )
            return
        session = self.store.objects[session_id]
        account = self.store.owner[session_id]
        if method == "POST":
            form = dict(parse_qsl(body))
            call = Call("POST", "/p/session", {}, None, None, "")
            with self._lock:  # type: ignore[attr-defined]
                subscription = self.store.get("subscription", form.get("subscription", ""), account)
                if subscription["customer"] != session["customer"]:
                    raise StripeAPIError(404, "No such subscription")
                if form.get("action") == "cancel":
                    billing.subscription_cancel(call, subscription, account)
                elif form.get("action") == "switch":
                    item = subscription["items"]["data"][0]
                    call.params = {"items": [{"id": item["id"], "price": form.get("price", "")}]}
                    call.account = account
                    billing.subscription_update(call, subscription["id"])
            self._deliver(call.events)
            self._send(http, 303, "", "text/plain", {"Location": session["url"]})
            return
        self._send(http, 200, self._portal_html(session, account), "text/html")

    def _portal_html(self, session: dict[str, Any], account: str | None) -> str:
        subscriptions = [
            obj
            for obj_id, obj in self.store.objects.items()
            if obj["object"] == "subscription"
            and obj["customer"] == session["customer"]
            and obj["status"] != "canceled"
            and self.store.owner[obj_id] == account
        ]
        plans = [
            obj
            for obj_id, obj in self.store.objects.items()
            if obj["object"] == "price"
            and obj["type"] == "recurring"
            and obj["recurring"]["usage_type"] == "licensed"
            and self.store.owner[obj_id] == account
        ]
        rows = []
        for subscription in subscriptions:
            current = subscription["items"]["data"][0]["price"]
            name = _name(current)
            switches = "".join(
                f"""<form method="post"><input type="hidden" name="subscription" value="{subscription["id"]}">
  <input type="hidden" name="price" value="{price["id"]}">
  <button type="submit" name="action" value="switch">Switch to {escape(_name(price))}</button></form>"""
                for price in plans
                if price["id"] != current["id"]
            )
            rows.append(
                f"""<section data-subscription="{subscription["id"]}">
<h2>{escape(name)}: <span class="status">{escape(subscription["status"])}</span></h2>
<form method="post"><input type="hidden" name="subscription" value="{subscription["id"]}">
  <button type="submit" name="action" value="cancel">Cancel plan</button></form>
{switches}
</section>"""
            )
        body = "<h1>Manage your subscription</h1>" + ("".join(rows) or "<p>No active subscription.</p>")
        if session.get("return_url"):
            body += f'<p><a href="{escape(session["return_url"])}">Return to the merchant</a></p>'
        return pages.page("Customer portal", body)


def _name(price: dict[str, Any]) -> str:
    return price.get("nickname") or price["id"]
