"""/api/v1/…: the tenant comes from the credential, never from the URL."""

from django.urls import include, path, re_path
from rest_framework.routers import SimpleRouter

from api import generate
from api.views._common import api_not_found
from api.views.auth import LogoutView, TokenObtainView, TokenRefreshView
from api.views.invoices import InvoiceViewSet
from api.views.keys import ApiKeyViewSet
from api.views.quotes import QuoteViewSet
from api.views.resources import CatalogItemViewSet, ClientViewSet, TaxRateViewSet
from api.webhooks.views import WebhookDeliveryViewSet, WebhookEndpointViewSet

app_name = "api"

router = SimpleRouter()
router.register("clients", ClientViewSet, basename="client")
router.register("tax-rates", TaxRateViewSet, basename="tax-rate")
router.register("catalog-items", CatalogItemViewSet, basename="catalog-item")
router.register("invoices", InvoiceViewSet, basename="invoice")
router.register("quotes", QuoteViewSet, basename="quote")
router.register("api-keys", ApiKeyViewSet, basename="api-key")
router.register("webhook-endpoints", WebhookEndpointViewSet, basename="webhook-endpoint")
router.register("webhook-deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")

urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="token"),
    path("auth/token/refresh/", TokenRefreshView.as_view(), name="token-refresh"),
    path("auth/logout/", LogoutView.as_view(), name="logout"),
    # "Upload and generate" (api/generate.py): before the router, whose invoices/{id}/ would match.
    path("invoices/generate/", generate.generate_view, name="invoice-generate"),
    re_path(r"^invoices/(?P<id>[^/]+)/generation/$", generate.status_view, name="invoice-generation"),
    re_path(r"^invoices/(?P<id>[^/]+)/generation/pdf/$", generate.pdf_view, name="invoice-generation-pdf"),
    re_path(r"^invoices/(?P<id>[^/]+)/generation/csv/$", generate.csv_view, name="invoice-generation-csv"),
    re_path(r"^invoices/(?P<id>[^/]+)/generation/xlsx/$", generate.xlsx_view, name="invoice-generation-xlsx"),
    # A stand-alone credit note (no invoice to hang it on): the invoice viewset's create action.
    path(
        "credit-notes/",
        InvoiceViewSet.as_view({"post": "create_standalone_credit_note"}),
        name="credit-note-list",
    ),
    path("", include(router.urls)),
    # Anything else under /api/v1/ is a JSON 404, in the API's error format.
    re_path(r"^.*$", api_not_found),
]
