"""The WebSocket that pushes document status to a tenant's pages: /ws/t/<slug>/documents/."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.utils.crypto import constant_time_compare

from documents.live import group_name
from tenants.models import Membership, Tenant, User
from tenants.scoping import tenant_scope
from tenants.selectors import user_membership_in

# Close code for "not (or no longer) a member": the WebSocket counterpart of the 404 a
# non-member gets for the tenant's pages.
NO_ACCESS = 4403


@database_sync_to_async
def _membership(user: Any, slug: str) -> Membership | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return user_membership_in(user_id=user.pk, tenant=Tenant.objects.filter(slug=slug).first())


@database_sync_to_async
def _access_still_valid(*, session_key: str | None, user_id: int, membership_id: int, tenant_id: int) -> bool:
    """Whether the session the socket was opened with is still signed in as `user_id`, and
    that user (still active) still holds the membership.

    The session is read afresh from the store: signing out deletes it, a password change
    changes the hash it must carry. Written out rather than calling django.contrib.auth's
    get_user(), which may rotate or flush the session it reads: this check must change nothing.
    """
    if not session_key:
        return False
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    if str(session.get(SESSION_KEY)) != str(user_id):
        return False
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    session_hash = session.get(HASH_SESSION_KEY) or ""
    valid_hashes = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
    if not any(constant_time_compare(session_hash, valid) for valid in valid_hashes):
        return False
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None:
        return False
    # Memberships are behind row-level security: read in the workspace's scope.
    with tenant_scope(tenant):
        return Membership.objects.filter(pk=membership_id, user_id=user_id).exists()


class DocumentStatusConsumer(AsyncJsonWebsocketConsumer):
    """Joins the group of the tenant in the URL, only for a signed-in member of it.

    Anyone else is refused before the handshake completes (close code 4403). Access is checked
    again before every message is sent, uncached: a member removed from the workspace, or whose
    session was signed out (or invalidated by a password change), gets no further status and
    the socket is closed with 4403. The socket only receives; it accepts no commands.
    """

    group: str | None = None
    membership_id: int | None = None
    tenant_id: int | None = None
    revoked = False

    async def connect(self) -> None:
        slug = self.scope["url_route"]["kwargs"]["tenant_slug"]
        membership = await _membership(self.scope.get("user"), slug)
        if membership is None:
            await self.close(code=NO_ACCESS)
            return
        self.membership_id, self.tenant_id = membership.pk, membership.tenant_id
        self.group = group_name(membership.tenant_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        # Nothing to do: status flows one way. (Pings from the page keep proxies from idling out.)
        return

    async def status_update(self, event: dict[str, Any]) -> None:
        if self.revoked:
            return
        if not await self._still_allowed():
            self.revoked = True
            await self.disconnect(NO_ACCESS)
            self.group = None
            await self.close(code=NO_ACCESS)
            return
        await self.send_json(event["payload"])

    async def _still_allowed(self) -> bool:
        session = self.scope.get("session")
        user = self.scope.get("user")
        if session is None or user is None or self.membership_id is None or self.tenant_id is None:
            return False
        return await _access_still_valid(
            session_key=session.session_key,
            user_id=user.pk,
            membership_id=self.membership_id,
            tenant_id=self.tenant_id,
        )
