"""The one base every tenant API view inherits: credential → tenant scope → handler.

`TenantScopedViewSet.dispatch` is DRF's, with one change: once authentication, role checks and
the rate limit have passed (`initial`), the handler runs inside
`tenants.scoping.tenant_scope(credential.tenant)` — the only place the API sets a tenant —
and the scope is reset when the handler returns or raises. The tenant comes from the
credential (API key, JWT claim, or X-Tenant for a session), never from the URL.

Querysets cannot escape it: subclasses may not define `get_queryset` (nor `dispatch`); they
declare `model` and optionally `scoped_queryset()`, and the base filters whatever that returns
on the current tenant once more. As in PostHog's routing, a subclass that tries is refused
when its module is imported.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import is_list_serializer
from rest_framework import permissions, viewsets
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import idempotency
from api.authentication import (
    ApiCredential,
    ApiKeyAuthentication,
    TenantJWTAuthentication,
    TenantSessionAuthentication,
)
from api.errors import RateLimited
from core.ratelimit import RateLimitResult, rate_limit_hit
from tenants.models import Role
from tenants.permissions import has_role
from tenants.scoping import current_tenant, tenant_scope


class ApiAutoSchema(AutoSchema):
    """Our list views answer {"next", "results"} pages, declared explicitly per view: never let
    drf-spectacular wrap a declared response in an array because the action is called list."""

    def _is_list_view(self, serializer: Any = None) -> bool:
        return serializer is not None and is_list_serializer(serializer)

    def get_operation_id(self) -> str:
        # With _is_list_view narrowed, a list and its detail GET would both be "<x>_retrieve"
        # (drf_spectacular.W001, which `check --deploy` reports): name lists after their action.
        operation_id = super().get_operation_id()
        if self.method == "GET" and getattr(self.view, "action", None) == "list":
            return operation_id.removesuffix("_retrieve") + "_list"
        return operation_id


AUTHENTICATION_CLASSES = [ApiKeyAuthentication, TenantJWTAuthentication, TenantSessionAuthentication]
_FORBIDDEN_OVERRIDES = ("get_queryset", "dispatch")


class TenantRolePermission(permissions.BasePermission):
    """Reads need the view's `read_role`, everything else its `write_role` (tenants.permissions.has_role)."""

    message = "Your role does not allow this."

    def has_permission(self, request: Request, view: Any) -> bool:
        credential = request.auth
        if not isinstance(credential, ApiCredential):
            return False
        needed = view.required_role(request)
        if not has_role(credential, needed):
            self.message = f"Your role ({credential.role}) does not allow this: it needs {needed} or above."
            return False
        return True


def _rate_limit_headers(limit: int, window: int, result: RateLimitResult) -> dict[str, str]:
    # Reset: seconds until a refused caller may try again, else the window (an upper bound on
    # when every current hit has left it: the limiter is a sliding log, not fixed buckets).
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(result.remaining),
        "X-RateLimit-Reset": str(result.retry_after if not result.allowed else window),
    }


class RateLimitedMixin(APIView):
    """Sliding-window limit per credential (API key, or user) with X-RateLimit-* headers.

    Put first in the bases of an APIView or viewset (its MRO is theirs with this in front)."""

    rate_limit_scope: ClassVar[str] = "api"
    _rate_limit_headers: dict[str, str] | None = None

    def rate_limit_identity(self, request: Request) -> str | None:
        credential = request.auth
        return credential.identity if isinstance(credential, ApiCredential) else None

    def rate_limit(self) -> tuple[int, int]:
        return settings.API_RATE_LIMIT, settings.API_RATE_LIMIT_WINDOW_SECONDS

    def check_throttles(self, request: Request) -> None:
        identity = self.rate_limit_identity(request)
        if identity is None:
            return
        limit, window = self.rate_limit()
        result = rate_limit_hit(key=f"{self.rate_limit_scope}:{identity}", limit=limit, window_seconds=window)
        self._rate_limit_headers = _rate_limit_headers(limit, window, result)
        if not result.allowed:
            raise RateLimited(result.retry_after)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        if isinstance(response, Response) and response.status_code >= 400:
            # Errors are JSON whatever the client asked for (e.g. Accept: text/csv on an export).
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = JSONRenderer.media_type
        for name, value in (self._rate_limit_headers or {}).items():
            response[name] = value
        return response


class TenantScopedViewSet(RateLimitedMixin, viewsets.GenericViewSet):
    authentication_classes = AUTHENTICATION_CLASSES
    permission_classes = [TenantRolePermission]
    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    # Anything but a slash: an id of the wrong shape is a JSON 404 from the lookup, not an
    # HTML 404 from the URL resolver.
    lookup_value_regex = r"[^/]+"
    schema = ApiAutoSchema()

    model: ClassVar[type[models.Model]]
    read_role: ClassVar[str] = Role.VIEWER
    write_role: ClassVar[str] = Role.MEMBER

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in _FORBIDDEN_OVERRIDES:
            if name in cls.__dict__:
                raise TypeError(
                    f"{cls.__name__} defines {name}(): tenant API views must not. Declare `model` "
                    "and, to narrow it, `scoped_queryset()`; the base scopes it to the tenant."
                )

    # --- scoping ---------------------------------------------------------------------------

    def scoped_queryset(self) -> models.QuerySet:
        """Override to narrow or annotate; the result is filtered on the tenant regardless."""
        return self.model._default_manager.all()

    def get_queryset(self) -> models.QuerySet:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular builds the schema tenant-less
            return self.model._base_manager.none()
        tenant = current_tenant()  # raises outside the scope: fail closed
        queryset = self.scoped_queryset()
        if queryset.model is not self.model:
            raise ImproperlyConfigured(f"{type(self).__name__}.scoped_queryset() must return {self.model}.")
        return queryset.filter(tenant=tenant)

    def required_role(self, request: Request) -> str:
        return self.read_role if request.method in permissions.SAFE_METHODS else self.write_role

    @property
    def credential(self) -> ApiCredential:
        auth = self.request.auth
        # Every authenticator of these views answers with one (api/authentication.py).
        assert isinstance(auth, ApiCredential)
        return auth

    @property
    def actor(self) -> Any:
        return self.credential.actor

    # --- the request cycle -------------------------------------------------------------------

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        self.args = args
        self.kwargs = kwargs
        request = self.initialize_request(request, *args, **kwargs)
        self.request = request
        self.headers = self.default_response_headers
        try:
            # Authentication, role and rate limit: no tenant data is touched here.
            self.initial(request, *args, **kwargs)
            credential: ApiCredential = request.auth
            with tenant_scope(credential.tenant):
                response = self._handle_in_scope(request, credential, *args, **kwargs)
                if response.status_code >= 500:
                    transaction.set_rollback(True)
        except Exception as exc:
            response = self.handle_exception(exc)
        self.response = self.finalize_response(request, response, *args, **kwargs)
        return self.response

    def _handle_in_scope(self, request: Request, credential: ApiCredential, *args: Any, **kwargs: Any) -> Any:
        claim = idempotency.begin(request, credential=credential.identity)
        if isinstance(claim, Response):
            return claim
        method = (request.method or "").lower()
        handler = getattr(self, method, None) if method in self.http_method_names else None
        handler = handler or self.http_method_not_allowed
        try:
            # A savepoint: a handler that fails leaves nothing behind, but the idempotency
            # record (outside it) still stores the error it answered.
            with transaction.atomic():
                response = handler(request, *args, **kwargs)
        except Exception as exc:
            response = self.handle_exception(exc)  # re-raises what is not a client error
        if claim is not None and response.status_code < 500:
            claim.store(response)
        return response
