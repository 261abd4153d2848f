"""The client's address: the one answer every rate limit and log line uses.

Behind reverse proxies the TCP peer is the nearest proxy, and the client's own address is in
`X-Forwarded-For`, which each proxy *appends* to. Only the entries our own proxies appended can
be believed: everything to their left was sent by the client and can be anything. So the
address is found by walking the header from the right, skipping the addresses of trusted
proxies (`FORWARDED_ALLOW_IPS`), and taking the first one that is not ours. A request whose
peer is not a trusted proxy keeps its peer address and its headers are ignored.

That walk happens once, at the edge of the ASGI application (`behind_trusted_proxies`), for
HTTP and WebSocket alike, whatever ASGI server runs it: the scope's `client` (Django's
`REMOTE_ADDR`) and `scheme` (from `X-Forwarded-Proto`) are rewritten there, and code after it
asks `client_ip(request)`. The walk itself is uvicorn's `ProxyHeadersMiddleware` (already a
dependency, and the code the container ran before): what this module adds is strict parsing of
the list, which refuses `*` (the leftmost, client-chosen entry would win) and typos that
uvicorn would silently keep as never-matching names.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:  # the settings import this module: it stays light and needs no settings
    from django.http import HttpRequest
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

# Loopback only: a proxy on the same host (what ./dev start and a bare-metal nginx use).
DEFAULT_TRUSTED_PROXIES = "127.0.0.1,::1"


def trusted_proxies(value: str, *, variable: str = "FORWARDED_ALLOW_IPS") -> list[str]:
    """The proxies whose `X-Forwarded-For`/`-Proto` are believed, as normalized networks.

    `value` is a comma-separated list of addresses and networks (`10.0.0.5, 10.1.0.0/16`).
    Raises ImproperlyConfigured on `*` or anything that is not
    an address or a network, naming the variable.
    """
    networks: list[str] = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        if item == "*":
            raise ImproperlyConfigured(
                f"{variable}=* lets every client choose its own address (the leftmost "
                "X-Forwarded-For wins), so rate limits can be escaped by sending a new one each "
                "time. List the addresses or networks of your reverse proxies instead, e.g. "
                f"{variable}=10.0.0.5,10.1.0.0/16 (see .env.example)."
            )
        try:
            networks.append(str(ipaddress.ip_network(item, strict=True)))
        except ValueError as error:
            raise ImproperlyConfigured(
                f"{variable}: {item!r} is not an IP address or network ({error}); write e.g. "
                "10.0.0.5 or 10.1.0.0/16 (host names are not accepted)."
            ) from None
    return networks


def behind_trusted_proxies(app: object) -> ProxyHeadersMiddleware:
    """Wrap an ASGI application so its scope carries the client's address and scheme."""
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    # uvicorn types the app with its own ASGI TypedDicts, which neither Django's ASGIHandler nor
    # channels' stacks declare: both are ASGI 3 applications all the same.
    return ProxyHeadersMiddleware(app, trusted_hosts=list(settings.TRUSTED_PROXIES))  # type: ignore[arg-type]


def client_ip(request: HttpRequest) -> str:
    """The address of the client that sent `request`, for rate limits and logs.

    REMOTE_ADDR only, never a header: `behind_trusted_proxies` already put the client's
    address there from the trusted proxies' `X-Forwarded-For`; reading the header here again
    would let a guesser pick its own key.
    """
    return request.META.get("REMOTE_ADDR", "") or "unknown"
