"""The live-status WebSocket through the real ASGI stack (origin check, session auth, consumer):
members of a tenant get its events, nobody else does."""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from channels.layers import get_channel_layer

from documents.live import group_name, send
from invoiceflow.asgi import application
from tenants.tests.fixtures import client_for

pytestmark = pytest.mark.django_db(transaction=True)


def session_cookie(user) -> bytes:
    client = client_for(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


class Socket(ApplicationCommunicator):
    """A WebSocket client speaking ASGI to the application (channels.testing's communicator
    needs daphne, which the project does not install)."""

    def __init__(self, path: str, headers: list[tuple[bytes, bytes]]) -> None:
        super().__init__(
            application,
            {
                "type": "websocket",
                "path": path,
                "raw_path": path.encode(),
                "query_string": b"",
                "headers": headers,
                "subprotocols": [],
                "client": ("127.0.0.1", 50000),
                "server": ("testserver", 80),
            },
        )

    async def connect(self, timeout: float = 5) -> tuple[bool, int | None]:
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        if response["type"] == "websocket.close":
            return False, response.get("code", 1000)
        return True, None

    async def receive_json_from(self, timeout: float = 5) -> Any:
        response = await self.receive_output(timeout)
        assert response["type"] == "websocket.send"
        return json.loads(response["text"])

    async def send_json_to(self, data: Any) -> None:
        await self.send_input({"type": "websocket.receive", "text": json.dumps(data)})

    async def disconnect(self) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": 1000})
        await self.wait(1)


def communicator(slug: str, *, cookie: bytes = b"", origin: bytes = b"http://127.0.0.1") -> Socket:
    headers = [(b"host", b"127.0.0.1"), (b"origin", origin)]
    if cookie:
        headers.append((b"cookie", cookie))
    return Socket(f"/ws/t/{slug}/documents/", headers)


def test_a_member_receives_their_tenants_events_and_only_those(tenant, other_tenant, owner, outsider):
    payload = {"kind": "document", "invoice": "in_x", "status": "ready"}

    async def scenario() -> None:
        mine = communicator(tenant.slug, cookie=session_cookie_owner)
        connected, _ = await mine.connect()
        assert connected
        theirs = communicator(other_tenant.slug, cookie=session_cookie_outsider)
        connected, _ = await theirs.connect()
        assert connected
        await get_channel_layer().group_send(
            group_name(tenant.pk), {"type": "status.update", "payload": payload}
        )
        assert await mine.receive_json_from(timeout=5) == payload
        assert await theirs.receive_nothing(timeout=0.5)
        # The socket takes no commands.
        await mine.send_json_to({"type": "status.update", "payload": {"status": "forged"}})
        assert await mine.receive_nothing(timeout=0.5)
        await mine.disconnect()
        await theirs.disconnect()

    session_cookie_owner = session_cookie(owner)
    session_cookie_outsider = session_cookie(outsider)
    async_to_sync(scenario)()


def test_publishing_from_sync_code_reaches_the_socket(tenant, owner):
    cookie = session_cookie(owner)

    async def scenario() -> None:
        socket = communicator(tenant.slug, cookie=cookie)
        assert (await socket.connect())[0]
        from asgiref.sync import sync_to_async

        await sync_to_async(send)(tenant.pk, {"kind": "job", "job": "job_1", "done": 3, "total": 4})
        assert (await socket.receive_json_from(timeout=5))["done"] == 3
        await socket.disconnect()

    async_to_sync(scenario)()


@pytest.mark.parametrize("who", ["outsider", "anonymous", "cross-site"])
def test_anyone_else_is_refused(who, tenant, owner, outsider):
    cookie = {"outsider": session_cookie(outsider), "anonymous": b"", "cross-site": session_cookie(owner)}[
        who
    ]
    origin = b"https://evil.example" if who == "cross-site" else b"http://127.0.0.1"

    async def scenario() -> None:
        socket = communicator(tenant.slug, cookie=cookie, origin=origin)
        connected, code = await socket.connect()
        assert not connected
        if who != "cross-site":
            assert code == 4403
        await socket.disconnect()

    async_to_sync(scenario)()
