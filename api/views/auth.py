"""Token issue, refresh and sign-out for people: email + password (+ a TOTP code when MFA is
on), for one workspace chosen now and written into the tokens (api/tokens.py).

Every request here passes the sign-in guard first (tenants/auth_guard.py): the failures it
counts are the web login's too, and a refusal is a 429 with Retry-After. Each attempt and its
outcome is audited there.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.contrib.auth import authenticate
from django.db.models import Q
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError

from api import credential_serializers as s
from api.authentication import CheckedRefreshToken
from api.base import RateLimitedMixin
from api.errors import ApiError
from api.tokens import STAMP_CLAIM, TokenRevoked, token_membership, token_pair_issue, token_user
from core.client_ip import client_ip
from tenants.auth_guard import Door, SignInAttempt, SignInThrottled, signin_attempt_begin
from tenants.emails import email_lookup_key
from tenants.models import Tenant, User
from tenants.selectors import user_membership_in
from tenants.token_revocation import api_token_stamp_is_current, api_tokens_revoke

# Per client address, on every request here: a flood limit for scripts gone wrong. Failed
# sign-ins are slowed by the guard, per account and address, with the web login.
TOKEN_RATE_LIMIT = (20, 60)


def _access_lifetime() -> int:
    lifetime = settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"]
    assert isinstance(lifetime, timedelta)
    return int(lifetime.total_seconds())


def _invalid() -> ApiError:
    # One answer for an unknown email, a wrong password, an unverified address and a
    # workspace the user is not in: nothing to enumerate.
    return ApiError("Wrong email, password or workspace.", status_code=401, code="invalid_credentials")


def _invalid_refresh(
    message: str = "The refresh token is invalid or has expired: sign in again.",
) -> ApiError:
    return ApiError(message, status_code=401, code="invalid_credential")


class SignInRefused(exceptions.Throttled):
    def __init__(self, refusal: SignInThrottled) -> None:
        # wait set afterwards: DRF would append its own "Expected available in…" to the message.
        super().__init__(detail=refusal.message)
        self.wait = refusal.retry_after


class _PublicView(RateLimitedMixin, APIView):
    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    rate_limit_scope = "api-token"

    def rate_limit_identity(self, request: Request) -> str | None:
        return f"ip:{client_ip(request._request)}"

    def rate_limit(self) -> tuple[int, int]:
        return TOKEN_RATE_LIMIT

    def begin(self, request: Request, door: str, login: str | None = None) -> SignInAttempt:
        try:
            return signin_attempt_begin(request=request._request, door=door, login=login)
        except SignInThrottled as refusal:
            raise SignInRefused(refusal) from None


@extend_schema(tags=["auth"], auth=[], request=s.TokenRequestSerializer, responses=s.TokenPairSerializer)
class TokenObtainView(_PublicView):
    """Access (5 minutes) and refresh (24 hours) tokens for one workspace.

    Wrong passwords and two-factor codes count with the web login's, per account and address;
    past a few, the next try from that address waits (429 with Retry-After)."""

    def post(self, request: Request) -> Response:
        body = s.TokenRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data: dict[str, Any] = body.validated_data
        email = email_lookup_key(data["email"])  # any spelling of the address (tenants/emails.py)
        attempt = self.begin(request, Door.API_TOKEN, email)
        user = authenticate(request._request, username=email, password=data["password"])
        if not isinstance(user, User) or not user.is_active:
            attempt.failed(detail="wrong email or password")
            raise _invalid()
        if not EmailAddress.objects.filter(user=user, verified=True).exists():
            attempt.failed(user=user, detail="email address not verified")
            raise _invalid()
        tenant = Tenant.objects.filter(Q(slug=data["tenant"]) | Q(public_id=data["tenant"])).first()
        membership = user_membership_in(user_id=user.pk, tenant=tenant)
        if membership is None:
            # Counted like a wrong password: otherwise the absence of a delay would tell a
            # guesser the password was right.
            attempt.failed(user=user, detail="not a member of the workspace")
            raise _invalid()
        totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
        if totp is not None:
            code = (data.get("otp") or "").strip()
            if not code:
                attempt.needs_second_factor(user=user)
                raise ApiError(
                    "This account has two-factor authentication: send the current code as `otp`.",
                    status_code=401,
                    code="mfa_required",
                )
            # validate_code also marks the code used: a replayed code is refused.
            if not TOTP(totp).validate_code(code):
                attempt.failed(user=user, detail="wrong two-factor code")
                raise ApiError(
                    "The two-factor code is wrong or was already used.", status_code=401, code="mfa_invalid"
                )
            totp.record_usage()
        refresh = token_pair_issue(membership=membership)
        attempt.succeeded(user=user, detail=f"workspace {membership.tenant.slug}")
        return Response(
            {
                "access": str(refresh.access_token),
                "refresh": str(refresh),
                "tenant": membership.tenant.public_id,
                "access_expires_in": _access_lifetime(),
            }
        )


@extend_schema(
    tags=["auth"],
    auth=[],
    request=s.TokenRefreshRequestSerializer,
    responses=s.TokenRefreshResponseSerializer,
)
class TokenRefreshView(_PublicView):
    """A new access token for the refresh token's membership, while it lasts and the token has
    not been revoked (password or two-factor change, API sign-out)."""

    def post(self, request: Request) -> Response:
        body = s.TokenRefreshRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        attempt = self.begin(request, Door.API_REFRESH)
        try:
            refresh = CheckedRefreshToken(body.validated_data["refresh"])
        except TokenError:
            attempt.failed(detail="invalid or expired refresh token")
            raise _invalid_refresh() from None
        try:
            membership = token_membership(refresh)
        except TokenRevoked as revoked:
            attempt.failed(user=revoked.user, detail=revoked.message)
            raise _invalid_refresh(revoked.message) from None
        attempt.succeeded(user=membership.user, detail=f"workspace {membership.tenant.slug}")
        return Response({"access": str(refresh.access_token), "access_expires_in": _access_lifetime()})


@extend_schema(
    tags=["auth"],
    auth=[],
    request=s.TokenRefreshRequestSerializer,
    responses={204: OpenApiResponse(description="Every API token of this user is revoked.")},
)
class LogoutView(_PublicView):
    """Sign out of the API: every refresh and access token the user holds stops working, in
    every workspace and client (API keys are not affected). Send a current refresh token."""

    def post(self, request: Request) -> Response:
        body = s.TokenRefreshRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        attempt = self.begin(request, Door.API_LOGOUT)
        try:
            refresh = CheckedRefreshToken(body.validated_data["refresh"])
        except TokenError:
            attempt.failed(detail="invalid or expired refresh token")
            raise _invalid_refresh() from None
        attempt.passed()
        user = token_user(refresh)
        # A token already revoked has nothing left to end, and must not end the newer ones.
        if user is not None and api_token_stamp_is_current(user, refresh.get(STAMP_CLAIM)):
            api_tokens_revoke(
                user=user, reason="API sign-out", request=request._request, door=Door.API_LOGOUT
            )
        return Response(status=204)
