"""The WebSocket that pushes document status to a tenant's pages: /ws/t/<slug>/documents/."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from invoices.documents.live import group_name
from tenants.models import Tenant
from tenants.selectors import user_membership_in


@database_sync_to_async
def _member_tenant_id(user: Any, slug: str) -> int | None:
    if not getattr(user, "is_authenticated", False):
        return None
    membership = user_membership_in(user_id=user.pk, tenant=Tenant.objects.filter(slug=slug).first())
    return membership.tenant_id if membership else None


class DocumentStatusConsumer(AsyncJsonWebsocketConsumer):
    """Joins the group of the tenant in the URL, only for a signed-in member of it.

    Anyone else is refused before the handshake completes (close code 4403), like the 404 a
    non-member gets for the tenant's pages. The socket only receives; it accepts no commands.
    """

    group: str | None = None

    async def connect(self) -> None:
        slug = self.scope["url_route"]["kwargs"]["tenant_slug"]
        tenant_id = await _member_tenant_id(self.scope.get("user"), slug)
        if tenant_id is None:
            await self.close(code=4403)
            return
        self.group = group_name(tenant_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        # Nothing to do: status flows one way. (Pings from the page keep proxies from idling out.)
        return

    async def status_update(self, event: dict[str, Any]) -> None:
        await self.send_json(event["payload"])
