"""Views behind a secret link (`/i/<token>`, `/q/<token>`): the steps each one takes before
its own work, in one place.

The request has no tenant yet, so every such view: answers 429 once this address has opened
too many links of its kind (a guesser's cheap answer), asks the link's lookup door which
tenant and object the token names, answers the same private 404 for an unknown token as for
a revoked one, and runs the rest inside `tenant_scope(tenant)`, row-level security included.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import Promise

from core.web import link_guessing_throttled, private_page
from tenants.models import Tenant
from tenants.scoping import tenant_scope

Key = TypeVar("Key")
LinkView = Callable[[HttpRequest, str, Tenant, Key], HttpResponse]


def link_not_found(request: HttpRequest) -> HttpResponse:
    """The one 404 of every secret link: it says nothing of whether the token ever existed."""
    return private_page(render(request, "invoices/public/not_found.html", status=404))


def secret_link_view(
    *, scope: str, too_many: Promise, find: Callable[[str], tuple[Tenant, Key] | None]
) -> Callable[[LinkView[Key]], Callable[[HttpRequest, str], HttpResponse]]:
    """Decorate `view(request, token, tenant, key)`; `find(token)` is the lookup door and
    `too_many` the (lazily translated) 429 message for this kind of link."""

    def decorate(view: LinkView[Key]) -> Callable[[HttpRequest, str], HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, token: str) -> HttpResponse:
            throttled = link_guessing_throttled(request, scope=scope, message=str(too_many))
            if throttled is not None:
                return throttled
            found = find(token)
            if found is None:
                return link_not_found(request)
            tenant, key = found
            with tenant_scope(tenant):
                return view(request, token, tenant, key)

        return wrapper

    return decorate
