"""Billing pages of a workspace, mounted under /t/<tenant_slug>/."""

from django.urls import path

from billing import settings_views

urlpatterns = [
    path("settings/payments/", settings_views.payment_settings, name="payment_settings"),
    path(
        "settings/payments/connect/", settings_views.payment_settings_connect, name="payment_settings_connect"
    ),
    path(
        "settings/payments/refresh/", settings_views.payment_settings_refresh, name="payment_settings_refresh"
    ),
    path("settings/payments/return/", settings_views.payment_settings_return, name="payment_settings_return"),
]
