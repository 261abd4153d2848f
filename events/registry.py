"""Who listens to which topic: subscribers register here, publishers never name them.

An app above the one that publishes registers a handler in its `AppConfig.ready()` (by importing
its `subscribers` module):

    @subscribe(INVOICE_SENT, name="plans.usage")
    def count_sent_invoice(event: Event) -> None: ...

`name` is stored on every delivery row, so it must stay the same across deploys. A handler runs
inside the workspace's scope and inside the transaction that marks its delivery done: its
database writes commit with that mark or not at all, and anything it sends out of the database
(a Celery task, an email) it queues with `transaction.on_commit`. It may run again after a
failure, so it is idempotent. `wants(topic, payload)`, when given, is asked when the event is recorded:
a subscriber that has nothing to do for this workspace (no webhook endpoint, plans switched off)
gets no delivery row, and an event nobody wants is not written at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Event:
    """What a handler receives: the outbox row's content, in its workspace's scope."""

    id: int
    topic: str
    payload: dict[str, Any]
    tenant_id: int
    created_at: datetime


Handler = Callable[[Event], None]
Wants = Callable[[str, dict[str, Any]], bool]  # (topic, payload)


@dataclass(frozen=True)
class Subscriber:
    name: str
    topics: frozenset[str]
    handle: Handler
    wants: Wants | None = None

    def wants_event(self, topic: str, payload: dict[str, Any]) -> bool:
        return topic in self.topics and (self.wants is None or self.wants(topic, payload))


_subscribers: dict[str, Subscriber] = {}


def subscribe(*topics: str, name: str, wants: Wants | None = None) -> Callable[[Handler], Handler]:
    """Register the decorated function as subscriber `name` of `topics`."""
    if not topics:
        raise ValueError("Subscribe to at least one topic.")

    def register(handle: Handler) -> Handler:
        existing = _subscribers.get(name)
        if existing is not None and existing.handle is not handle:
            # Two handlers under one name would share delivery rows: each would think the other's done.
            raise ValueError(f"An events subscriber named {name!r} is registered already.")
        _subscribers[name] = Subscriber(name=name, topics=frozenset(topics), handle=handle, wants=wants)
        return handle

    return register


def unsubscribe(name: str) -> None:
    """For tests that register a subscriber of their own."""
    _subscribers.pop(name, None)


def subscriber(name: str) -> Subscriber | None:
    return _subscribers.get(name)


def subscribers_for(topic: str, payload: dict[str, Any]) -> list[Subscriber]:
    return [found for found in _subscribers.values() if found.wants_event(topic, payload)]


def subscribed_topics() -> frozenset[str]:
    """Every topic someone listens to (a publisher may skip building payloads for the others)."""
    return frozenset(topic for found in _subscribers.values() for topic in found.topics)
