"""The client portal, mounted at /portal/ (a contact signed in by a magic link)."""

from django.urls import path

from portal import client_views as views

urlpatterns = [
    path("", views.portal_home, name="portal_home"),
    path("sign-in/<str:token>", views.portal_sign_in, name="portal_sign_in"),
    path("sign-out", views.portal_sign_out, name="portal_sign_out"),
    path("pay", views.portal_pay, name="portal_pay"),
    path("statement", views.portal_statement, name="portal_statement"),
    path("invoices/<str:public_id>", views.portal_invoice, name="portal_invoice"),
    path("invoices/<str:public_id>/pdf", views.portal_invoice_pdf, name="portal_invoice_pdf"),
    path("payments/<str:public_id>/receipt", views.portal_receipt, name="portal_receipt"),
    path("quotes/<str:public_id>", views.portal_quote, name="portal_quote"),
    path("quotes/<str:public_id>/answer", views.portal_quote_answer, name="portal_quote_answer"),
    path("w/<slug:tenant_slug>", views.portal_request, name="portal_request"),
]
