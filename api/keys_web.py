"""Settings → API keys in the web app (owners and admins): create a key with a name and a role,
see when each was last used, revoke. The secret is shown once, on the page after creating it.
Thin views over api.services and api.selectors; TenantMiddleware has set the scope."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from api import selectors, services
from api.models import ApiKey
from core.errors import ApplicationError
from core.web import call_service, require_membership
from tenants import roles
from tenants.models import Role
from tenants.requests import TenantRequest

NEW_KEY_SESSION_KEY = "api_keys.new_secret"


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=ApiKey._meta.get_field("name").max_length,
        help_text=gettext_lazy("What will use it, e.g. “Accounting sync”."),
    )
    role = forms.ChoiceField(
        label=gettext_lazy("Role"),
        initial=Role.MEMBER,
        help_text=gettext_lazy("What the key may do, as a member of this role would. Never more than yours."),
    )

    def __init__(self, data: Mapping[str, Any] | None = None, *, actor_role: str) -> None:
        super().__init__(data)
        role = self.fields["role"]
        assert isinstance(role, forms.ChoiceField)
        role.choices = [
            (value, label) for value, label in Role.choices if roles.rank(value) <= roles.rank(actor_role)
        ]


@require_membership(roles.can_manage_tenant)
def api_key_settings(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    form = ApiKeyForm(request.POST or None, actor_role=request.membership.role)
    if request.method == "POST" and form.is_valid():
        try:
            made = services.api_key_create(actor=request.membership, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            # Shown once, on the next page only: the database keeps the hash alone.
            request.session[NEW_KEY_SESSION_KEY] = {"key": made.api_key.public_id, "secret": made.secret}
            messages.success(request, _("API key created. Copy it now: it is not shown again."))
            return redirect("api_key_settings", tenant_slug=tenant_slug)
    context = {
        "form": form,
        "keys": selectors.api_key_list(tenant=request.tenant),
        "new_key": request.session.pop(NEW_KEY_SESSION_KEY, None),
    }
    return render(request, "api/api_keys.html", context)


@require_POST
@require_membership(roles.can_manage_tenant)
def api_key_revoke(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    # Another workspace's key is a 404, as any object of another tenant.
    if selectors.api_key_get(tenant=request.tenant, public_id=public_id) is None:
        raise Http404
    if call_service(request, services.api_key_revoke, actor=request.membership, api_key=public_id):
        messages.success(request, _("API key revoked: requests made with it are refused from now on."))
    return redirect("api_key_settings", tenant_slug=tenant_slug)
