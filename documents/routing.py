"""WebSocket routes of the documents (mounted by invoiceflow/asgi.py)."""

from django.urls import path

from documents.consumers import DocumentStatusConsumer

websocket_urlpatterns = [
    path("ws/t/<slug:tenant_slug>/documents/", DocumentStatusConsumer.as_asgi()),
]
