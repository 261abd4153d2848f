"""Writes for API keys. Keys are created and revoked by owners and admins, signed in as
themselves (never by another key: a leaked key must not be able to mint its successor)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import ApiKey
from core.errors import ApplicationError
from tenants.doors import door_find
from tenants.models import Membership, Role
from tenants.permissions import has_role, require_role
from tenants.scoping import tenant_scope

KEY_PREFIX = "ifk_"
# last_used_at is a hint for people, not an audit log: write it at most once a minute per key.
LAST_USED_RESOLUTION = timedelta(seconds=60)


@dataclass(frozen=True)
class CreatedKey:
    api_key: ApiKey
    secret: str  # the whole key; shown once, never stored


def hash_secret(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def parse_key(raw_key: str) -> tuple[str, str] | None:
    """("prefix", raw_key) for a well-formed key, else None."""
    if not raw_key.startswith(KEY_PREFIX):
        return None
    prefix, sep, secret = raw_key[len(KEY_PREFIX) :].partition("_")
    if not sep or not prefix or not secret or len(prefix) > 16:
        return None
    return prefix, raw_key


def _check_manager(actor: Membership) -> None:
    if not isinstance(actor, Membership):
        raise ApplicationError(_("API keys are managed by people, not by other keys."), code="forbidden")
    require_role(actor, Role.ADMIN, message=_("Only owners and admins can manage API keys."))


@transaction.atomic
def api_key_create(*, actor: Membership, name: str, role: str = Role.MEMBER) -> CreatedKey:
    """A new key for the actor's tenant, with a role no higher than the actor's."""
    _check_manager(actor)
    name = (name or "").strip()
    if not name:
        raise ApplicationError(_("Name the key (what will use it?)."), field="name")
    if len(name) > 100:
        raise ApplicationError(_("Keep the name under 100 characters."), field="name")
    if role not in Role.values:
        raise ApplicationError(_("Choose a valid role."), field="role")
    if not has_role(actor, role):
        raise ApplicationError(_("A key cannot have more rights than you."), field="role")
    prefix = secrets.token_hex(4)
    raw_key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(
        tenant=actor.tenant,
        name=name,
        role=role,
        prefix=prefix,
        secret_hash=hash_secret(raw_key),
        created_by=actor.user,
    )
    return CreatedKey(api_key=api_key, secret=raw_key)


@transaction.atomic
def api_key_revoke(*, actor: Membership, api_key: ApiKey | str) -> ApiKey:
    _check_manager(actor)
    public_id = api_key.public_id if isinstance(api_key, ApiKey) else api_key
    found = ApiKey.objects.select_for_update().filter(tenant=actor.tenant, public_id=public_id).first()
    if found is None:
        raise ApplicationError(_("No such API key."), code="not_found")
    if found.revoked_at is None:
        found.revoked_at = timezone.now()
        found.save(update_fields=["revoked_at"])
    return found


def api_key_authenticate(*, raw_key: str) -> ApiKey | None:
    """The active key `raw_key` names, or None. Touches last_used_at (coarsely)."""
    parsed = parse_key(raw_key)
    if parsed is None:
        return None
    prefix, _raw = parsed
    secret_hash = hash_secret(raw_key)
    # The key comes before its tenant: the lookup door matches prefix *and* hash, and answers
    # the tenant and the row's id only. The row itself is read inside that tenant's scope.
    match = door_find("lookup_door_api_key", prefix, secret_hash)
    if match is None:
        return None
    with tenant_scope(match.tenant):
        found = ApiKey.objects.select_related("tenant").filter(pk=match.row_id).first()
        if found is None or not hmac.compare_digest(found.secret_hash, secret_hash):
            return None
        if found.revoked_at is not None:
            return None
        now = timezone.now()
        if found.last_used_at is None or now - found.last_used_at >= LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=found.pk).update(last_used_at=now)
            found.last_used_at = now
    return found
