"""The client's public invoice page, mounted at /i/ (no login, no tenant in the URL)."""

from django.urls import path

from portal import views

urlpatterns = [
    path("<str:token>", views.public_invoice, name="public_invoice"),
    path("<str:token>/pay", views.public_invoice_pay, name="public_invoice_pay"),
    path("<str:token>/pdf", views.public_invoice_pdf, name="public_invoice_pdf"),
]
