"""Quote pages, mounted under /t/<tenant_slug>/ (TenantMiddleware has checked membership)."""

from django.urls import path

from quotes import views

urlpatterns = [
    path("quotes/", views.quote_list, name="quote_list"),
    path("quotes/new/", views.quote_new, name="quote_new"),
    path("quotes/builder/totals/", views.quote_builder_totals, name="quote_builder_totals"),
    path("quotes/<str:public_id>/", views.quote_detail, name="quote_detail"),
    path("quotes/<str:public_id>/edit/", views.quote_edit, name="quote_edit"),
    path("quotes/<str:public_id>/send/", views.quote_send, name="quote_send"),
    path("quotes/<str:public_id>/delete/", views.quote_delete, name="quote_delete"),
    path("quotes/<str:public_id>/pdf/", views.quote_pdf, name="quote_pdf"),
    path("quotes/<str:public_id>/invoice/<str:kind>/", views.quote_invoice, name="quote_invoice"),
]
