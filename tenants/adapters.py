from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp, SocialLogin
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest

from tenants.emails import email_lookup_key, normalize_email_address, same_address

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
        return bool(verified) and same_address(verified, email)

    def clean_email(self, email: str) -> str:
        """Sign-up, added addresses and password resets: the address's one spelling
        (tenants.emails), before allauth checks whether an account already has it."""
        return normalize_email_address(super().clean_email(email))

    def authenticate(self, request: HttpRequest, **credentials: Any) -> AbstractBaseUser | None:
        # Whatever spelling was typed, look the account up (and count failed attempts, which
        # allauth keys by the address) by the one spelling.
        for name in ("email", "username"):
            if credentials.get(name):
                credentials[name] = email_lookup_key(credentials[name])
        return super().authenticate(request, **credentials)

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return settings.ACCOUNT_ALLOW_SIGNUP

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        # "/" sends the user to their last workspace, or offers to create one.
        return "/"


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
