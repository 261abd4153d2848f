"""Requests and the bounded database connection pool (settings: DATABASE_POOL_*).

A request that gets no connection from its process's pool within DATABASE_POOL_TIMEOUT is
answered 503 Service Unavailable with Retry-After, not 500: the service is busy, not broken,
and the request has written nothing (it never had a connection).

Django turns an exception raised in any middleware or view into a response at that very layer,
through the 500 handler, so the 500 handler is where this is decided: `server_error` is
`handler500` (invoiceflow/urls.py). With DEBUG on, Django shows its debug page instead. Django
still logs the request as an error with its traceback: pool exhaustion is worth an alert.
"""

from __future__ import annotations

import sys

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults
from psycopg_pool import PoolTimeout

from api.errors import error_body

# Seconds a turned-away client is asked to wait: a burst usually drains within a few.
RETRY_AFTER_SECONDS = 5


def pool_timed_out(error: BaseException | None) -> bool:
    """True when Django's database error is the pool having had no connection to give."""
    return error is not None and isinstance(error.__cause__, PoolTimeout)


def database_busy_response(request: HttpRequest) -> HttpResponse:
    message = f"The service is busy. Please retry in {RETRY_AFTER_SECONDS} seconds."
    if request.path_info.startswith("/api/"):
        response: HttpResponse = JsonResponse(error_body("unavailable", message), status=503)
    else:
        # Rendered without the request: its context processors would query the database.
        response = HttpResponse(render_to_string("503.html", {"message": message}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: Django calls it while handling the request's uncaught exception."""
    if pool_timed_out(sys.exc_info()[1]):
        return database_busy_response(request)
    return defaults.server_error(request)
