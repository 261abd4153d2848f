"""Settings → Webhooks in the web app (owners and admins): endpoints, recent deliveries and
failures, replay. Thin views over api.webhooks.services; TenantMiddleware has set the scope."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from api.webhooks import selectors, services
from api.webhooks.models import DeliveryStatus, EventType, WebhookDelivery, WebhookEndpoint
from core.errors import ApplicationError
from core.web import call_service, require_membership
from tenants import roles
from tenants.requests import TenantRequest

NEW_ENDPOINT_SESSION_KEY = "webhooks.new_secret"
RECENT = 50


class WebhookEndpointForm(forms.Form):
    url = forms.CharField(
        label=gettext_lazy("Endpoint URL"),
        max_length=500,
        help_text=gettext_lazy("https://… — we POST signed JSON events to it."),
    )
    events = forms.MultipleChoiceField(
        label=gettext_lazy("Events"), choices=EventType.choices, widget=forms.CheckboxSelectMultiple
    )
    description = forms.CharField(label=gettext_lazy("Description"), max_length=200, required=False)


@require_membership(roles.can_manage_tenant)
def webhook_settings(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    form = WebhookEndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                made = services.webhook_endpoint_create(actor=request.membership, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            # Shown once, on the next page only.
            request.session[NEW_ENDPOINT_SESSION_KEY] = {
                "endpoint": made.endpoint.public_id,
                "secret": made.secret,
            }
            messages.success(
                request, _("Endpoint added. Copy its signing secret now: it is not shown again.")
            )
            return redirect("webhook_settings", tenant_slug=tenant_slug)
    only_failed = request.GET.get("status") == DeliveryStatus.FAILED
    deliveries = selectors.webhook_delivery_list(status=DeliveryStatus.FAILED if only_failed else None)
    context = {
        "form": form,
        "endpoints": selectors.webhook_endpoint_list(),
        "deliveries": deliveries.order_by("-created_at", "-pk")[:RECENT],
        "failed_count": selectors.webhook_delivery_list(status=DeliveryStatus.FAILED).count(),
        "only_failed": only_failed,
        "new_secret": request.session.pop(NEW_ENDPOINT_SESSION_KEY, None),
    }
    return render(request, "api/webhooks.html", context)


@require_POST
@require_membership(roles.can_manage_tenant)
def webhook_endpoint_delete(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint.objects.all(), public_id=public_id)
    call_service(request, services.webhook_endpoint_delete, actor=request.membership, endpoint=endpoint)
    messages.success(request, _("Endpoint deleted."))
    return redirect("webhook_settings", tenant_slug=tenant_slug)


@require_POST
@require_membership(roles.can_manage_tenant)
def webhook_delivery_replay(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    delivery = get_object_or_404(WebhookDelivery.objects.select_related("endpoint"), public_id=public_id)
    if call_service(request, services.webhook_delivery_replay, actor=request.membership, delivery=delivery):
        messages.success(request, _("Delivery queued again."))
    return redirect("webhook_settings", tenant_slug=tenant_slug)
