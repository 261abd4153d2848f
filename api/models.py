"""API credentials and idempotency records.

`ApiKey` is not a TenantOwnedModel (its default manager is plain) but it is behind row-level
security like every table with a tenant: a request presents a key before anyone knows its
tenant, so authentication asks the lookup door `lookup_door_api_key` (tenants/doors.py) for the
key's tenant by prefix and hash, then reads the key inside that tenant's scope. Selectors list
keys filtered on the tenant explicitly (tests cover it), since no scoped manager does it here.

`IdempotencyRecord` is tenant-owned (row-level security applies): it is read and written only
after authentication, inside the credential's tenant scope, and it stores response bodies that
are tenant data.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from tenants.models import Role, new_public_id
from tenants.scoping import TenantOwnedModel


def _api_key_public_id() -> str:
    return new_public_id("key")


class ApiKey(models.Model):
    """A tenant's server-to-server credential: `ifk_<prefix>_<secret>`, shown once.

    Only the SHA-256 of the whole key is stored. A fast hash is enough here (unlike passwords):
    the secret is 32 random bytes (256 bits), so there is no dictionary to try and no feasible
    brute force, and a slow hash would only add latency to every API call. The prefix is
    random too, unique, and indexed: it finds the row without scanning; the hash comparison
    is constant-time.
    """

    public_id = models.CharField(max_length=32, unique=True, default=_api_key_public_id, editable=False)
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="api_key_tenant_created")]

    def __str__(self) -> str:
        return f"{self.name} (ifk_{self.prefix}_…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotencyRecord(TenantOwnedModel):
    """The first response to a POST carrying an `Idempotency-Key`, per credential and key.

    Inserted *before* the work is done, inside the request's transaction; the unique
    constraint is what serializes concurrent replays (see api/idempotency.py).
    """

    credential = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "credential", "key"], name="idempotency_credential_key_unique"
            )
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]
