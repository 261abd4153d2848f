"""The people at a client: who receives invoices and quotes, and whom the emails greet."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from invoices.models.catalog import Client
from tenants.models import new_public_id, validate_locale
from tenants.scoping import TenantOwnedModel


def _contact_id() -> str:
    return new_public_id("con")


class ClientContact(TenantOwnedModel):
    """A person at a client. At most one per client is primary (a database constraint): the one
    emails go to and greet when nobody else is chosen."""

    public_id = models.CharField(max_length=32, unique=True, default=_contact_id, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), max_length=254)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    role = models.CharField(_("role"), max_length=100, blank=True, help_text=_("Accounting, manager…"))
    # Blank: the client's language.
    language = models.CharField(_("language"), max_length=16, blank=True, validators=[validate_locale])
    is_primary = models.BooleanField(_("primary contact"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-is_primary", "name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["client"], condition=models.Q(is_primary=True), name="client_contact_one_primary"
            ),
            models.UniqueConstraint(fields=["client", "email"], name="client_contact_email_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    @property
    def effective_language(self) -> str:
        return self.language or self.client.language
