"""/t/<slug>/settings/payments/: connect Stripe, see the connection's state, payment options.

Owners and admins only. Connecting is a form POST answered with a 303 to Stripe's onboarding
page (an account link); Stripe sends the browser back to `return/` (state synced at once,
without waiting for `account.updated`) or, for an expired link, to `refresh/` for a new one.
"""

from __future__ import annotations

import logging

from django import forms
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from billing import connect, stripe_client
from billing.models import PaymentSettings
from core.web import call_service, csp_allow_form_action, require_membership
from tenants import roles
from tenants.requests import TenantRequest

logger = logging.getLogger(__name__)


class PaymentSettingsForm(forms.ModelForm):
    class Meta:
        model = PaymentSettings
        fields = ["online_payments", "allow_partial_payments", "payment_instructions"]
        widgets = {"payment_instructions": forms.Textarea(attrs={"rows": 4})}
        labels = {"payment_instructions": gettext_lazy("Payment instructions")}


def _urls(request: TenantRequest, slug: str) -> tuple[str, str]:
    refresh = request.build_absolute_uri(reverse("payment_settings_refresh", args=[slug]))
    back = request.build_absolute_uri(reverse("payment_settings_return", args=[slug]))
    return refresh, back


def _with_stripe_form_action(response: HttpResponse) -> HttpResponse:
    # The Connect button POSTs here and is answered with a redirect to Stripe's onboarding;
    # Chromium checks that redirect against form-action.
    if stripe_client.payments_enabled():
        csp_allow_form_action(response, stripe_client.hosted_page_origins())
    return response


@require_membership(roles.can_manage_tenant)
def payment_settings(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    current = connect.payment_settings_get()
    form = PaymentSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        saved = call_service(
            request,
            connect.payment_settings_update,
            actor=request.membership,
            online_payments=form.cleaned_data["online_payments"],
            allow_partial_payments=form.cleaned_data["allow_partial_payments"],
            payment_instructions=form.cleaned_data["payment_instructions"],
        )
        if saved:
            messages.success(request, _("Payment settings saved."))
            return redirect("payment_settings", tenant_slug=tenant_slug)
    return _render_settings(request, form, current)


def _render_settings(
    request: TenantRequest, form: PaymentSettingsForm | None = None, current: PaymentSettings | None = None
) -> HttpResponse:
    current = current or connect.payment_settings_get()
    form = form or PaymentSettingsForm(instance=current)
    status = connect.online_payment_status(tenant=request.tenant, payment_settings=current)
    context = {
        "form": form,
        "stripe_configured": stripe_client.payments_enabled(),
        "account": connect.stripe_account_for(tenant=request.tenant),
        "online": status,
        "online_reason": connect.REASONS.get(status.reason, ""),
    }
    return _with_stripe_form_action(render(request, "billing/payment_settings.html", context))


def _onboarding_redirect(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    refresh, back = _urls(request, tenant_slug)
    try:
        url = call_service(
            request,
            connect.stripe_account_onboarding_link,
            actor=request.membership,
            refresh_url=refresh,
            return_url=back,
        )
    except stripe_client.StripeError:
        logger.exception("Stripe onboarding link failed")
        messages.error(request, _("Stripe could not be reached. Please try again in a few minutes."))
        url = None
    if url:
        return HttpResponseRedirect(url, status=303)
    if request.method == "POST":
        return redirect("payment_settings", tenant_slug=tenant_slug)
    return _render_settings(request)  # Stripe's refresh link (a GET): show why, with the page


@require_POST
@require_membership(roles.can_manage_tenant)
def payment_settings_connect(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    return _onboarding_redirect(request, tenant_slug)


@require_GET
@require_membership(roles.can_manage_tenant)
def payment_settings_refresh(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    """Stripe sends the browser here when an onboarding link expired: hand out a fresh one."""
    return _onboarding_redirect(request, tenant_slug)


@require_GET
@require_membership(roles.can_manage_tenant)
def payment_settings_return(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    """Back from onboarding: read the account's state now rather than wait for the webhook."""
    account = connect.stripe_account_for(tenant=request.tenant)
    if account is not None:
        stripe_id = account.stripe_id
        try:
            account = connect.stripe_account_sync(stripe_id=stripe_id)
        except stripe_client.StripeError:
            logger.warning("Could not sync Stripe account %s", stripe_id, exc_info=True)
    if account is not None and account.state == "active":
        messages.success(request, _("Stripe is connected: your clients can pay by card."))
    else:
        messages.info(request, _("Stripe has not finished setting up your account yet."))
    return _render_settings(request)
