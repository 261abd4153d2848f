"""Links to the client's public invoice page (`/i/<token>`).

Two tables, because the public request arrives with no tenant:

- `InvoiceLink` (tenant-owned, behind row-level security) is the link itself: which invoice,
  who issued it, when it expires, when it was revoked, when the client first opened it.
- `PublicInvoiceLink` is the index the public request needs before it can know the tenant:
  sha256(token) → (tenant, link public id). It holds no invoice data and no secret: the token
  itself is never stored, only its hash, and a hash of a 256-bit random token cannot be turned
  back into a working link. It is behind row-level security like every table with a tenant;
  the request finds its row through the lookup door `lookup_door_public_invoice_link`
  (tenants/doors.py: the exact hash in, tenant and row id out), then reads everything inside
  the tenant's scope, where the tenant-owned `InvoiceLink` is checked again (revoked, expired).

Both were rows of the `invoices` app until the portal became its own app, and keep its tables
(`Meta.db_table`; portal/migrations/0001_initial moved them in the migration state).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from tenants.models import new_public_id
from tenants.scoping import TenantOwnedModel


def _link_id() -> str:
    return new_public_id("lnk")


class InvoiceLink(TenantOwnedModel):
    public_id = models.CharField(max_length=32, unique=True, default=_link_id, editable=False)
    invoice = models.ForeignKey("invoices.Invoice", on_delete=models.CASCADE, related_name="links")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Set once, by the first view of someone who is not a member of the tenant.
    first_viewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "invoices_invoicelink"
        ordering = ["-created_at", "-pk"]
        constraints = [
            # Issuing a new link revokes the old one: at most one live link per invoice.
            models.UniqueConstraint(
                fields=["invoice"], condition=models.Q(revoked_at__isnull=True), name="invoice_link_one_live"
            )
        ]

    def __str__(self) -> str:
        return f"link {self.public_id} ({'revoked' if self.revoked_at else 'live'})"

    def is_live(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now


class PublicInvoiceLink(models.Model):
    """Token hash → tenant and link id, found through its lookup door. See the module docstring."""

    token_hash = models.CharField(max_length=64, unique=True)
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    # A plain string, not a foreign key: a platform table must not point into a tenant-owned one.
    link_public_id = models.CharField(max_length=32, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "invoices_publicinvoicelink"

    def __str__(self) -> str:
        return f"public link {self.link_public_id}"


def _sign_in_id() -> str:
    return new_public_id("psi")


class PortalSignIn(TenantOwnedModel):
    """A magic sign-in link of the client portal, for one contact: short-lived, single use.

    Only the sha256 of the token is stored; the sign-in request finds its row (and so its
    workspace) through the lookup door `lookup_door_portal_sign_in`, and claims it with a
    conditional UPDATE (`used_at IS NULL`), so two uses at once sign in once.
    """

    public_id = models.CharField(max_length=32, unique=True, default=_sign_in_id, editable=False)
    contact = models.ForeignKey("invoices.ClientContact", on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"portal sign-in {self.public_id}"
