"""Settings → API keys, mounted under /t/<tenant_slug>/ (invoiceflow/urls.py)."""

from django.urls import path

from api import keys_web

urlpatterns = [
    path("settings/api-keys/", keys_web.api_key_settings, name="api_key_settings"),
    path("settings/api-keys/<str:public_id>/revoke/", keys_web.api_key_revoke, name="api_key_revoke"),
]
