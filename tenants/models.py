from __future__ import annotations

import re
import secrets
import zoneinfo
from typing import Any, ClassVar

from babel import Locale
from babel.core import UnknownLocaleError
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.emails import email_lookup_key, normalize_email_address
from tenants.scoping import TenantOwnedModel


def new_public_id(prefix: str) -> str:
    """An opaque, unguessable id for URLs: `ten_3kTMd9...` (never a sequential key)."""
    return f"{prefix}_{secrets.token_urlsafe(12)}"


def _tenant_public_id() -> str:
    return new_public_id("ten")


def _invitation_public_id() -> str:
    return new_public_id("inv")


def _membership_public_id() -> str:
    return new_public_id("mem")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        """The one spelling of the address (tenants.emails); raises ValidationError on a domain
        that is no valid internationalised domain name."""
        return normalize_email_address(email or "")

    def get_by_natural_key(self, username: str | None) -> User:
        # The login door of Django's own backend (ModelBackend, the API's token endpoint): any
        # spelling of the address finds its account.
        return self.get(email=email_lookup_key(username or ""))

    def _create(self, email: str, password: str | None, **fields: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        """`manage.py createsuperuser`: whoever runs it holds the server, so the address they type
        counts as verified (allauth would otherwise keep them out of /admin/ until they find a
        confirmation link on the console). Accounts made through sign-up still verify by email."""
        from allauth.account.models import EmailAddress

        fields.update(is_staff=True, is_superuser=True)
        user = self._create(email, password, **fields)
        EmailAddress.objects.db_manager(self._db).update_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )
        return user


class User(AbstractBaseUser, PermissionsMixin):
    """A person. The email address is the login; tenants come through memberships."""

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    is_staff = models.BooleanField(
        _("platform staff"), default=False, help_text=_("Can log into the platform admin.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # The tenant the user last worked in, so "/" can take them back there.
    last_tenant = models.ForeignKey(
        "tenants.Tenant", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Part of the stamp every API token carries (tenants/token_revocation.py): bumping it ends
    # every API token the user holds, at once.
    api_token_generation = models.PositiveIntegerField(default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.email

    @classmethod
    def normalize_username(cls, username: str) -> str:
        # AbstractBaseUser.clean() calls this on the login field (the email): the admin's add
        # and change forms normalise it before their uniqueness check, as every other door does.
        return normalize_email_address(username) if isinstance(username, str) else username

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


def validate_country(value: str) -> None:
    if value not in Locale("en").territories or not value.isalpha() or len(value) != 2:
        raise ValidationError(_("%(value)s is not an ISO 3166 country code."), params={"value": value})


def validate_currency(value: str) -> None:
    if value not in Locale("en").currencies or len(value) != 3:
        raise ValidationError(_("%(value)s is not an ISO 4217 currency code."), params={"value": value})


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


def validate_locale(value: str) -> None:
    try:
        Locale.parse(value.replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):  # "chart_currencies" is no locale: a 400, not a 500
        raise ValidationError(_("%(value)s is not a known locale."), params={"value": value}) from None


_BRAND_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
# What the workspace's documents print in until it chooses a colour.
DEFAULT_BRAND_COLOR = "#1f3a8a"


def validate_brand_color(value: str) -> None:
    if not _BRAND_COLOR.fullmatch(value):
        raise ValidationError(_("Enter a colour as #RRGGBB."))


class Tenant(models.Model):
    """A business using InvoiceFlow: a freelancer or an agency."""

    public_id = models.CharField(max_length=32, unique=True, default=_tenant_public_id, editable=False)
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("address"), max_length=50, unique=True)
    country = models.CharField(_("country"), max_length=2, validators=[validate_country])
    default_currency = models.CharField(_("default currency"), max_length=3, validators=[validate_currency])
    locale = models.CharField(_("locale"), max_length=16, default="en", validators=[validate_locale])
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    # Branding of the documents the tenant sends (PDF invoices): an accent colour and a logo.
    brand_color = models.CharField(
        _("brand colour"), max_length=7, blank=True, validators=[validate_brand_color]
    )
    logo = models.ImageField(_("logo"), upload_to="branding/", blank=True)
    # Factur-X (the invoice PDF with its EN 16931 XML inside): None = on for sellers in the EU.
    facturx = models.BooleanField(_("Factur-X PDF"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def document_brand_color(self) -> str:
        """The colour its documents print in. Checked again here, not only on save: it is
        written into the PDF's stylesheet, so a row changed behind validation cannot inject CSS."""
        return self.brand_color if _BRAND_COLOR.fullmatch(self.brand_color or "") else DEFAULT_BRAND_COLOR


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    MEMBER = "member", _("Member")
    VIEWER = "viewer", _("Viewer")


# Higher rank = more power. Used for "may X act on Y" comparisons in tenants.roles.
ROLE_RANK = {Role.VIEWER: 0, Role.MEMBER: 1, Role.ADMIN: 2, Role.OWNER: 3}


class Membership(models.Model):
    """A user's place in a tenant.

    No scoped manager (a user lists their own across tenants), but behind row-level security:
    a workspace's memberships are read inside its scope, a user's own across workspaces inside
    `tenants.scoping.user_scope` (read only); see tenants/selectors.py.
    """

    public_id = models.CharField(max_length=32, unique=True, default=_membership_public_id, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "tenant"], name="membership_user_tenant_unique")
        ]
        ordering = ["tenant__name"]

    def __str__(self) -> str:
        return f"{self.user} in {self.tenant} ({self.role})"


class Invitation(TenantOwnedModel):
    """An emailed offer to join a tenant. The link carries a signed token (see services)."""

    public_id = models.CharField(max_length=32, unique=True, default=_invitation_public_id, editable=False)
    email = models.EmailField(_("email address"))
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # Bumped by every resend: older links stop working.
    token_nonce = models.CharField(max_length=64, default=secrets.token_hex, editable=False)
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One live invitation per address and tenant; accepted/revoked ones stay as history.
            models.UniqueConstraint(
                "tenant",
                Lower("email"),
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_pending_per_email",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.tenant_id}"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def state(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        return "expired" if self.is_expired else "pending"


# Sign-in attempts and credential revocations, for every way in (tenants/auth_models.py).
from tenants.auth_models import AuthEvent  # noqa: E402, F401
