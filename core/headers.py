"""Cache and robots headers for answers that belong to one person.

A signed-in page, an API answer and a downloaded file must not be kept by a shared cache (a
proxy or CDN would hand them to the next visitor) nor written to the disk cache of a shared
computer, and a file must not end up in a search index. One middleware says so for every such
response, so a view cannot forget it:

- a download (`Content-Disposition: attachment`, or any streamed file) gets
  `X-Robots-Tag: noindex, nofollow`;
- a download, any `/api/v1/` answer and any answer to a signed-in user gets
  `Cache-Control: private, no-store`.

A view that chose its own `Cache-Control` keeps it: robots.txt is public for an hour by design,
the probes are `never_cache`, and WhiteNoise's static files never reach this middleware.
Anonymous pages (landing, pricing, sitemap) are left as they are. S3 downloads do not pass
through Django: `core.downloads` asks S3 for the same Cache-Control in the presigned URL.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import FileResponse, HttpRequest
from django.http.response import HttpResponseBase
from django.utils.cache import patch_cache_control

PRIVATE_CACHE_CONTROL = "private, no-store"
NO_INDEX = "noindex, nofollow"
API_PREFIX = "/api/v1/"


def is_download(response: HttpResponseBase) -> bool:
    disposition = response.headers.get("Content-Disposition", "")
    return isinstance(response, FileResponse) or disposition.lower().startswith("attachment")


def _signed_in(request: HttpRequest) -> bool:
    # Without a session cookie nobody is signed in: deciding so without reading `request.user`
    # keeps the session untouched, so anonymous pages get no `Vary: Cookie` from us.
    session = getattr(request, "session", None)
    if session is None or not session.session_key:
        return False
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


class PrivateResponsesMiddleware:
    """After AuthenticationMiddleware (it reads `request.user`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        # Asked before the view runs: a DRF view without session authentication replaces
        # `request.user` with an anonymous one, though the visitor is signed in.
        signed_in = _signed_in(request)
        response = self.get_response(request)
        download = is_download(response)
        if download and not response.has_header("X-Robots-Tag"):
            response["X-Robots-Tag"] = NO_INDEX
        if response.has_header("Cache-Control"):
            return response
        if download or signed_in or request.path_info.startswith(API_PREFIX):
            patch_cache_control(response, private=True, no_store=True)
        return response
