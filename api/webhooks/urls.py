"""Settings → Webhooks, mounted under /t/<tenant_slug>/ (invoiceflow/urls.py)."""

from django.urls import path

from api.webhooks import web

urlpatterns = [
    path("settings/webhooks/", web.webhook_settings, name="webhook_settings"),
    path(
        "settings/webhooks/<str:public_id>/delete/",
        web.webhook_endpoint_delete,
        name="webhook_endpoint_delete",
    ),
    path(
        "settings/webhooks/deliveries/<str:public_id>/replay/",
        web.webhook_delivery_replay,
        name="webhook_delivery_replay",
    ),
]
