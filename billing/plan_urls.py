from django.contrib.sitemaps.views import sitemap
from django.urls import path

from billing import marketing, plan_views

# Mounted under /t/<tenant_slug>/ : TenantMiddleware has already checked membership.
tenant_urlpatterns = [
    path("settings/billing/", plan_views.billing_settings, name="plan_billing"),
    path("settings/billing/checkout/", plan_views.plan_checkout, name="plan_checkout"),
    path("settings/billing/portal/", plan_views.plan_portal, name="plan_portal"),
]

# The public marketing site ("/" itself is tenants.views.home, which renders the landing page).
public_urlpatterns = [
    path("pricing/", marketing.pricing, name="pricing"),
    path("sitemap.xml", sitemap, {"sitemaps": marketing.SITEMAPS}, name="sitemap"),
    path("robots.txt", marketing.robots_txt, name="robots_txt"),
]
