"""Email, reminder and recurring-invoice pages, mounted under /t/<tenant_slug>/."""

from django.urls import path

from delivery import views

urlpatterns = [
    path("invoices/<str:public_id>/send/", views.invoice_send, name="invoice_send"),
    path(
        "clients/<str:public_id>/email-problems/clear/",
        views.client_email_problem_clear,
        name="client_email_problem_clear",
    ),
    path("clients/<str:public_id>/reminders/", views.client_reminders, name="client_reminders"),
    path("settings/email/", views.sending_settings, name="sending_settings"),
    path("recurring/", views.recurring_list, name="recurring_list"),
    path("recurring/new/", views.recurring_create, name="recurring_create"),
    path("recurring/<str:public_id>/", views.recurring_edit, name="recurring_edit"),
    path("recurring/<str:public_id>/pause/", views.recurring_pause, name="recurring_pause"),
]
