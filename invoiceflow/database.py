"""Requests and the bounded database connection pool (settings: DATABASE_POOL_*).

`DatabasePoolMiddleware` takes the request's connection from the pool before any other code can
need it. When none comes free within DATABASE_POOL_TIMEOUT, the request is answered
503 Service Unavailable with Retry-After, before it has done anything: no half-done work, and
no 500 traceback for what is only a busy moment.

Why here and not where the first query fails: Django turns an exception raised inside any
middleware or view into a 500 response at that layer (and a debug page when DEBUG is on); no
outer layer ever sees the exception. The connection goes back to the pool when the request
finishes (CONN_MAX_AGE is 0 with the pool), as for any request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, OperationalError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from psycopg_pool import PoolTimeout

from api.errors import error_body

logger = logging.getLogger(__name__)

# Seconds a turned-away client is asked to wait: a burst usually drains within a few.
RETRY_AFTER_SECONDS = 5
# The probes handle database trouble themselves: liveness never touches the database (an
# overloaded process must not be restarted for it), readiness reports it in its own body.
EXEMPT_PATHS = frozenset({"/healthz", "/readyz"})


def pool_timed_out(error: BaseException) -> bool:
    """True when Django's database error is the pool having no connection to give."""
    return isinstance(error.__cause__, PoolTimeout)


def database_busy_response(request: HttpRequest) -> HttpResponse:
    message = f"The service is busy. Please retry in {RETRY_AFTER_SECONDS} seconds."
    if request.path_info.startswith("/api/"):
        response: HttpResponse = JsonResponse(error_body("unavailable", message), status=503)
    else:
        # Rendered without the request: the context processors would query the database.
        response = HttpResponse(render_to_string("503.html", {"message": message}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabasePoolMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        connection = connections[DEFAULT_DB_ALIAS]
        # No pool (SQLite, DATABASE_POOL=false): connections open on first use, as Django does.
        if getattr(connection, "pool", None) is None or request.path_info in EXEMPT_PATHS:
            return self.get_response(request)
        try:
            connection.ensure_connection()
        except OperationalError as error:
            if not pool_timed_out(error):
                raise
            logger.warning(
                "no database connection came free within %ss: answered 503",
                connection.settings_dict["OPTIONS"]["pool"].get("timeout"),
            )
            return database_busy_response(request)
        return self.get_response(request)
