"""The sign-in audit: one row per attempt on each way in, and per revocation of API tokens.

About accounts, not workspaces: not tenant-owned (an attempt on an unknown address belongs to
no one). It holds no password, code or token: the door, the outcome, the account when known,
the address, the user agent and a short reason.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuthEvent(models.Model):
    class Door(models.TextChoices):
        WEB = "web", _("Web sign-in")
        WEB_MFA = "web_mfa", _("Web two-factor step")
        WEB_REAUTH = "web_reauth", _("Web re-authentication")
        API_TOKEN = "api_token", _("API token")
        API_REFRESH = "api_refresh", _("API token refresh")
        API_LOGOUT = "api_logout", _("API sign-out")
        ACCOUNT = "account", _("Account change")

    class Outcome(models.TextChoices):
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        MFA_REQUIRED = "mfa_required", _("Password right, two-factor code next")
        THROTTLED = "throttled", _("Refused: too many failures")
        TOKENS_REVOKED = "tokens_revoked", _("API tokens revoked")

    at = models.DateTimeField(default=timezone.now, db_index=True)
    door = models.CharField(max_length=16, choices=Door.choices)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["user", "-at"], name="authevent_user_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.door} {self.outcome}"
