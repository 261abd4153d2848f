"""The registry of Stripe event handlers.

A handler is a function of the stored event, registered for one or more event types:

    @handles("checkout.session.completed")
    def checkout_completed(event: StripeEvent) -> None:
        session = event.data_object
        ...

It runs inside the transaction that holds the event row's lock, in a savepoint: raising undoes
its writes, marks the event failed and schedules a retry. It must be safe to run twice and in
any order (decide from the state of Stripe's objects, not from arrival order) and enters the
tenant's scope itself (`tenants.scoping.tenant_scope`) once it knows the tenant.

Handlers live in `<app>/stripe_handlers.py` modules; `billing.apps` imports them all at start-up.
An event type with no handler is stored and marked processed (`handled=False`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from billing.models import StripeEvent

Handler = Callable[["StripeEvent"], None]
H = TypeVar("H", bound=Handler)

_registry: dict[str, Handler] = {}


def handles(*event_types: str) -> Callable[[H], H]:
    if not event_types:
        raise ImproperlyConfigured("@handles needs at least one Stripe event type.")

    def register(handler: H) -> H:
        for event_type in event_types:
            existing = _registry.get(event_type)
            # One handler per type: two would make the outcome depend on their order.
            if existing is not None and existing is not handler:
                raise ImproperlyConfigured(
                    f"{event_type} already has a handler: {existing.__module__}.{existing.__qualname__}"
                )
            _registry[event_type] = handler
        return handler

    return register


def handler_for(event_type: str) -> Handler | None:
    return _registry.get(event_type)


def registered_event_types() -> list[str]:
    return sorted(_registry)
