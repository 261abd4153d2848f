"""Received e-invoice pages, mounted under /t/<tenant_slug>/ by invoiceflow/urls.py."""

from django.urls import path

from einvoicing import views

urlpatterns = [
    path("received/", views.received_list, name="received_list"),
    path("received/upload/", views.received_upload, name="received_upload"),
    path("received/<str:public_id>/", views.received_detail, name="received_detail"),
]
