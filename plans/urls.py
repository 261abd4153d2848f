"""Plan pages of a workspace, mounted under /t/<tenant_slug>/ (TenantMiddleware has checked membership)."""

from django.urls import path

from plans import views

urlpatterns = [
    path("settings/billing/", views.billing_settings, name="plan_billing"),
    path("settings/billing/checkout/", views.plan_checkout, name="plan_checkout"),
    path("settings/billing/portal/", views.plan_portal, name="plan_portal"),
]
