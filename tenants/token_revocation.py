"""The API tokens a person holds, and how they end before they expire.

Every API token (api/tokens.py) carries a *stamp*: a keyed hash of the user's password hash
and their `api_token_generation`. A token whose stamp is not the user's current one is refused
on refresh and on every request, so an access token dies with its refresh token, at once:

- a password change, set or reset changes the stamp by itself, wherever it happens (allauth's
  pages, the admin, a shell);
- `api_tokens_revoke` bumps the generation: API sign-out, two-factor added, removed or reset;
- a membership removal needs nothing here: a token names its membership, which is gone (a
  re-invitation makes another), while the user's tokens for other workspaces keep working.

Signing out of the web ends that browser's session only, as GitHub or Google do: API tokens
are separate credentials a script holds, and `POST /api/v1/auth/logout/` or a password change
ends them.

Why not simplejwt's token_blacklist app: a row per issued refresh token, access tokens left
alive until they expire, a clean-up job. Why not its CHECK_REVOKE_TOKEN: the password alone,
as an unkeyed MD5 of the hash in a token anyone can read. One integer column and one claim
cover every case here.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare, salted_hmac

from tenants.auth_guard import Door, Outcome, auth_event_record
from tenants.models import User

_STAMP_SALT = "invoiceflow.api-token-stamp"


def api_token_stamp(user: User) -> str:
    value = f"{user.password}:{user.api_token_generation}"
    return salted_hmac(_STAMP_SALT, value, algorithm="sha256").hexdigest()[:32]


def api_token_stamp_is_current(user: User, stamp: Any) -> bool:
    return isinstance(stamp, str) and constant_time_compare(stamp, api_token_stamp(user))


def api_tokens_revoke(
    *, user: User, reason: str, request: HttpRequest | None, door: str = Door.ACCOUNT
) -> None:
    """End every API token `user` holds, in every workspace. API keys are not affected."""
    # F() + 1: two revocations at once both count; neither can undo the other.
    User.objects.filter(pk=user.pk).update(api_token_generation=F("api_token_generation") + 1)
    user.refresh_from_db(fields=["api_token_generation"])
    auth_event_record(request=request, door=door, outcome=Outcome.TOKENS_REVOKED, user=user, detail=reason)


def api_tokens_revoked_by_password(*, user: User, reason: str, request: HttpRequest | None) -> None:
    """The password changed: the stamp already changed with it; record that the tokens ended."""
    auth_event_record(
        request=request, door=Door.ACCOUNT, outcome=Outcome.TOKENS_REVOKED, user=user, detail=reason
    )
