"""The claims our JWTs carry, and the one check every use of a token makes.

A token pair is issued for one membership: `tenant` (the workspace's public id), `membership`
(the membership's public id) and `stamp` (tenants/token_revocation.py). On refresh and on every
request the membership must still exist — a removed member's tokens stop at once, and a
re-invited one's old tokens never come back, since a new membership has a new id — and the
stamp must be the user's current one (no password, two-factor or API sign-out since).
"""

from __future__ import annotations

import re

from django.conf import settings
from rest_framework_simplejwt.tokens import RefreshToken, Token

from tenants.models import Membership, Tenant, User
from tenants.selectors import user_membership_in
from tenants.token_revocation import api_token_stamp, api_token_stamp_is_current

TENANT_CLAIM = "tenant"
MEMBERSHIP_CLAIM = "membership"
STAMP_CLAIM = "stamp"


class TokenRevoked(Exception):
    def __init__(self, message: str, *, user: User | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.user = user


def token_pair_issue(*, membership: Membership) -> RefreshToken:
    """A refresh token (and, through `.access_token`, an access token with the same claims)."""
    refresh = RefreshToken.for_user(membership.user)
    refresh[TENANT_CLAIM] = membership.tenant.public_id
    refresh[MEMBERSHIP_CLAIM] = membership.public_id
    refresh[STAMP_CLAIM] = api_token_stamp(membership.user)
    return refresh


_USER_ID_DIGITS = re.compile(r"[0-9]{1,19}")


def token_user_id(token: Token) -> int | None:
    """The user id a token's claim names, or None when the claim is no id.

    Our tokens carry the id as digits (`RefreshToken.for_user`). A token signed with our key
    around "", "²", inf or a list made lookups raise (a 500), so anything else names no user."""
    user_id = token.get(str(settings.SIMPLE_JWT.get("USER_ID_CLAIM", "user_id")))
    if type(user_id) is int:
        return user_id
    if isinstance(user_id, str) and _USER_ID_DIGITS.fullmatch(user_id):
        return int(user_id)
    return None


def token_user(token: Token) -> User | None:
    """The user a validly signed token names, if they still exist."""
    user_id = token_user_id(token)
    return User.objects.filter(pk=user_id).first() if user_id is not None else None


def token_membership(token: Token, *, user: User | None = None) -> Membership:
    """The live membership a validly signed token acts through, or TokenRevoked.

    `user` is the token's user when the caller has loaded it already (simplejwt's
    authentication does)."""
    membership_id, tenant_id = token.get(MEMBERSHIP_CLAIM), token.get(TENANT_CLAIM)
    if not isinstance(membership_id, str) or not isinstance(tenant_id, str):
        raise TokenRevoked("This token is from an older version of the API: sign in again.")
    user = user or token_user(token)
    if user is None or not user.is_active:
        raise TokenRevoked("This account no longer exists or is deactivated.", user=user)
    # Read inside the workspace's scope (memberships are behind row-level security); the
    # membership's own id must match, so one re-created after a removal does not revive the token.
    membership = user_membership_in(
        user_id=user.pk, tenant=Tenant.objects.filter(public_id=tenant_id).first()
    )
    if membership is None or membership.public_id != membership_id:
        raise TokenRevoked("You are no longer a member of this workspace.", user=user)
    if not api_token_stamp_is_current(user, token.get(STAMP_CLAIM)):
        raise TokenRevoked(
            "This token was revoked (password or two-factor change, or API sign-out): sign in again.",
            user=user,
        )
    membership.user = user
    return membership
