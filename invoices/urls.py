"""Invoicing pages, mounted under /t/<tenant_slug>/ (TenantMiddleware has checked membership)."""

from django.urls import path

from invoices.views import (
    builder,
    catalog,
    client_picker,
    clients,
    contacts,
    credit_notes,
    dashboard,
    invoices,
    seller,
)

urlpatterns = [
    # The home page of a workspace is the invoicing dashboard.
    path("", dashboard.dashboard, name="dashboard"),
    path("invoices/", invoices.invoice_list, name="invoice_list"),
    path("invoices/new/", builder.invoice_new, name="invoice_new"),
    path("invoices/builder/totals/", builder.invoice_builder_totals, name="invoice_builder_totals"),
    path(
        "invoices/builder/clients/",
        client_picker.invoice_builder_client_search,
        name="invoice_builder_client_search",
    ),
    path(
        "invoices/builder/clients/pick/",
        client_picker.invoice_builder_client_pick,
        name="invoice_builder_client_pick",
    ),
    path(
        "invoices/builder/clients/new/",
        client_picker.invoice_builder_client_create,
        name="invoice_builder_client_create",
    ),
    path("invoices/<str:public_id>/", invoices.invoice_detail, name="invoice_detail"),
    path("invoices/<str:public_id>/edit/", builder.invoice_edit, name="invoice_edit"),
    path("invoices/<str:public_id>/preview/", invoices.invoice_preview, name="invoice_preview"),
    path("invoices/<str:public_id>/finalize/", invoices.invoice_finalize, name="invoice_finalize"),
    path("invoices/<str:public_id>/void/", invoices.invoice_void, name="invoice_void"),
    path(
        "invoices/<str:public_id>/uncollectible/",
        invoices.invoice_mark_uncollectible,
        name="invoice_mark_uncollectible",
    ),
    path(
        "invoices/<str:public_id>/payments/", invoices.invoice_record_payment, name="invoice_record_payment"
    ),
    path("invoices/<str:public_id>/credit-note/", invoices.invoice_credit_note, name="invoice_credit_note"),
    path("invoices/<str:public_id>/duplicate/", invoices.invoice_duplicate, name="invoice_duplicate"),
    path("invoices/<str:public_id>/delete/", invoices.invoice_delete, name="invoice_delete"),
    path("clients/", clients.client_list, name="client_list"),
    path("clients/new/", clients.client_create, name="client_create"),
    path("clients/<str:public_id>/", clients.client_detail, name="client_detail"),
    path("clients/<str:public_id>/edit/", clients.client_edit, name="client_edit"),
    path("clients/<str:public_id>/archive/", clients.client_archive, name="client_archive"),
    path("clients/<str:public_id>/unarchive/", clients.client_unarchive, name="client_unarchive"),
    path(
        "clients/<str:public_id>/credit-notes/new/",
        credit_notes.credit_note_create_standalone,
        name="credit_note_create_standalone",
    ),
    path("clients/<str:public_id>/contacts/new/", contacts.contact_create, name="contact_create"),
    path(
        "clients/<str:public_id>/contacts/<str:contact_id>/edit/", contacts.contact_edit, name="contact_edit"
    ),
    path(
        "clients/<str:public_id>/contacts/<str:contact_id>/delete/",
        contacts.contact_delete,
        name="contact_delete",
    ),
    path(
        "clients/<str:public_id>/contacts/<str:contact_id>/primary/",
        contacts.contact_make_primary,
        name="contact_make_primary",
    ),
    path("catalog/", catalog.catalog, name="catalog"),
    path("catalog/items/new/", catalog.catalog_item_create, name="catalog_item_create"),
    path("catalog/items/<str:public_id>/edit/", catalog.catalog_item_edit, name="catalog_item_edit"),
    path("catalog/items/<str:public_id>/archive/", catalog.catalog_item_archive, name="catalog_item_archive"),
    path("catalog/taxes/new/", catalog.tax_rate_create, name="tax_rate_create"),
    path("catalog/taxes/<str:public_id>/edit/", catalog.tax_rate_edit, name="tax_rate_edit"),
    path("catalog/taxes/<str:public_id>/archive/", catalog.tax_rate_archive, name="tax_rate_archive"),
    path("settings/company/", seller.company_settings, name="company_settings"),
    path("settings/bank-accounts/", seller.bank_account_list, name="bank_account_list"),
    path("settings/bank-accounts/new/", seller.bank_account_create, name="bank_account_create"),
    path("settings/bank-accounts/<str:public_id>/edit/", seller.bank_account_edit, name="bank_account_edit"),
    path(
        "settings/bank-accounts/<str:public_id>/default/",
        seller.bank_account_set_default,
        name="bank_account_set_default",
    ),
    path(
        "settings/bank-accounts/<str:public_id>/delete/",
        seller.bank_account_delete,
        name="bank_account_delete",
    ),
    path("settings/numbering/", catalog.numbering_settings, name="numbering_settings"),
    path("settings/numbering/preview/", catalog.numbering_preview, name="numbering_preview"),
]
