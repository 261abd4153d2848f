"""OpenAPI schema and Swagger UI, from vendored assets (drf-spectacular-sidecar).

No CSP exception is needed: drf-spectacular's split view serves Swagger UI's initialiser as
a separate script from our origin (script-src 'self'), and our template (api/swagger_ui.html)
drops the inline <style> of the stock one; Swagger UI's own styles come from its vendored CSS
file and the inline styles React sets go through the CSSOM, which style-src does not govern.
"""

from __future__ import annotations

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import permissions


class SchemaView(SpectacularAPIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []


class DocsView(SpectacularSwaggerSplitView):
    template_name = "api/swagger_ui.html"
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []
    url_name = "api-schema"
