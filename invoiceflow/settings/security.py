"""Cookies, HTTPS, browser policies (CSP, Permissions-Policy) and trusted proxies."""

from __future__ import annotations

from urllib.parse import urlsplit

from csp.constants import NONE, SELF

from core.client_ip import DEFAULT_TRUSTED_PROXIES, trusted_proxies
from invoices.limits import BUILDER_POST_MAX_BYTES, BUILDER_POST_MAX_FIELDS

from .core import DEBUG
from .env import env_bool, env_int, env_str

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
# The invoice builder posts a whole invoice, up to `invoices.limits.MAX_LINES` lines.
DATA_UPLOAD_MAX_NUMBER_FIELDS = BUILDER_POST_MAX_FIELDS
DATA_UPLOAD_MAX_MEMORY_SIZE = BUILDER_POST_MAX_BYTES
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Powerful browser features none of our pages use are refused to them and to anything they
# might embed. Payment is Stripe's hosted page, on Stripe's own origin, so `payment=()` here
# stops nothing of ours. (django-permissions-policy checks the feature names.)
# Only features Chromium knows: an unknown name ("bluetooth") is logged as an error on every page.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}
if not DEBUG:
    # Plain HTTP is redirected to HTTPS, except the probes a load balancer calls over HTTP
    # (the patterns match the path without its leading slash).
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    # Cookies only ever travel over HTTPS.
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    LANGUAGE_COOKIE_HTTPONLY = True
    LANGUAGE_COOKIE_SAMESITE = "Lax"
    # HSTS: a year, subdomains included; SECURE_HSTS_SECONDS=0 turns it off while testing TLS.
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
# The reverse proxies whose X-Forwarded-For/-Proto the ASGI app believes (core/client_ip.py):
# addresses and networks, loopback by default; `*` is refused.
TRUSTED_PROXIES = trusted_proxies(env_str("FORWARDED_ALLOW_IPS") or DEFAULT_TRUSTED_PROXIES)
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (and strips it from clients).
# The ASGI app already trusts X-Forwarded-Proto from FORWARDED_ALLOW_IPS; this is for WSGI.
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = env_bool("USE_X_FORWARDED_HOST", False)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# A strict policy: no inline script or style, nothing from another origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        # Social login POSTs to us and we redirect to the provider; Chromium applies
        # form-action to that redirect too, so the providers' origins are listed.
        "form-action": [SELF, "https://accounts.google.com", "https://github.com"]
        + ([_origin(env_str("OIDC_SERVER_URL"))] if env_str("OIDC_SERVER_URL") else []),
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
