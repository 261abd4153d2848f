from django.contrib import admin
from django.urls import include, path

from api.views.docs import DocsView, SchemaView
from core.downloads import serve_download
from invoiceflow import health
from tenants.urls import tenant_urlpatterns

# A request that got no pooled database connection in time is a 503 (invoiceflow/database.py).
handler500 = "invoiceflow.database.server_error"

admin.site.site_header = "InvoiceFlow platform admin"
admin.site.site_title = "InvoiceFlow admin"

urlpatterns = [
    # Probes: no trailing slash, exempt from the HTTPS redirect (SECURE_REDIRECT_EXEMPT).
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    # Short-lived links to stored files in local-storage mode (S3 mode presigns instead).
    path("downloads/<str:token>/", serve_download, name="signed_download"),
    path("billing/", include("billing.urls")),
    # Email delivery events (SES via SNS, when EMAIL_PROVIDER=ses): basic-auth'd by
    # ANYMAIL_WEBHOOK_SECRET. Only that provider's route: not anymail.urls (delivery/tracking_webhook.py).
    path("anymail/", include("delivery.tracking_webhook")),
    # The client's public invoice page: no login, the token in the path is the key.
    path("i/", include("portal.urls")),
    # The client's quote page: read, accept or decline; the token in the path is the key.
    path("q/", include("quotes.urls_public")),
    # The client portal: a contact signed in by a magic link sees their client's documents.
    path("portal/", include("portal.client_urls")),
    # REST API: tenant from the credential (api/authentication.py); schema and docs beside it.
    path("api/v1/", include("api.urls")),
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    path("api/docs/", DocsView.as_view(), name="api-docs"),
    path("t/<slug:tenant_slug>/", include(tenant_urlpatterns)),
    path("t/<slug:tenant_slug>/", include("plans.urls")),
    # The public site: home, pricing, sitemap.xml, robots.txt.
    path("", include("website.urls")),
    path("t/<slug:tenant_slug>/", include("invoices.urls")),
    # Sending by email, reminder settings, recurring invoices (delivery/views.py).
    path("t/<slug:tenant_slug>/", include("delivery.urls")),
    # PDFs and exports: generate, live status, downloads, bulk (documents/).
    path("t/<slug:tenant_slug>/", include("documents.urls")),
    # Received e-invoices: upload, list, read back with their rule results (einvoicing/views.py).
    path("t/<slug:tenant_slug>/", include("einvoicing.urls")),
    # Quotes: list, builder, sending, invoicing an accepted quote (quotes/views.py).
    path("t/<slug:tenant_slug>/", include("quotes.urls")),
    path("t/<slug:tenant_slug>/", include("billing.tenant_urls")),
    # Settings → Webhooks: endpoints, deliveries, replay (api/webhooks/web.py).
    path("t/<slug:tenant_slug>/", include("api.webhooks.urls")),
    # Settings → API keys: create, last used, revoke (api/keys_web.py).
    path("t/<slug:tenant_slug>/", include("api.keys_urls")),
    path("", include("tenants.urls")),
]
