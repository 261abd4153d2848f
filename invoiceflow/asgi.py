import os
import warnings

from django.core.asgi import get_asgi_application

# WhiteNoise (static files) and FileResponse (local signed downloads) stream files with a
# synchronous iterator, which Django's ASGI handler reads in a thread: correct, and warned about
# on every file (https://github.com/evansd/whitenoise/issues/531). Keep the logs for real issues.
warnings.filterwarnings(
    "ignore",
    message="StreamingHttpResponse must consume synchronous iterators",
    module="django.core.handlers.asgi",
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "invoiceflow.settings")
# First: it sets Django up, which the WebSocket consumers' imports need.
django_asgi_app = get_asgi_application()

# The e-invoice rule sets compile in the background (~7 s): the process serves at once and its
# first e-invoice panel finds them ready (einvoicing.validation.compile_in_background).
from einvoicing.validation import compile_in_background  # noqa: E402

compile_in_background()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from core.client_ip import behind_trusted_proxies  # noqa: E402
from documents.routing import websocket_urlpatterns  # noqa: E402

# HTTP goes to Django; WebSockets (live document status) need a session of a signed-in user
# (AuthMiddlewareStack) and an Origin among ALLOWED_HOSTS (no cross-site sockets). Both first
# take the client's address and scheme from the trusted proxies' headers (client_ip.py).
application = ProtocolTypeRouter(
    {
        "http": behind_trusted_proxies(django_asgi_app),
        "websocket": behind_trusted_proxies(
            AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
        ),
    }
)
