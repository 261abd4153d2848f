"""An IDOR sweep in the spirit of PostHog's harness: discover every API route from the URL
resolver and, as tenant A (a JWT and an API key), try every method on every object id of
tenant B, in paths, bodies and query strings. Findings are returned, not asserted, so that a
canary can prove the sweep fires on a leaky view."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from tenants.models import Tenant
from tenants.rls import models_with_tenant_column, tenant_owned_models
from tenants.scoping import tenant_scope

METHODS = ("get", "post", "patch", "put", "delete")
# The bodies sent to B's objects per method: None (no body) and/or "ids" (B's ids in every field).
ON_VICTIM_BODIES = {"post": (None, "ids"), "patch": ("ids",), "put": ("ids",)}
_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")


@dataclass(frozen=True)
class Route:
    template: str  # "/api/v1/invoices/{id}/finalize/"
    view: str

    @property
    def has_id(self) -> bool:
        return "{id}" in self.template

    def path(self, object_id: str = "") -> str:
        return self.template.replace("{id}", object_id)


@dataclass
class Victim:
    """What tenant B owns: ids to attack with and strings that must never come back."""

    tenant: Tenant
    ids: list[str]
    secrets: list[str] = field(default_factory=list)


def _regex_to_template(regex: str) -> str:
    text = regex.lstrip("^").rstrip("$").replace("\\Z", "").replace("\\/", "/").replace("\\.", ".")
    return _GROUP.sub(lambda match: "{" + match.group(1) + "}", text)


def discover_routes(prefix: str = "/api/v1/", urlconf: str | None = None) -> list[Route]:
    """Every DRF view reachable under `prefix`, from the resolver (no hand-kept list)."""
    found: list[Route] = []

    def walk(patterns: list, base: str) -> None:
        for pattern in patterns:
            piece = str(pattern.pattern)
            if hasattr(pattern.pattern, "regex") and piece.startswith("^"):
                piece = _regex_to_template(pattern.pattern.regex.pattern)
            piece = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", piece)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, base + piece)
            elif isinstance(pattern, URLPattern):
                callback = pattern.callback
                template = "/" + base + piece
                if getattr(callback, "cls", None) is None or not template.startswith(prefix):
                    continue
                if "{" in template.replace("{id}", ""):
                    raise AssertionError(f"The sweep does not know how to fill {template}")
                found.append(Route(template=template, view=callback.cls.__name__))

    walk(get_resolver(urlconf).url_patterns, "")
    return found


def _bodies(victim_ids: dict[str, str]) -> list[dict[str, Any]]:
    """Bodies that name B's objects in every field that takes an id."""
    line = {
        "description": "sweep",
        "quantity": "1",
        "unit_price": "1",
        "tax_rates": [victim_ids["tax_rate"]],
        "catalog_item": victim_ids["item"],
    }
    return [
        {
            "client": victim_ids["client"],
            "lines": [line],
            "tax_rates": [victim_ids["tax_rate"]],
            "invoice": victim_ids["invoice"],
            "name": "sweep",
            "emails": ["sweep@sweep.example"],
            "unit_price": "1",
            "percentage": "1",
            "amount": "1",
        },
        {"lines": [line]},
        {"client": victim_ids["client"]},
    ]


def snapshot(tenant: Tenant) -> dict[str, list[dict[str, Any]]]:
    """Every row of `tenant` in every table with a tenant_id (memberships, API keys, Stripe
    account, plan... included), as plain values."""
    rows: dict[str, list[dict[str, Any]]] = {}
    with tenant_scope(tenant):
        for model in models_with_tenant_column():
            queryset = model._base_manager.filter(tenant=tenant).order_by("pk")
            rows[model._meta.label] = [dict(row) for row in queryset.values()]
    return rows


def sweep(
    clients: dict[str, APIClient],
    victim: Victim,
    victim_ids: dict[str, str],
    routes: list[Route],
    own_ids: list[str] = (),
) -> list[str]:
    """Attack every route with every method; return what went wrong (empty: nothing).

    B's ids go in paths (zero 2xx allowed), and in bodies sent to collections and to A's own
    objects (`own_ids`), where a 2xx may happen (void ignores ids) but must not leak or link."""
    findings: list[str] = []
    bodies = _bodies(victim_ids)

    def check(label: str, method: str, path: str, response: Any, *, targets_victim: bool) -> None:
        text = response.content.decode(errors="replace")
        if targets_victim and 200 <= response.status_code < 300:
            findings.append(f"{label} {method.upper()} {path} → {response.status_code}")
        for secret in victim.secrets:
            if secret in text:
                findings.append(f"{label} {method.upper()} {path} leaked {secret!r} ({response.status_code})")
        if response.status_code >= 500:
            findings.append(f"{label} {method.upper()} {path} → {response.status_code}")

    for label, api in clients.items():
        for route in routes:
            for method in METHODS:
                call = getattr(api, method)
                if route.has_id:
                    for object_id in victim.ids:
                        path = route.path(object_id)
                        # On B's object: no body (an action that needs none goes straight to
                        # its lookup) and the body naming B's objects in every field. What the
                        # other bodies could leak or link is tried on A's own objects and on the
                        # collections below, where they can get past validation.
                        for body in ON_VICTIM_BODIES.get(method, (None,)):
                            payload = bodies[0] if body == "ids" else None
                            response = call(path, payload, format="json") if payload else call(path)
                            check(label, method, path, response, targets_victim=True)
                    for object_id in own_ids if method in ("post", "patch", "put") else ():
                        for body in bodies:
                            response = call(route.path(object_id), body, format="json")
                            check(label, method, route.path(object_id), response, targets_victim=False)
                elif method in ("post", "patch", "put"):
                    for body in bodies:
                        response = call(route.path(), body, format="json")
                        # A create that ignores the foreign ids may succeed; it must not leak or link.
                        check(label, method, route.path(), response, targets_victim=False)
                else:
                    for query in ("", f"?client={victim_ids['client']}", f"?search={victim.secrets[0]}"):
                        response = call(route.path() + query)
                        check(label, method, route.path() + query, response, targets_victim=False)
    return findings


def foreign_links(tenant: Tenant) -> list[str]:
    """Rows of `tenant` whose foreign keys point outside it (a body id resolved across tenants)."""
    problems: list[str] = []
    owned = set(tenant_owned_models())
    with tenant_scope(tenant):
        own_pks = {model: set(model.objects.values_list("pk", flat=True)) for model in owned}
        for model in owned:
            for fk in model._meta.concrete_fields:
                target = getattr(fk, "related_model", None)
                if not fk.is_relation or target not in owned or fk.name == "tenant":
                    continue
                for pk, value in model.objects.values_list("pk", fk.attname):
                    if value is not None and value not in own_pks[target]:
                        problems.append(
                            f"{model._meta.label}#{pk}.{fk.name} → foreign {target._meta.label}#{value}"
                        )
    return problems
