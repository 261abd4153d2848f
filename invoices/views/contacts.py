"""A client's contacts, edited from the client's page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.web import call_service
from invoices import selectors, services
from invoices.models import Client, ClientContact
from invoices.services.contacts import CONTACT_FIELDS
from invoices.views._helpers import found_or_404, submit_form, writer_required
from tenants.requests import TenantRequest


class ContactForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    email = forms.EmailField(label=gettext_lazy("Email"), max_length=254)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=40, required=False)
    role = forms.CharField(label=gettext_lazy("Role"), max_length=100, required=False)
    language = forms.ChoiceField(label=gettext_lazy("Language"), required=False)
    primary = forms.BooleanField(label=gettext_lazy("Primary contact"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = self.fields["language"]
        assert isinstance(language, forms.ChoiceField)
        language.choices = [("", _("The client's language")), *settings.LANGUAGES]


def _client(public_id: str) -> Client:
    return found_or_404(selectors.client_get(public_id=public_id))


def _contact(client: Client, contact_id: str) -> ClientContact:
    return found_or_404(ClientContact.objects.filter(client=client, public_id=contact_id).first())


@writer_required
def contact_create(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    client = _client(public_id)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        contact = submit_form(
            form,
            services.contact_create,
            actor=request.membership,
            client=client,
            primary=data.pop("primary"),
            **data,
        )
        if contact:
            messages.success(request, _("Contact %(name)s added.") % {"name": contact.name})
            return redirect("client_detail", tenant_slug, public_id)
    return render(request, "invoices/contact_form.html", {"form": form, "client": client, "contact": None})


@writer_required
def contact_edit(request: TenantRequest, tenant_slug: str, public_id: str, contact_id: str) -> HttpResponse:
    client = _client(public_id)
    contact = _contact(client, contact_id)
    initial = {name: getattr(contact, name) for name in CONTACT_FIELDS}
    form = ContactForm(request.POST or None, initial={**initial, "primary": contact.is_primary})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        primary = data.pop("primary")
        updated = submit_form(
            form, services.contact_update, actor=request.membership, contact=contact, **data
        )
        if updated:
            if primary and not updated.is_primary:
                services.contact_make_primary(actor=request.membership, contact=updated)
            messages.success(request, _("Contact saved."))
            return redirect("client_detail", tenant_slug, public_id)
    return render(request, "invoices/contact_form.html", {"form": form, "client": client, "contact": contact})


@require_POST
@writer_required
def contact_delete(request: TenantRequest, tenant_slug: str, public_id: str, contact_id: str) -> HttpResponse:
    contact = _contact(_client(public_id), contact_id)
    if call_service(request, services.contact_delete, actor=request.membership, contact=contact):
        messages.success(request, _("Contact removed."))
    return redirect("client_detail", tenant_slug, public_id)


@require_POST
@writer_required
def contact_make_primary(
    request: TenantRequest, tenant_slug: str, public_id: str, contact_id: str
) -> HttpResponse:
    contact = _contact(_client(public_id), contact_id)
    if call_service(request, services.contact_make_primary, actor=request.membership, contact=contact):
        messages.success(request, _("%(name)s is the primary contact.") % {"name": contact.name})
    return redirect("client_detail", tenant_slug, public_id)
