"""Account changes that end a user's API tokens, handed to the services that do it.

Connected in TenantsConfig.ready(). Each receiver only calls a service.

- Password changed, set or reset through allauth: the token stamp has already moved with the
  password hash (tenants/token_revocation.py); these record it, and a reset by email forgives
  the failed sign-ins from that address.
- Two-factor: allauth's own signals are sent after commit and only by its pages, so a crash in
  between, or staff deleting an authenticator in the admin, would leave tokens alive. The
  Authenticator model's own signals fire for every add and delete (recovery codes regenerated
  are a delete and an add), inside the transaction that makes the change.
"""

from __future__ import annotations

from typing import Any

from allauth.account import signals as account_signals
from allauth.core import context
from allauth.mfa.models import Authenticator
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest

from tenants.auth_guard import signin_failures_forgive
from tenants.models import User
from tenants.token_revocation import api_tokens_revoke, api_tokens_revoked_by_password

_PASSWORD_REASONS = {
    account_signals.password_changed: "password changed",
    account_signals.password_set: "password set",
    account_signals.password_reset: "password reset by email",
}


def _password_changed(signal: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    api_tokens_revoked_by_password(user=user, reason=_PASSWORD_REASONS[signal], request=request)
    if signal is account_signals.password_reset:
        signin_failures_forgive(request=request, user=user)


def _authenticator_added(instance: Authenticator, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if created and not raw:  # later saves only record a use
        _authenticator_changed(instance, "added")


def _authenticator_removed(instance: Authenticator, **kwargs: Any) -> None:
    _authenticator_changed(instance, "removed")


def _authenticator_changed(authenticator: Authenticator, change: str) -> None:
    user = User.objects.filter(pk=authenticator.user_id).first()
    if user is None:  # the user is being deleted, and their authenticators with them
        return
    api_tokens_revoke(
        user=user,
        reason=f"two-factor {authenticator.get_type_display()} {change}",
        request=context.request,
    )


def connect() -> None:
    for signal, reason in _PASSWORD_REASONS.items():
        signal.connect(_password_changed, dispatch_uid=f"tenants-tokens: {reason}")
    post_save.connect(_authenticator_added, sender=Authenticator, dispatch_uid="tenants-tokens: mfa added")
    post_delete.connect(
        _authenticator_removed, sender=Authenticator, dispatch_uid="tenants-tokens: mfa removed"
    )
