"""Small helpers shared by the server-rendered views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse

from core.client_ip import client_ip
from core.errors import ApplicationError
from core.ratelimit import rate_limit_hit

T = TypeVar("T")
P = ParamSpec("P")


class _MemberRequest(Protocol):
    """What the tenant middleware sets (`tenants.requests.TenantRequest`); core sits below
    tenants, so it knows the membership only as what a role check reads."""

    @property
    def membership(self) -> object: ...


# A view under `require_membership` takes a request that has a membership: a TenantRequest.
_Request = TypeVar("_Request", bound=_MemberRequest)


def call_service(request: HttpRequest, service: Callable[..., T], /, **kwargs: Any) -> T | None:
    """Run a service in a savepoint; an ApplicationError becomes a flash message and undoes it."""
    try:
        with transaction.atomic():
            return service(**kwargs)
    except ApplicationError as error:
        messages.error(request, error.message)
        return None


def require_membership(
    check: Callable[[Any], bool],
) -> Callable[[Callable[Concatenate[_Request, P], T]], Callable[Concatenate[_Request, P], T]]:
    """Tenant views only: 403 when the member's role does not allow the action.

    `check` is a `tenants.roles` check of the membership (`Any`: core cannot name tenants'
    `Membership`). The view keeps its own signature."""

    def decorator(view: Callable[Concatenate[_Request, P], T]) -> Callable[Concatenate[_Request, P], T]:
        @wraps(view)
        def wrapped(request: _Request, /, *args: P.args, **kwargs: P.kwargs) -> T:
            if not check(request.membership):
                raise PermissionDenied("Your role does not allow this.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def csp_allow_form_action(response: HttpResponse, origins: list[str]) -> HttpResponse:
    """Let this page's forms lead to `origins` too (CSP form-action; Chromium also checks the
    redirect that follows a form's POST, e.g. to a Stripe-hosted page)."""
    # django-csp's middleware reads this attribute (what its @csp_update decorator sets); it is
    # not declared on HttpResponse, hence the ignore.
    response._csp_update = {"form-action": origins}  # type: ignore[attr-defined]
    return response


# --- pages reached by a secret link (the client's invoice, quote and portal pages) ----------------


def private_page(response: HttpResponse, *, referrer: str = "no-referrer") -> HttpResponse:
    """A page reached by a secret link: the link never leaks through a Referer, search engines
    leave it out, and no cache keeps it."""
    response["Referrer-Policy"] = referrer
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "private, no-store"
    return response


def link_guessing_throttled(request: HttpRequest, *, scope: str, message: str) -> HttpResponse | None:
    """A 429 once this address has opened too many links of `scope`, else None. Plain text, no
    template: this is what a guesser gets thousands of times, so it stays cheap."""
    result = rate_limit_hit(
        key=f"{scope}:{client_ip(request)}",
        limit=settings.INVOICE_LINK_RATE_LIMIT,
        window_seconds=settings.INVOICE_LINK_RATE_LIMIT_WINDOW_SECONDS,
    )
    if result.allowed:
        return None
    response = HttpResponse(message, content_type="text/plain; charset=utf-8", status=429)
    response["Retry-After"] = str(result.retry_after)
    return private_page(response)
