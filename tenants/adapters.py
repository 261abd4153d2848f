from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp, SocialLogin
from django import forms
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse

from core.client_ip import client_ip
from tenants.auth_guard import Door, SignInAttempt, SignInThrottled, signin_attempt_begin, signin_completed
from tenants.emails import email_lookup_key, normalize_email_address, same_address
from tenants.models import User

_VERIFIED_ATTR = "_invitation_verified_email"


class AccountAdapter(DefaultAccountAdapter):
    """Sign-up through an invitation link needs no second verification email, for that address.

    The invitation view stashes the invited address (`stash_verified_email`): the link reached
    that inbox. allauth's default then *adds* the stashed address to any account created in the
    session and makes it the primary one, so someone signing up as b@ after opening a link for
    a@ would silently get a@ as their login. Here the stash only marks the address verified
    when it is the one typed on the sign-up form; any other address goes through verification.
    """

    def unstash_verified_email(self, request: HttpRequest) -> str | None:
        # Consumed once (the session copy is cleared) and kept on the request for
        # is_email_verified(), which allauth asks right after, for the address typed.
        setattr(request, _VERIFIED_ATTR, super().unstash_verified_email(request))
        return None

    def is_email_verified(self, request: HttpRequest, email: str) -> bool:
        verified = getattr(request, _VERIFIED_ATTR, None) or request.session.get("account_verified_email")
        return isinstance(verified, str) and bool(verified) and same_address(verified, email)

    def clean_email(self, email: str) -> str:
        """Sign-up, added addresses and password resets: the address's one spelling
        (tenants.emails), before allauth checks whether an account already has it."""
        return normalize_email_address(super().clean_email(email))

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return settings.ACCOUNT_ALLOW_SIGNUP

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        # "/" sends the user to their last workspace, or offers to create one.
        return "/"

    def get_client_ip(self, request: HttpRequest) -> str:
        # allauth's rate limits (login, sign-up, password reset) key on this: the address the
        # ASGI app resolved from the trusted proxies, never allauth's own reading of headers.
        return client_ip(request)

    # The sign-in guard (tenants/auth_guard.py) in place of allauth's login_failed limit, which
    # was a hard lock anyone could set off for anyone (5 wrong passwords, 5 minutes locked out,
    # and the API did not see it). allauth calls pre_authenticate, then authenticate, then
    # authentication_failed on a wrong password; re-authentication (the password asked again
    # before a sensitive change) goes through the same three.
    _signin_attempt: SignInAttempt

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        signed_in = getattr(getattr(request, "user", None), "is_authenticated", False)
        door = Door.WEB_REAUTH if signed_in else Door.WEB
        try:
            self._signin_attempt = signin_attempt_begin(
                request=request, door=door, login=credentials.get("email")
            )
        except SignInThrottled as refusal:
            raise forms.ValidationError(refusal.message, code="too_many_login_attempts") from None

    def authenticate(self, request: HttpRequest, **credentials: Any) -> AbstractBaseUser | None:
        # Whatever spelling was typed, look the account up (and count failed attempts, in
        # pre_authenticate) by the one spelling.
        for name in ("email", "username"):
            if credentials.get(name):
                credentials[name] = email_lookup_key(credentials[name])
        user = super().authenticate(request, **credentials)
        if isinstance(user, User):
            attempt = self._signin_attempt
            if attempt.door == Door.WEB_REAUTH:
                attempt.succeeded(user=user, detail="password")
            elif is_mfa_enabled(user, [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]):
                attempt.needs_second_factor(user=user)
            else:
                # Complete in post_login (or after the address is verified).
                attempt.passed()
        return user

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        self._signin_attempt.failed(detail="wrong email or password")

    def post_login(self, request: HttpRequest, user: AbstractBaseUser, **kwargs: Any) -> HttpResponse:
        response = super().post_login(request, user, **kwargs)
        sociallogin = (kwargs.get("signal_kwargs") or {}).get("sociallogin")
        detail = f"via {sociallogin.account.provider}" if sociallogin is not None else ""
        if isinstance(user, User):
            signin_completed(request=request, user=user, door=Door.WEB, detail=detail)
        return response


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def get_app(self, request: HttpRequest, provider: str, client_id: str | None = None) -> SocialApp:
        # A provider with no client id/secret is switched off: its URLs are a 404, not a crash.
        try:
            return super().get_app(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist:
            raise Http404("This sign-in method is not configured.") from None

    def is_open_for_signup(self, request: HttpRequest, sociallogin: object) -> bool:
        return settings.ACCOUNT_ALLOW_SIGNUP

    def populate_user(self, request: HttpRequest, sociallogin: SocialLogin, data: dict) -> AbstractBaseUser:
        """A provider's addresses in their one spelling, before allauth looks for an account
        that already has them; one it cannot spell (a domain IDNA refuses) is not used."""
        addresses, seen = [], set()
        for address in sociallogin.email_addresses:
            try:
                address.email = normalize_email_address(address.email)
            except ValidationError:
                continue
            if address.email not in seen:  # sorted by allauth: primary and verified first
                seen.add(address.email)
                addresses.append(address)
        sociallogin.email_addresses[:] = addresses
        if data.get("email"):
            try:
                data = {**data, "email": normalize_email_address(data["email"])}
            except ValidationError:
                data = {key: value for key, value in data.items() if key != "email"}
        return super().populate_user(request, sociallogin, data)
