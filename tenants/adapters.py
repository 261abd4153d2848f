from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from django.conf import settings
from django.http import Http404, HttpRequest

from invoiceflow.client_ip import client_ip

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
        return bool(verified) and verified.lower() == email.lower()

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return settings.ACCOUNT_ALLOW_SIGNUP

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        # "/" sends the user to their last workspace, or offers to create one.
        return "/"

    def get_client_ip(self, request: HttpRequest) -> str:
        # allauth's rate limits (login, sign-up, password reset) key on this: the address the
        # ASGI app resolved from the trusted proxies, never allauth's own reading of headers.
        return client_ip(request)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def get_app(self, request: HttpRequest, provider: str, client_id: str | None = None) -> SocialApp:
        # A provider with no client id/secret is switched off: its URLs are a 404, not a crash.
        try:
            return super().get_app(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist:
            raise Http404("This sign-in method is not configured.") from None

    def is_open_for_signup(self, request: HttpRequest, sociallogin: object) -> bool:
        return settings.ACCOUNT_ALLOW_SIGNUP
