"""Token issue and refresh for people: email + password (+ a TOTP code when MFA is on), for one
workspace chosen now and written into the tokens' `tenant` claim."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.contrib.auth import authenticate
from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from api import serializers as s
from api.authentication import TENANT_CLAIM
from api.base import RateLimitedMixin
from api.errors import ApiError
from invoiceflow.client_ip import client_ip
from tenants.models import Membership, User

# Per client address: enough for a script that re-authenticates, too few to guess passwords.
TOKEN_RATE_LIMIT = (20, 60)


def _access_lifetime() -> int:
    return int(settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds())


def _invalid() -> ApiError:
    # One answer for an unknown email, a wrong password, an unverified address and a
    # workspace the user is not in: nothing to enumerate.
    return ApiError("Wrong email, password or workspace.", status_code=401, code="invalid_credentials")


class _PublicView(RateLimitedMixin, APIView):
    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    rate_limit_scope = "api-token"

    def rate_limit_identity(self, request: Request) -> str | None:
        return f"ip:{client_ip(request._request)}"

    def rate_limit(self) -> tuple[int, int]:
        return TOKEN_RATE_LIMIT


@extend_schema(tags=["auth"], auth=[], request=s.TokenRequestSerializer, responses=s.TokenPairSerializer)
class TokenObtainView(_PublicView):
    """Access (5 minutes) and refresh (24 hours) tokens for one workspace."""

    def post(self, request: Request) -> Response:
        body = s.TokenRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data: dict[str, Any] = body.validated_data
        user = authenticate(request._request, username=data["email"].lower(), password=data["password"])
        if not isinstance(user, User) or not user.is_active:
            raise _invalid()
        if not EmailAddress.objects.filter(user=user, verified=True).exists():
            raise _invalid()
        membership = (
            Membership.objects.select_related("tenant")
            .filter(Q(tenant__slug=data["tenant"]) | Q(tenant__public_id=data["tenant"]), user=user)
            .first()
        )
        if membership is None:
            raise _invalid()
        totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
        if totp is not None:
            code = (data.get("otp") or "").strip()
            if not code:
                raise ApiError(
                    "This account has two-factor authentication: send the current code as `otp`.",
                    status_code=401,
                    code="mfa_required",
                )
            # validate_code also marks the code used: a replayed code is refused.
            if not TOTP(totp).validate_code(code):
                raise ApiError(
                    "The two-factor code is wrong or was already used.", status_code=401, code="mfa_invalid"
                )
            totp.record_usage()
        refresh = RefreshToken.for_user(user)
        refresh[TENANT_CLAIM] = membership.tenant.public_id
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
    """A new access token for the refresh token's user and workspace, while still a member."""

    def post(self, request: Request) -> Response:
        body = s.TokenRefreshRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            refresh = RefreshToken(body.validated_data["refresh"])
        except TokenError:
            raise ApiError(
                "The refresh token is invalid or has expired: sign in again.",
                status_code=401,
                code="invalid_credential",
            ) from None
        user_id = refresh.get(settings.SIMPLE_JWT.get("USER_ID_CLAIM", "user_id"))
        tenant_id = refresh.get(TENANT_CLAIM)
        if not Membership.objects.filter(
            user_id=user_id, user__is_active=True, tenant__public_id=tenant_id
        ).exists():
            raise ApiError(
                "You are no longer a member of this workspace.", status_code=401, code="invalid_credential"
            )
        return Response({"access": str(refresh.access_token), "access_expires_in": _access_lifetime()})
