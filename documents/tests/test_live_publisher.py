"""The worker-side publisher of document statuses, on the real Redis channel layer: it sends
in order, never makes the render wait, and survives a broken layer."""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid

import pytest
from channels.layers import get_channel_layer

from documents import live
from documents.tests.test_real import GroupListener

pytestmark = pytest.mark.redis


@pytest.fixture
def publisher(monkeypatch):
    """A fresh publisher for the test (the process's own may hold another test's state)."""
    monkeypatch.setattr(live, "_publisher", None)
    return live.publisher()


@pytest.fixture
def tenant_id() -> int:
    # A group no other test publishes to.
    return 10**9 + uuid.uuid4().int % 10**6


def test_messages_arrive_in_the_order_they_were_published(publisher, tenant_id):
    listener = GroupListener(tenant_id, until="last", timeout=20)
    for number in range(60):
        live.send(tenant_id, {"kind": "job", "status": "running", "done": number})
    live.send(tenant_id, {"kind": "job", "status": "last"})

    received = listener.join()
    assert [m.get("done") for m in received[:-1]] == list(range(60))
    assert received[-1]["status"] == "last"


def test_publishing_does_not_wait_for_the_channel_layer(publisher, tenant_id, monkeypatch):
    layer = get_channel_layer()
    release = threading.Event()
    real_group_send = layer.group_send

    async def stalled_group_send(group, message):
        while not release.is_set():  # Redis stalled, as far as the publisher can tell
            await asyncio.sleep(0.01)
        await real_group_send(group, message)

    monkeypatch.setattr(layer, "group_send", stalled_group_send)
    listener = GroupListener(tenant_id, until="ready", timeout=20)

    def render_task() -> None:
        live.send(tenant_id, {"kind": "document", "status": "processing"})
        live.send(tenant_id, {"kind": "document", "status": "ready"})

    caller = threading.Thread(target=render_task)
    caller.start()
    caller.join(2)
    # The caller went on while Redis was still stalled (a waiting send would block for 5 s).
    assert not caller.is_alive()
    assert listener.messages == []
    release.set()
    assert [m["status"] for m in listener.join()] == ["processing", "ready"]


def test_a_failing_send_is_logged_and_the_next_message_still_goes(publisher, tenant_id, monkeypatch, caplog):
    layer = get_channel_layer()
    real_group_send = layer.group_send
    calls = []

    async def flaky_group_send(group, message):
        calls.append(message["payload"]["status"])
        if message["payload"]["status"] == "broken":
            raise ConnectionError("Redis went away")
        await real_group_send(group, message)

    monkeypatch.setattr(layer, "group_send", flaky_group_send)
    listener = GroupListener(tenant_id, until="ready", timeout=20)
    with caplog.at_level(logging.WARNING, logger="documents.live"):
        live.send(tenant_id, {"kind": "document", "status": "broken"})
        live.send(tenant_id, {"kind": "document", "status": "ready"})
        assert [m["status"] for m in listener.join()] == ["ready"]
    assert calls == ["broken", "ready"]
    assert "could not publish a document status" in caplog.text


def test_a_stalled_layer_drops_messages_beyond_the_backlog_instead_of_growing(monkeypatch, tenant_id, caplog):
    monkeypatch.setattr(live, "MAX_PENDING_MESSAGES", 3)
    monkeypatch.setattr(live, "_publisher", None)
    layer = get_channel_layer()
    release, sending = threading.Event(), threading.Event()

    async def stalled_group_send(group, message):
        sending.set()
        while not release.is_set():
            await asyncio.sleep(0.01)

    monkeypatch.setattr(layer, "group_send", stalled_group_send)
    publisher = live.publisher()
    with caplog.at_level(logging.WARNING, logger="documents.live"):
        live.send(tenant_id, {"kind": "job", "done": 0})
        assert sending.wait(5)
        for number in range(1, 10):
            live.send(tenant_id, {"kind": "job", "done": number})
        # One is being sent, three wait; the other six were refused, each with a warning.
        assert _eventually(lambda: caplog.text.count("messages behind") == 6), caplog.text
    assert publisher.queue.qsize() == 3
    release.set()
    publisher.flush()
    assert publisher.queue.qsize() == 0


def _eventually(check, timeout: float = 5) -> bool:
    from invoiceflow.testing.processes import wait_until

    return wait_until(check, timeout=timeout, interval=0.02)


def test_a_stopping_process_sends_what_it_published_last(publisher, tenant_id, monkeypatch):
    layer = get_channel_layer()
    real_group_send = layer.group_send
    sent = []

    async def slow_group_send(group, message):
        await asyncio.sleep(0.2)
        await real_group_send(group, message)
        sent.append(message["payload"]["status"])

    monkeypatch.setattr(layer, "group_send", slow_group_send)
    live.send(tenant_id, {"kind": "document", "status": "processing"})
    live.send(tenant_id, {"kind": "document", "status": "ready"})
    live.flush_pending()  # what documents.tasks runs when a worker process shuts down
    assert sent == ["processing", "ready"]
