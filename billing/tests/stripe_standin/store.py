"""The stand-in's state: objects per account, lists, expansion, events, idempotency records."""

from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass, field
from typing import Any

from billing.tests.stripe_standin import objects
from billing.tests.stripe_standin.wire import StripeAPIError, invalid, no_such, to_int


@dataclass
class Call:
    """One API request: who makes it, with what, and the events it causes."""

    method: str
    path: str
    params: dict[str, Any]
    account: str | None
    idempotency_key: str | None
    request_id: str
    events: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class IdempotentResult:
    fingerprint: str
    status: int
    body: dict[str, Any]


class Store:
    def __init__(self, *, api_version: str) -> None:
        self.api_version = api_version
        self.clock_offset = 0
        self.objects: dict[str, dict[str, Any]] = {}  # insertion order is creation order
        self.owner: dict[str, str | None] = {}  # object id → connected account (None: platform)
        self.line_items: dict[str, list[dict[str, Any]]] = {}
        self.links: dict[str, dict[str, Any]] = {}  # onboarding token → link state
        self.idempotency: dict[tuple[str, str], IdempotentResult] = {}
        self.events: list[dict[str, Any]] = []

    def now(self) -> int:
        return int(time.time()) + self.clock_offset

    # --- objects ---------------------------------------------------------------------------

    def add(self, obj: dict[str, Any], account: str | None) -> dict[str, Any]:
        self.objects[obj["id"]] = obj
        self.owner[obj["id"]] = account
        return obj

    def get(self, kind: str, object_id: str, account: str | None, param: str = "id") -> dict[str, Any]:
        obj = self.objects.get(object_id)
        if obj is None or obj["object"] != kind or self.owner[object_id] != account:
            raise no_such(kind, object_id, param)
        return obj

    def find(self, object_id: str) -> tuple[dict[str, Any], str | None]:
        """Any object by id, whoever owns it (hosted pages and test helpers)."""
        if object_id not in self.objects:
            raise no_such("object", object_id)
        return self.objects[object_id], self.owner[object_id]

    def accounts(self) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.objects.items() if v["object"] == "account"}

    # --- reading out ---------------------------------------------------------------------------

    @staticmethod
    def public(obj: dict[str, Any]) -> dict[str, Any]:
        """A copy as Stripe sends it (the stand-in's private `_` fields removed)."""
        return {k: copy.deepcopy(v) for k, v in obj.items() if not k.startswith("_")}

    def render(self, obj: dict[str, Any], call: Call) -> dict[str, Any]:
        result = self.public(obj)
        expand = call.params.get("expand") or []
        if isinstance(expand, str):
            expand = [expand]
        for path in expand:
            self._expand(result, path.split("."), call, path)
        return result

    def _expand(self, node: Any, parts: list[str], call: Call, full: str) -> None:
        if not parts or not isinstance(node, dict):
            return
        key, rest = parts[0], parts[1:]
        if node.get("object") == "list" and key == "data":
            for item in node["data"]:
                self._expand(item, rest, call, full)
            return
        if key == "line_items" and node.get("object") == "checkout.session":
            items = copy.deepcopy(self.line_items.get(node["id"], []))
            url = f"/v1/checkout/sessions/{node['id']}/line_items"
            node[key] = {**objects.empty_list(url), "data": items}
        elif isinstance(node.get(key), str) and node[key] in self.objects:
            node[key] = self.public(self.objects[node[key]])
        elif key not in node:
            raise invalid("expand", f"This property cannot be expanded ({full}).")
        self._expand(node[key], rest, call, full)

    def listing(
        self, kind: str, call: Call, url: str, filters: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        params = call.params
        limit = to_int(params, "limit", minimum=1) or 10
        if limit > 100:
            raise invalid("limit", "This value must be less than or equal to 100.")
        wanted = {k: v for k, v in (filters or {}).items() if v is not None}
        matches = [
            obj
            for obj_id, obj in reversed(self.objects.items())
            if obj["object"] == kind
            and self.owner[obj_id] == call.account
            and all(obj.get(k) == v for k, v in wanted.items())
        ]
        ids = [obj["id"] for obj in matches]
        if params.get("starting_after"):
            if params["starting_after"] not in ids:
                raise no_such(kind, params["starting_after"], "starting_after")
            matches = matches[ids.index(params["starting_after"]) + 1 :]
        elif params.get("ending_before"):
            if params["ending_before"] not in ids:
                raise no_such(kind, params["ending_before"], "ending_before")
            matches = matches[: ids.index(params["ending_before"])][-limit:]
        page = matches[:limit]
        sub = Call(
            call.method, call.path, {"expand": _strip_data(params.get("expand"))}, call.account, None, ""
        )
        return {
            "object": "list",
            "data": [self.render(obj, sub) for obj in page],
            "has_more": len(matches) > limit,
            "url": url,
        }

    # --- events --------------------------------------------------------------------------------

    def emit(
        self,
        call: Call,
        kind: str,
        obj: dict[str, Any],
        account: str | None,
        previous: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        event = objects.event(
            kind=kind,
            obj=self.public(obj),
            now=self.now(),
            api_version=self.api_version,
            account=account,
            previous=previous,
            request={"id": call.request_id or None, "idempotency_key": call.idempotency_key},
        )
        self.add(event, account)
        self.events.append(event)
        call.events.append(event)
        return event

    # --- idempotency ---------------------------------------------------------------------------

    def idempotent_lookup(self, call: Call) -> IdempotentResult | None:
        """The saved result of an earlier request with this key, or an idempotency_error."""
        if call.method != "POST" or not call.idempotency_key:
            return None
        saved = self.idempotency.get((call.account or "", call.idempotency_key))
        if saved is None:
            return None
        if saved.fingerprint != self._fingerprint(call):
            raise StripeAPIError(
                400,
                "Keys for idempotent requests can only be used with the same parameters they were "
                f"first used with. Try using a key other than '{call.idempotency_key}' if you "
                "meant to execute a different request.",
                type="idempotency_error",
            )
        return saved

    def idempotent_save(self, call: Call, status: int, body: dict[str, Any]) -> None:
        if call.method == "POST" and call.idempotency_key:
            key = (call.account or "", call.idempotency_key)
            self.idempotency[key] = IdempotentResult(self._fingerprint(call), status, body)

    @staticmethod
    def _fingerprint(call: Call) -> str:
        return json.dumps([call.method, call.path, call.params], sort_keys=True)


def _strip_data(expand: Any) -> list[str]:
    """`expand[]=data.payment_intent` on a list expands each item's `payment_intent`."""
    if not expand:
        return []
    paths = [expand] if isinstance(expand, str) else expand
    return [p.removeprefix("data.") for p in paths if p.startswith("data.")]
