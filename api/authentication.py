"""Who is calling, and for which tenant: every API request's tenant comes from its credential.

- `ApiKeyAuthentication`: `Authorization: Bearer ifk_…` (or `X-Api-Key: ifk_…`): the key's
  tenant and role.
- `TenantJWTAuthentication`: a simplejwt access token naming the membership (and tenant) it
  was issued for (api/tokens.py); the membership and the token's revocation stamp are checked
  on every request, so removing someone from a workspace, a password or two-factor change and
  an API sign-out cut their tokens off at once, and a demotion applies at once.
- `TenantSessionAuthentication`: the web app's own calls: Django session + CSRF, with the
  tenant named by the `X-Tenant` header (a slug the user is a member of).

Each returns `(user_or_None, ApiCredential)`; `request.auth` is the credential. The base view
(api/base.py) enters `tenant_scope(credential.tenant)` once, around the handler.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from rest_framework import authentication, exceptions
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.tokens import RefreshToken, Token

from api.models import ApiKey
from api.services import KEY_PREFIX, api_key_authenticate
from api.tokens import TokenRevoked, token_membership, token_user_id
from tenants.models import Membership, Tenant, User
from tenants.selectors import user_membership_in


@dataclass(frozen=True)
class ApiKeyActor:
    """What services see as the actor of an API-key call: the key's tenant and role, no person.

    Services need `tenant`, `tenant_id`, `role` and `user` (None here: timeline entries and
    payments record no person).
    """

    tenant: Tenant
    role: str
    api_key: ApiKey
    user: None = None

    @property
    def tenant_id(self) -> int:
        return self.tenant.pk


@dataclass(frozen=True)
class ApiCredential:
    kind: str  # "api_key" | "jwt" | "session"
    tenant: Tenant
    role: str
    actor: Membership | ApiKeyActor
    # Stable per credential: rate-limit bucket and idempotency namespace.
    identity: str

    @property
    def is_user(self) -> bool:
        return self.kind in ("jwt", "session")


def _membership(user: User, tenant_filter: Q) -> Membership | None:
    return user_membership_in(user_id=user.pk, tenant=Tenant.objects.filter(tenant_filter).first())


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def _raw_key(self, request: Request) -> str | None:
        header = request.META.get("HTTP_X_API_KEY", "")
        if header:
            return header.strip()
        parts = authentication.get_authorization_header(request).split()
        if len(parts) == 2 and parts[0].lower() == b"bearer" and parts[1].startswith(KEY_PREFIX.encode()):
            try:
                return parts[1].decode("ascii")
            except UnicodeDecodeError:
                return ""
        return None

    def authenticate(self, request: Request) -> tuple[None, ApiCredential] | None:
        raw_key = self._raw_key(request)
        if raw_key is None:
            return None
        api_key = api_key_authenticate(raw_key=raw_key) if raw_key else None
        if api_key is None:
            raise exceptions.AuthenticationFailed("This API key is invalid or has been revoked.")
        actor = ApiKeyActor(tenant=api_key.tenant, role=api_key.role, api_key=api_key)
        credential = ApiCredential(
            kind="api_key",
            tenant=api_key.tenant,
            role=api_key.role,
            actor=actor,
            identity=f"key:{api_key.public_id}",
        )
        return (None, credential)

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


class CheckedRefreshToken(RefreshToken):
    """A refresh token whose user claim is an id, or `TokenError` like any invalid token."""

    def verify(self) -> None:
        super().verify()
        if token_user_id(self) is None:
            raise TokenError("The token names no user.")


class TenantJWTAuthentication(JWTAuthentication):
    # simplejwt types both methods with a TypeVar (`AuthUser`) that appears only in their
    # return, which no override can match; and `request.auth` is our credential, not its Token.
    def get_user(self, validated_token: Token) -> User:  # type: ignore[override]
        if token_user_id(validated_token) is None:
            raise exceptions.AuthenticationFailed("The access token is invalid or has expired.")
        user = super().get_user(validated_token)
        assert isinstance(user, User)  # simplejwt loads settings.AUTH_USER_MODEL
        return user

    def authenticate(self, request: Request) -> tuple[User, ApiCredential] | None:  # type: ignore[override]
        try:
            result = super().authenticate(request)
        except (InvalidToken, TokenError) as error:
            raise exceptions.AuthenticationFailed("The access token is invalid or has expired.") from error
        if result is None:
            return None
        user, token = result
        assert isinstance(user, User)  # from get_user above
        try:
            membership = token_membership(token, user=user)
        except TokenRevoked as revoked:
            raise exceptions.AuthenticationFailed(revoked.message) from None
        credential = ApiCredential(
            kind="jwt",
            tenant=membership.tenant,
            role=membership.role,
            actor=membership,
            identity=f"user:{user.pk}",
        )
        return (user, credential)


class TenantSessionAuthentication(authentication.SessionAuthentication):
    header = "HTTP_X_TENANT"

    def authenticate(self, request: Request) -> tuple[Any, ApiCredential] | None:
        result = super().authenticate(request)  # enforces CSRF for unsafe methods
        if result is None:
            return None
        user, _ = result
        slug = request.META.get(self.header, "").strip()
        if not slug:
            raise exceptions.AuthenticationFailed(
                "Session calls name their workspace in the X-Tenant header."
            )
        membership = _membership(user, Q(slug=slug))
        if membership is None:
            # Same answer for "no such workspace" and "not a member": nothing to probe.
            raise exceptions.AuthenticationFailed("You are not a member of this workspace.")
        credential = ApiCredential(
            kind="session",
            tenant=membership.tenant,
            role=membership.role,
            actor=membership,
            identity=f"user:{user.pk}",
        )
        return (user, credential)
