"""allauth's two-factor code forms, behind the sign-in guard (tenants/auth_guard.py).

A wrong TOTP or recovery code is a failure like a wrong password, counted on the same keys,
so the six-digit code cannot be guessed faster than a password (MFA_FORMS in settings).
"""

from __future__ import annotations

from collections.abc import Callable

from allauth.core import context
from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from django import forms

from tenants.auth_guard import Door, SignInAttempt, SignInThrottled, signin_attempt_begin


def _guarded_clean_code(
    form: AuthenticateForm | ReauthenticateForm, parent_clean_code: Callable[[], str], door: str
) -> tuple[str, SignInAttempt]:
    try:
        attempt = signin_attempt_begin(request=context.request, door=door, login=form.user.email)
    except SignInThrottled as refusal:
        raise forms.ValidationError(refusal.message, code="too_many_login_attempts") from None
    try:
        code = parent_clean_code()
    except forms.ValidationError:
        attempt.failed(user=form.user, detail="wrong two-factor code")
        raise
    return code, attempt


class GuardedAuthenticateForm(AuthenticateForm):
    def clean_code(self) -> str:
        code, attempt = _guarded_clean_code(self, super().clean_code, Door.WEB_MFA)
        # The sign-in completes in the adapter's post_login, which forgets the failures.
        attempt.passed()
        return code


class GuardedReauthenticateForm(ReauthenticateForm):
    def clean_code(self) -> str:
        code, attempt = _guarded_clean_code(self, super().clean_code, Door.WEB_REAUTH)
        attempt.succeeded(user=self.user, detail="two-factor code")
        return code
