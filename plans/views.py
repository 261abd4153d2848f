"""The workspace's billing settings: its plan, this month's usage, subscribe and manage."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing import stripe_client
from core.web import call_service, csp_allow_form_action, require_membership
from plans import services as plan_services
from plans.catalog import plan_list, plans_enabled, tenant_usage
from plans.models import PlanSubscription
from tenants import roles
from tenants.requests import TenantRequest


def _allow_stripe_redirects(response: HttpResponse) -> HttpResponse:
    """CSP form-action also governs where a form's POST may redirect: Stripe's hosted pages."""
    origins = [*stripe_client.hosted_page_origins(), stripe_client.STRIPE_PORTAL_ORIGIN]
    return csp_allow_form_action(response, origins)


def _billing_url(request: TenantRequest) -> str:
    return request.build_absolute_uri(reverse("plan_billing", args=[request.tenant.slug]))


@require_membership(roles.can_manage_tenant)
def billing_settings(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    tenant = request.tenant
    enabled = plans_enabled()
    session_id = request.GET.get("session_id", "")
    if enabled and request.GET.get("checkout") == "success" and session_id:
        # Back from Checkout: read the outcome from Stripe now; the webhook may come later.
        if call_service(
            request, plan_services.plan_checkout_complete, actor=request.membership, session_id=session_id
        ):
            messages.success(request, _("Thank you: your subscription is set up."))
        return redirect("plan_billing", tenant_slug)
    if request.GET.get("checkout") == "canceled":
        messages.info(request, _("Checkout was canceled: nothing was charged."))
        return redirect("plan_billing", tenant_slug)
    subscription = PlanSubscription.objects.filter(tenant=tenant).first() if enabled else None
    usage = tenant_usage(tenant=tenant)
    context = {
        "plans_enabled": enabled,
        "plans": [p for p in plan_list() if p.available],
        "subscription": subscription,
        "usage": usage,
        "current_plan": usage.plan if usage else None,
        "has_customer": bool(subscription and subscription.stripe_customer_id),
        "is_live": bool(subscription and subscription.is_live),
    }
    return _allow_stripe_redirects(render(request, "billing/billing_settings.html", context))


@require_POST
@require_membership(roles.can_manage_tenant)
def plan_checkout(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    base = _billing_url(request)
    session = call_service(
        request,
        plan_services.plan_checkout_start,
        actor=request.membership,
        plan=request.POST.get("plan", ""),
        # Stripe puts the session's id in place of the placeholder.
        success_url=f"{base}?checkout=success&session_id={{CHECKOUT_SESSION_ID}}",
        cancel_url=f"{base}?checkout=canceled",
    )
    if session is None:
        return redirect("plan_billing", tenant_slug)
    return HttpResponseRedirect(session["url"], status=303)


@require_POST
@require_membership(roles.can_manage_tenant)
def plan_portal(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    url = call_service(
        request, plan_services.plan_portal_start, actor=request.membership, return_url=_billing_url(request)
    )
    if url is None:
        return redirect("plan_billing", tenant_slug)
    return HttpResponseRedirect(url, status=303)
