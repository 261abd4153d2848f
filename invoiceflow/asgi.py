import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "invoiceflow.settings")
# First: it sets Django up, which the WebSocket consumers' imports need.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from invoices.documents.routing import websocket_urlpatterns  # noqa: E402

# HTTP goes to Django; WebSockets (live document status) need a session of a signed-in user
# (AuthMiddlewareStack) and an Origin among ALLOWED_HOSTS (no cross-site sockets).
application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
