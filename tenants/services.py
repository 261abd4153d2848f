"""Writes for tenants, memberships and invitations."""

from __future__ import annotations

import hashlib
import io
import logging
import secrets
from datetime import timedelta

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageOps

from core.errors import ApplicationError
from tenants import roles
from tenants.auth_guard import auth_event_record
from tenants.emails import normalize_email_address, same_address
from tenants.models import AuthEvent, Invitation, Membership, Role, Tenant, User
from tenants.permissions import require_role
from tenants.scoping import tenant_scope, user_scope
from tenants.signals import document_details_changed

logger = logging.getLogger(__name__)

INVITATION_LIFETIME = timedelta(days=7)
_INVITATION_SALT = "tenants.invitation"

LOGO_MAX_BYTES = 1024 * 1024
# A logo prints at most 18 mm high; this is far more than that needs, and bounds the memory
# decoding an upload can take (a small PNG can claim huge dimensions).
LOGO_MAX_SIDE = 5000
# Recognised by their first bytes, never by the file's name or declared type. SVG is not
# accepted: it is a document that can carry scripts and links, not a picture.
_LOGO_SIGNATURES = {b"\x89PNG\r\n\x1a\n": ("PNG", "png"), b"\xff\xd8\xff": ("JPEG", "jpg")}


def _raise_validation(error: ValidationError) -> None:
    field, messages = next(iter(error.message_dict.items()))
    raise ApplicationError(messages[0], field=None if field == "__all__" else field) from error


def _unique_slug(name: str) -> str:
    base = slugify(name)[:40] or "workspace"
    slug, n = base, 1
    while Tenant.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def tenant_create(
    *,
    owner: User,
    name: str,
    country: str,
    default_currency: str,
    locale: str = "en",
    time_zone: str = "UTC",
    slug: str | None = None,
) -> Tenant:
    """Create a workspace with `owner` as its first owner."""
    tenant = Tenant(
        name=name.strip(),
        slug=slug or _unique_slug(name),
        country=country.upper(),
        default_currency=default_currency.upper(),
        locale=locale,
        time_zone=time_zone,
    )
    try:
        tenant.full_clean()
    except ValidationError as error:
        _raise_validation(error)
    tenant.save()
    with tenant_scope(tenant):
        Membership.objects.create(user=owner, tenant=tenant, role=Role.OWNER)
    owner.last_tenant = tenant
    owner.save(update_fields=["last_tenant"])
    return tenant


# --- invitations ------------------------------------------------------------------------------


def invitation_token(invitation: Invitation) -> str:
    """A signed, timestamped token naming the invitation and the nonce of its latest send."""
    return signing.dumps(
        {"t": invitation.tenant_id, "i": invitation.public_id, "n": invitation.token_nonce},
        salt=_INVITATION_SALT,
        compress=True,
    )


def _queue_invitation_email(invitation: Invitation) -> None:
    from tenants.tasks import send_invitation_email

    tenant_id, invitation_id = invitation.tenant_id, invitation.pk
    transaction.on_commit(
        lambda: send_invitation_email.delay(tenant_id=tenant_id, invitation_id=invitation_id)
    )


def invitation_create(*, actor: Membership, email: str, role: str) -> Invitation:
    """Invite `email` into the actor's tenant (the current scope) and email the link."""
    require_role(actor, Role.ADMIN, message=_("Only owners and admins can invite people."))
    if role not in Role.values:
        raise ApplicationError(_("Choose a valid role."), field="role")
    if not roles.can_assign_role(actor, role):
        raise ApplicationError(_("You cannot invite someone as %(role)s.") % {"role": role}, field="role")
    try:
        email = normalize_email_address(email)
    except ValidationError as error:
        raise ApplicationError(error.messages[0], field="email") from None
    if Membership.objects.filter(tenant=actor.tenant, user__email=email).exists():
        raise ApplicationError(_("%(email)s is already a member.") % {"email": email}, field="email")
    now = timezone.now()
    invitation = Invitation(
        email=email, role=role, invited_by=actor.user, sent_at=now, expires_at=now + INVITATION_LIFETIME
    )
    try:
        invitation.full_clean(exclude=["tenant"])
        with transaction.atomic():
            invitation.save()
    except ValidationError as error:
        _raise_validation(error)
    except IntegrityError:
        raise ApplicationError(
            _("%(email)s already has a pending invitation: resend it instead.") % {"email": email},
            field="email",
        ) from None
    _queue_invitation_email(invitation)
    return invitation


def _locked_pending_invitation(*, actor: Membership, invitation: Invitation) -> Invitation:
    if invitation.tenant_id != actor.tenant_id:
        raise ApplicationError(_("No such invitation."))
    # Locked so a resend or revoke cannot interleave with someone accepting the link.
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not locked.is_pending:
        raise ApplicationError(_("This invitation was already %(state)s.") % {"state": locked.state})
    return locked


@transaction.atomic
def invitation_resend(*, actor: Membership, invitation: Invitation) -> Invitation:
    """Send a fresh link that lives another week; links sent before it stop working."""
    require_role(actor, Role.ADMIN, message=_("Only owners and admins can resend invitations."))
    invitation = _locked_pending_invitation(actor=actor, invitation=invitation)
    now = timezone.now()
    invitation.token_nonce = secrets.token_hex()
    invitation.sent_at = now
    invitation.expires_at = now + INVITATION_LIFETIME
    invitation.save(update_fields=["token_nonce", "sent_at", "expires_at"])
    _queue_invitation_email(invitation)
    return invitation


@transaction.atomic
def invitation_revoke(*, actor: Membership, invitation: Invitation) -> Invitation:
    require_role(actor, Role.ADMIN, message=_("Only owners and admins can revoke invitations."))
    invitation = _locked_pending_invitation(actor=actor, invitation=invitation)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    return invitation


INVALID_INVITATION = "This invitation link is invalid, has expired or was already used."


def invitation_from_token(token: str) -> Invitation:
    """The pending invitation a link names, or ApplicationError. Enters no scope itself."""
    try:
        data = signing.loads(token, salt=_INVITATION_SALT, max_age=INVITATION_LIFETIME)
        tenant = Tenant.objects.get(pk=data["t"])
    except (signing.BadSignature, Tenant.DoesNotExist, KeyError, TypeError):
        raise ApplicationError(_(INVALID_INVITATION)) from None
    # The token is signed, so its tenant id can be trusted to choose the scope.
    with tenant_scope(tenant):
        invitation = Invitation.objects.select_related("tenant").filter(public_id=data["i"]).first()
    if (
        invitation is None
        or invitation.token_nonce != data.get("n")
        or not invitation.is_pending
        or invitation.is_expired
    ):
        raise ApplicationError(_(INVALID_INVITATION))
    return invitation


def invitation_accept(*, token: str, user: User) -> Membership:
    """Join the tenant as the invited role. The signed-in user's email must be the invited one."""
    invitation = invitation_from_token(token)
    if not same_address(user.email, invitation.email):
        raise ApplicationError(
            _("This invitation was sent to %(invited)s, but you are signed in as %(current)s.")
            % {"invited": invitation.email, "current": user.email}
        )
    with tenant_scope(invitation.tenant):
        # Lock the row so two clicks on the same link cannot both accept it.
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if not locked.is_pending or locked.is_expired:
            raise ApplicationError(_(INVALID_INVITATION))
        membership, _created = Membership.objects.get_or_create(
            user=user, tenant=locked.tenant, defaults={"role": locked.role}
        )
        locked.accepted_at = timezone.now()
        locked.accepted_by = user
        locked.save(update_fields=["accepted_at", "accepted_by"])
    user.last_tenant = membership.tenant
    user.save(update_fields=["last_tenant"])
    return membership


# --- memberships ----------------------------------------------------------------------------


def _lock_memberships(*, actor: Membership, membership: Membership) -> tuple[Membership, Membership]:
    """Serialize membership changes within a tenant and re-read both sides under the lock.

    The race: two owners demote (or remove) each other at the same moment. Each request read
    "two owners" before either wrote, so both writes pass the last-owner check and the
    workspace is left with none. Locking the tenant row makes every role change and removal in
    one workspace wait for the previous one to commit; re-reading the actor and the target
    after the lock means the checks below see the roles as they are now, not as they were
    when the request started (the actor may have just lost the right to act).
    """
    if membership.tenant_id != actor.tenant_id:
        raise ApplicationError(_("No such member."))
    Tenant.objects.select_for_update().filter(pk=actor.tenant_id).values_list("pk").get()
    fresh = Membership.objects.filter(tenant_id=actor.tenant_id).in_bulk([actor.pk, membership.pk])
    if actor.pk not in fresh or membership.pk not in fresh:
        raise ApplicationError(_("No such member."))
    actor.role = fresh[actor.pk].role
    membership.role = fresh[membership.pk].role
    return actor, membership


def _owner_count(tenant_id: int) -> int:
    return Membership.objects.filter(tenant_id=tenant_id, role=Role.OWNER).count()


@transaction.atomic
def membership_change_role(*, actor: Membership, membership: Membership, role: str) -> Membership:
    if role not in Role.values:
        raise ApplicationError(_("Choose a valid role."), field="role")
    actor, membership = _lock_memberships(actor=actor, membership=membership)
    if not roles.can_act_on(actor, membership.role) or not roles.can_assign_role(actor, role):
        raise ApplicationError(_("You do not have permission to give this role."))
    if membership.role == role:
        return membership
    demoting_an_owner = membership.role == Role.OWNER and role != Role.OWNER
    if demoting_an_owner and _owner_count(membership.tenant_id) <= 1:
        raise ApplicationError(_("A workspace needs at least one owner: promote someone else first."))
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, actor: Membership, membership: Membership) -> Membership:
    """Remove a member, or leave when `membership` is the actor's own. Returns the removed row."""
    actor, membership = _lock_memberships(actor=actor, membership=membership)
    leaving = membership.pk == actor.pk
    if not leaving and not roles.can_act_on(actor, membership.role):
        raise ApplicationError(_("You do not have permission to remove this member."))
    if membership.role == Role.OWNER and _owner_count(membership.tenant_id) <= 1:
        raise ApplicationError(_("The last owner cannot leave: make someone else an owner first."))
    membership.delete()
    # API tokens name their membership (api/tokens.py): from now on they are refused here.
    auth_event_record(
        request=None,
        door=AuthEvent.Door.ACCOUNT,
        outcome=AuthEvent.Outcome.TOKENS_REVOKED,
        user=membership.user,
        detail=f"{'left' if leaving else 'removed from'} workspace {membership.tenant.slug}",
    )
    return membership


@transaction.atomic
def user_delete(*, user: User) -> None:
    """Delete an account (platform admin). Each of its memberships is deleted inside its own
    workspace's scope: row-level security shows a workspace's memberships nowhere else, so
    Django's cascade from the user alone would miss them."""
    with user_scope(user.pk):
        tenants = [
            membership.tenant for membership in Membership.objects.filter(user=user).select_related("tenant")
        ]
    for tenant in tenants:
        with tenant_scope(tenant):
            Membership.objects.filter(tenant=tenant, user=user).delete()
    user.delete()


@transaction.atomic
def tenant_update(
    *,
    actor: Membership,
    name: str,
    country: str,
    default_currency: str,
    locale: str,
    time_zone: str,
    facturx: bool | None = None,
) -> Tenant:
    """`facturx`: Factur-X PDFs for the workspace's invoices (None: on for sellers in the EU)."""
    require_role(actor, Role.ADMIN, message=_("Only owners and admins can change workspace settings."))
    # A fresh copy: a rejected edit must not leave half-applied values on the request's tenant.
    tenant = Tenant.objects.select_for_update().get(pk=actor.tenant_id)
    tenant.name = name.strip()
    tenant.country = country.upper()
    tenant.default_currency = default_currency.upper()
    tenant.locale = locale
    tenant.time_zone = time_zone
    tenant.facturx = facturx
    try:
        tenant.full_clean()
    except ValidationError as error:
        _raise_validation(error)
    tenant.save()
    document_details_changed.send(sender=Tenant, tenant=tenant)
    return tenant


def _checked_logo(upload: File) -> tuple[bytes, str]:
    """The logo to store (re-encoded, see `_reencoded_logo`) and its file extension, once the
    upload is known to be a PNG or JPEG that Pillow can decode; else an ApplicationError on the
    `logo` field that says what is wrong. The limits apply to the upload as sent."""
    size = upload.size or 0
    content = b""
    if size <= LOGO_MAX_BYTES:  # a file known to be too big is not read at all
        upload.seek(0)
        content = upload.read(LOGO_MAX_BYTES + 1)
    if max(size, len(content)) > LOGO_MAX_BYTES:
        raise ApplicationError(
            _("The logo can be at most 1 MB; this file is %(size)s.")
            % {"size": filesizeformat(max(size, len(content)))},
            field="logo",
        )
    if not content:
        raise ApplicationError(_("The logo file is empty."), field="logo")
    kind = next((kind for magic, kind in _LOGO_SIGNATURES.items() if content.startswith(magic)), None)
    if kind is None:
        raise ApplicationError(
            _("The logo must be a PNG or JPEG image (SVG, GIF, WebP and other files are not accepted)."),
            field="logo",
        )
    image_format, extension = kind
    broken = ApplicationError(
        _("This file could not be read as a %(format)s image: it may be damaged or incomplete.")
        % {"format": image_format},
        field="logo",
    )
    try:
        with Image.open(io.BytesIO(content), formats=[image_format]) as image:
            width, height = image.size
            if max(width, height) > LOGO_MAX_SIDE:
                raise ApplicationError(
                    _("The logo can be at most %(max)d pixels wide and high; this one is %(w)d by %(h)d.")
                    % {"max": LOGO_MAX_SIDE, "w": width, "h": height},
                    field="logo",
                )
            image.verify()
        # verify() checks the structure (chunks, checksums) without decoding the pixels: a
        # truncated file only fails when it is decoded, as WeasyPrint would do.
        with Image.open(io.BytesIO(content), formats=[image_format]) as image:
            image.load()
            reencoded = _reencoded_logo(image, image_format)
    except ApplicationError:
        raise
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as error:
        raise broken from error
    return reencoded, extension


def _reencoded_logo(image: Image.Image, image_format: str) -> bytes:
    """The picture alone, written afresh in its own format.

    What a file carries besides its pixels is not kept: EXIF (a phone's GPS position, the
    camera's serial), PNG text chunks, JPEG comments, XMP, and anything appended after the
    image's end (an HTML page or a script, for whatever serves the file and sniffs it). Kept:
    transparency (alpha, or a palette's tRNS, which Pillow carries over), the ICC colour
    profile (a logo's colours depend on it), and the orientation the EXIF gave, applied to
    the pixels before that EXIF goes.
    """
    options: dict[str, object] = {"icc_profile": image.info.get("icc_profile")}
    if image.getexif().get(ExifTags.Base.Orientation, 1) != 1:
        image = ImageOps.exif_transpose(image)
    elif image_format == "JPEG":
        # The original's quantisation tables and subsampling: no visible loss from re-encoding.
        options["quality"] = "keep"
    if image_format == "JPEG":
        options.setdefault("quality", 95)
        options["comment"] = b""  # Pillow would otherwise copy the original's comment
    out = io.BytesIO()
    image.save(out, image_format, **options)
    return out.getvalue()


def _delete_stored_file(storage: Storage, name: str) -> None:
    try:
        storage.delete(name)
    except OSError:
        logger.warning("could not delete the replaced logo %s", name, exc_info=True)


@transaction.atomic
def tenant_update_branding(
    *,
    actor: Membership,
    logo: File | None = None,
    remove_logo: bool = False,
    brand_color: str | None = None,
) -> Tenant:
    """Set the logo and brand colour printed on the workspace's documents.

    `logo` replaces the current logo, `remove_logo` removes it, `brand_color=None` leaves the
    colour as it is. What is stored is the logo re-encoded by Pillow (`_reencoded_logo`), under
    a name derived from those stored bytes (branding/<tenant>/<sha256 prefix>.<ext>): the PDF
    renderer caches logos by file name, so a new logo must never reuse an old name, and an
    upload that differs only in what re-encoding drops is the same file. The replaced file is
    deleted once this commits.
    """
    require_role(actor, Role.ADMIN, message=_("Only owners and admins can change the workspace's branding."))
    if logo is not None and remove_logo:
        raise ApplicationError(_("Upload a new logo or remove the current one, not both."), field="logo")
    # A fresh copy: a rejected edit must not leave half-applied values on the request's tenant.
    tenant = Tenant.objects.select_for_update().get(pk=actor.tenant_id)
    previous = tenant.logo.name or ""
    content = b""
    if logo is not None:
        content, extension = _checked_logo(logo)
        digest = hashlib.sha256(content).hexdigest()[:20]
        tenant.logo.name = f"branding/{tenant.public_id}/{digest}.{extension}"
    elif remove_logo:
        tenant.logo.name = ""
    if brand_color is not None:
        tenant.brand_color = brand_color.strip().lower()
    try:
        tenant.full_clean()
    except ValidationError as error:
        _raise_validation(error)
    storage = tenant.logo.storage
    if content and tenant.logo.name and not storage.exists(tenant.logo.name):
        # The same content gets the same name, so an existing file already holds these bytes.
        tenant.logo.name = storage.save(tenant.logo.name, ContentFile(content))
    tenant.save(update_fields=["logo", "brand_color"])
    document_details_changed.send(sender=Tenant, tenant=tenant)
    if previous and previous != tenant.logo.name:
        transaction.on_commit(lambda: _delete_stored_file(storage, previous), robust=True)
    return tenant
