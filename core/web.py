"""Small helpers shared by the server-rendered views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest

from core.errors import ApplicationError

T = TypeVar("T")


def call_service(request: HttpRequest, service: Callable[..., T], /, **kwargs: Any) -> T | None:
    """Run a service in a savepoint; an ApplicationError becomes a flash message and undoes it."""
    try:
        with transaction.atomic():
            return service(**kwargs)
    except ApplicationError as error:
        messages.error(request, error.message)
        return None


def require_membership(check: Callable[[Any], bool]) -> Callable:
    """Tenant views only: 403 when the member's role does not allow the action."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if not check(request.membership):
                raise PermissionDenied("Your role does not allow this.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
