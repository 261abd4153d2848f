"""The client portal's magic sign-in: a contact asks for a link by email, and the link signs
them in once, within minutes. No password.

- Asking (`sign_in_request`) is rate limited per address and per email, and answers the same
  whether the email is a contact or not, so the form reveals nobody.
- The token is `secrets.token_urlsafe(32)`; only its sha256 is stored (`PortalSignIn`), and the
  request finds its workspace through the lookup door `lookup_door_portal_sign_in`.
- Using it (`sign_in_consume`) is a POST (a GET only shows the button: mail scanners follow
  links), claimed by a conditional UPDATE: a second use, or a use after 15 minutes, fails.
- The session then names the workspace, the contact and the client; every portal page reads
  inside that workspace's scope and that client only (portal/client_views.py).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from core.ratelimit import rate_limit_hit
from invoices.l10n import document_language
from invoices.models import ClientContact
from portal.models import PortalSignIn
from tenants.doors import door_find
from tenants.models import Tenant
from tenants.scoping import tenant_scope

LINK_MINUTES = 15
SESSION_HOURS = 8
TOKEN_LENGTH = 43
REQUESTS_PER_EMAIL = 3  # per hour
REQUESTS_PER_ADDRESS = 20  # per hour
SESSION_KEY = "client_portal"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _allowed(key: str, limit: int) -> bool:
    return rate_limit_hit(key=key, limit=limit, window_seconds=3600).allowed


def sign_in_issue(*, contact: ClientContact) -> str:
    """In the contact's workspace scope: a new single-use link's token (emailed, never stored)."""
    token = secrets.token_urlsafe(32)
    PortalSignIn.objects.create(
        contact=contact,
        token_hash=token_hash(token),
        expires_at=timezone.now() + timedelta(minutes=LINK_MINUTES),
    )
    return token


def sign_in_url(token: str) -> str:
    return f"{settings.SITE_URL}{reverse('portal_sign_in', args=[token])}"


def _email_link(tenant: Tenant, contact: ClientContact, token: str) -> None:
    language, _locale = document_language(contact.effective_language)
    context = {"tenant": tenant, "contact": contact, "url": sign_in_url(token), "minutes": LINK_MINUTES}
    with translation.override(language):
        subject = " ".join(render_to_string("portal/email/sign_in_subject.txt", context).split())
        body = render_to_string("portal/email/sign_in_body.txt", context).strip()
    EmailMultiAlternatives(subject=subject, body=body, to=[contact.email]).send()


def sign_in_request(*, tenant: Tenant, email: str, ip: str) -> bool:
    """Email a sign-in link to each contact of `tenant` with this address. Returns whether the
    request was within its limits (the page says the same thing either way)."""
    email = email.strip().lower()[:254]
    if not _allowed(f"portal-sign-in-ip:{ip}", REQUESTS_PER_ADDRESS) or not _allowed(
        f"portal-sign-in-email:{tenant.pk}:{email}", REQUESTS_PER_EMAIL
    ):
        return False
    with tenant_scope(tenant), transaction.atomic():
        contacts = list(ClientContact.objects.select_related("client").filter(email=email))
        for contact in contacts:
            if contact.client.archived_at is None:
                _email_link(tenant, contact, sign_in_issue(contact=contact))
    return True


@dataclass(frozen=True)
class PortalIdentity:
    tenant: Tenant
    contact: ClientContact


def sign_in_find(*, token: str) -> tuple[Tenant, PortalSignIn] | None:
    """A live (unused, unexpired) sign-in link, read in its workspace's scope."""
    if len(token) != TOKEN_LENGTH:
        return None
    match = door_find("lookup_door_portal_sign_in", token_hash(token))
    if match is None:
        return None
    with tenant_scope(match.tenant):
        row = PortalSignIn.objects.filter(pk=match.row_id).first()
    if row is None or row.used_at is not None or row.expires_at <= timezone.now():
        return None
    return match.tenant, row


def sign_in_consume(*, token: str, ip: str) -> PortalIdentity | None:
    """Use a link: once, and only before it expires. None when it cannot sign anyone in."""
    found = sign_in_find(token=token)
    if found is None:
        return None
    tenant, row = found
    with tenant_scope(tenant), transaction.atomic():
        claimed = PortalSignIn.objects.filter(
            pk=row.pk, used_at__isnull=True, expires_at__gt=timezone.now()
        ).update(used_at=timezone.now(), used_ip=ip or None)
        if not claimed:
            return None
        contact = ClientContact.objects.select_related("client").get(pk=row.contact_id)
    return PortalIdentity(tenant=tenant, contact=contact)


def session_start(request: HttpRequest, identity: PortalIdentity) -> None:
    request.session.cycle_key()  # a new session id: no fixation
    request.session[SESSION_KEY] = {
        "tenant": identity.tenant.pk,
        "contact": identity.contact.pk,
        "client": identity.contact.client_id,
        "until": (timezone.now() + timedelta(hours=SESSION_HOURS)).isoformat(),
    }


def session_identity(request: HttpRequest) -> tuple[Tenant, ClientContact] | None:
    """The signed-in contact and its workspace, or None (never signed in, expired, removed)."""
    data = request.session.get(SESSION_KEY)
    if not isinstance(data, dict):
        return None
    try:
        until = datetime.fromisoformat(data["until"])
        tenant = Tenant.objects.get(pk=data["tenant"])
    except (KeyError, ValueError, TypeError, Tenant.DoesNotExist):
        return None
    if until <= timezone.now():
        return None
    with tenant_scope(tenant):
        contact = (
            ClientContact.objects.select_related("client")
            .filter(pk=data["contact"], client_id=data["client"])
            .first()
        )
    if contact is None:
        return None
    return tenant, contact


def session_end(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)
