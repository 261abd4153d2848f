"""The live-status socket outlives no access: a real uvicorn serving the app, a real WebSocket
client (`websockets`), the Redis channel layer. A member whose access ends while their socket
is open (removed from the workspace, signed out, password changed elsewhere) gets no further
status and the socket is closed with 4403; the members who keep access still get it."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections
from django.test import Client
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from documents import live
from documents.consumers import NO_ACCESS
from invoiceflow.testing.processes import free_port
from tenants import services as tenant_services
from tenants.models import Membership, Tenant
from tenants.scoping import tenant_scope
from tenants.tests.fixtures import client_for

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server_url() -> Iterator[str]:
    """invoiceflow.asgi.application under uvicorn, in a thread (it shares the test database)."""
    import uvicorn

    from invoiceflow.asgi import application

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            application,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
            proxy_headers=False,  # as docker/entrypoint.sh runs it
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"ws://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        # The consumers' queries ran in asgiref's shared thread for thread-sensitive code
        # (there was no request context): close the connection that thread kept open.
        asyncio.run(sync_to_async(connections.close_all)())


def open_socket(server_url: str, tenant: Tenant, client: Client) -> ClientConnection:
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    return connect(
        f"{server_url}/ws/t/{tenant.slug}/documents/",
        additional_headers={"Cookie": cookie, "Origin": "http://127.0.0.1"},
        open_timeout=10,
    )


def publish(tenant: Tenant, payload: dict[str, Any]) -> None:
    live.send(tenant.pk, payload)  # through the Redis channel layer, as a worker publishes


def receive(socket: ClientConnection) -> Any:
    return json.loads(socket.recv(timeout=10))


def _remove(member_membership: Membership, owner_membership: Membership, member_client: Client) -> None:
    with tenant_scope(owner_membership.tenant):
        tenant_services.membership_remove(actor=owner_membership, membership=member_membership)


def _sign_out(member_membership: Membership, owner_membership: Membership, member_client: Client) -> None:
    # allauth's sign-out view, with the very session the socket was opened with.
    response = member_client.post("/accounts/logout/")
    assert response.status_code == 302


def _change_password(
    member_membership: Membership, owner_membership: Membership, member_client: Client
) -> None:
    # Elsewhere (another browser, a reset link): every other session of the user ends.
    user = member_membership.user
    user.set_password("a-new-password-for-this-test")
    user.save()


@pytest.mark.parametrize("end_access", [_remove, _sign_out, _change_password], ids=lambda f: f.__name__[1:])
def test_a_socket_gets_nothing_more_once_access_ends(
    end_access: Callable[[Membership, Membership, Client], None],
    server_url: str,
    tenant: Tenant,
    owner_membership: Membership,
    member_membership: Membership,
) -> None:
    member_client = client_for(member_membership.user)
    with (
        open_socket(server_url, tenant, member_client) as members_socket,
        open_socket(server_url, tenant, client_for(owner_membership.user)) as owners_socket,
    ):
        first = {"kind": "job", "job": "job_1", "status": "running", "done": 1}
        publish(tenant, first)
        assert receive(members_socket) == first
        assert receive(owners_socket) == first

        end_access(member_membership, owner_membership, member_client)

        second = {"kind": "job", "job": "job_1", "status": "running", "done": 2}
        publish(tenant, second)
        assert receive(owners_socket) == second
        with pytest.raises(ConnectionClosed) as closed:
            pytest.fail(f"the socket still received {members_socket.recv(timeout=10)!r}")
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == NO_ACCESS

        # The owner's socket carries on.
        third = {"kind": "job", "job": "job_1", "status": "ready", "done": 3}
        publish(tenant, third)
        assert receive(owners_socket) == third
