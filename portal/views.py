"""The client's public invoice page, `/i/<token>`: no login, the token is the key.

Every answer (the page, the 404, the 429) is private: `Referrer-Policy: no-referrer` so the
token never leaks to another site through a link, `X-Robots-Tag: noindex` (and a robots meta
tag) so no search engine keeps it, `Cache-Control: no-store` so no shared cache does.

The lookup runs in two steps because the request has no tenant yet: the index's lookup door
(`PublicInvoiceLink`, a hash and ids only) names the tenant, then everything else is read inside
`tenant_scope(tenant)`, row-level security included.
"""

from __future__ import annotations

import logging

from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from billing import stripe_client
from billing.checkout import checkout_attempt_settle, invoice_checkout_start, invoice_payable_online
from billing.connect import REASONS, online_payment_status, payment_settings_get
from billing.models import CheckoutAttempt, CheckoutAttemptStatus
from core.downloads import download_url
from core.errors import ApplicationError
from core.web import csp_allow_form_action, private_page
from documents.invoice_pdf import current_pdfs
from documents.models import DocumentStatus, InvoiceDocument
from documents.services import document_filename
from documents.storage import CONTENT_TYPES
from invoices import selectors
from invoices.l10n import delocalize_decimal, document_language
from invoices.models import Dispute, DisputeStatus, Invoice, InvoiceStatus
from invoices.money import quantize_money
from invoices.summary import document_context
from portal import services
from portal.models import InvoiceLink
from tenants.models import Tenant
from tenants.secret_links import link_not_found, secret_link_view
from tenants.selectors import is_member

logger = logging.getLogger(__name__)


def _open_link(token: str) -> tuple[Tenant, str] | None:
    target = services.public_link_lookup(token=token)
    return (target.tenant, target.link_public_id) if target else None


invoice_link_view = secret_link_view(
    scope="invoice-link",
    too_many=_lazy("Too many requests. Please wait a few minutes before opening invoice links again."),
    find=_open_link,
)


def _resolve(tenant: Tenant, link_id: str) -> InvoiceLink | None:
    return services.invoice_link_resolve(target=services.PublicLinkTarget(tenant, link_id))


def _settle_return(invoice: Invoice, session_id: str) -> None:
    """Back from Checkout: settle that session now rather than wait for its webhook."""
    attempt = CheckoutAttempt.objects.filter(
        invoice=invoice, session_id=session_id, status=CheckoutAttemptStatus.OPEN
    ).first()
    if attempt is None:
        return
    try:
        checkout_attempt_settle(attempt=attempt)
    except stripe_client.StripeError:
        # The webhook or the reconciliation will record it; the page must still show.
        logger.warning("Could not settle checkout %s on return", session_id, exc_info=True)


def _page(
    request: HttpRequest,
    token: str,
    link: InvoiceLink,
    tenant: Tenant,
    *,
    pay_error: str = "",
    status: int = 200,
) -> HttpResponse:
    invoice = selectors.invoice_get(public_id=link.invoice.public_id)
    if invoice is None:  # the link holds its invoice: only a row the scope hides gets here
        return link_not_found(request)
    payment_settings = payment_settings_get()
    online = online_payment_status(tenant=tenant, payment_settings=payment_settings)
    held = Dispute.objects.filter(invoice=invoice, status=DisputeStatus.OPEN).aggregate(total=Sum("amount"))[
        "total"
    ]
    # The whole page, its figures included, in the client's language (as its PDF and emails).
    with translation.override(document_language(invoice.client.language)[0]):
        context = document_context(invoice=invoice, tenant=tenant)
        context.update(
            token=token,
            tenant=tenant,
            payable=invoice_payable_online(invoice),
            online=online,
            online_off_reason=REASONS.get(online.reason, "") if online.reason != "switched_off" else "",
            payment_settings=payment_settings,
            allow_partial=payment_settings.allow_partial_payments,
            is_void=invoice.status == InvoiceStatus.VOID,
            is_paid=invoice.status == InvoiceStatus.PAID,
            held_in_dispute=held,
            checkout_state=request.GET.get("checkout", ""),
            pay_error=pay_error,
            pdf_url=_pdf_url(invoice, token),
            # Plain digits for the amount field (never localized: "1 234,50" would not parse back).
            balance_input=str(quantize_money(invoice.balance_due, invoice.currency)),
        )
        context["page_language"] = translation.get_language()
        response = render(request, "invoices/public/invoice.html", context, status=status)
        response["Content-Language"] = translation.get_language()
    if online.enabled:
        # The Pay now form leads (POST, then 303) to Stripe's hosted page; Chromium checks that
        # redirect against form-action too, so this page allows Stripe's origin there.
        csp_allow_form_action(response, stripe_client.hosted_page_origins())
    return private_page(response)


def _ready_pdf(invoice: Invoice) -> InvoiceDocument | None:
    """The PDF of the invoice as it is now, if the PDF pipeline has rendered it.

    Rendering on the client's demand would need a documents service that accepts no member as
    its actor (`document_request` takes one); until then a PDF shows once a member or a task
    has generated it for the current version.
    """
    document = current_pdfs([invoice]).get(invoice.pk)
    return document if document is not None and document.status == DocumentStatus.READY else None


def _pdf_url(invoice: Invoice, token: str) -> str:
    return reverse("public_invoice_pdf", args=[token]) if _ready_pdf(invoice) else ""


@require_GET
@invoice_link_view
def public_invoice(request: HttpRequest, token: str, tenant: Tenant, link_id: str) -> HttpResponse:
    link = _resolve(tenant, link_id)
    if link is None:
        return link_not_found(request)
    if not is_member(request.user, tenant):
        services.invoice_link_record_view(link=link)
    session_id = request.GET.get("session_id", "")
    if session_id and request.GET.get("checkout") == "done":
        _settle_return(link.invoice, session_id)
    return _page(request, token, link, tenant)


# No CSRF token: this page is served with Referrer-Policy no-referrer, under which browsers send
# `Origin: null` with the form, which Django's origin check refuses. Nothing is lost: the URL
# itself holds the 256-bit secret, so a page on another site cannot forge this POST without
# already knowing the token, and all it could do with it is what the token already allows.
@csrf_exempt
@require_POST
@invoice_link_view
def public_invoice_pay(request: HttpRequest, token: str, tenant: Tenant, link_id: str) -> HttpResponse:
    """Pay now: a Checkout Session made on demand, then 303 to Stripe's hosted page.

    A form POST, not a link: making a session is a write (and a partial payment needs an
    amount), and a GET link would be followed by email scanners and prefetchers.
    """
    link = _resolve(tenant, link_id)
    if link is None:
        return link_not_found(request)
    return_url = request.build_absolute_uri(reverse("public_invoice", args=[token]))
    try:
        # A refusal ("You can pay at most …") is shown on the client's page: in their language.
        language, locale = document_language(link.invoice.client.language)
        amount = delocalize_decimal((request.POST.get("amount") or "").strip(), locale)
        with translation.override(language):
            url = invoice_checkout_start(invoice=link.invoice, return_url=return_url, amount=amount or None)
    except ApplicationError as error:
        return _page(request, token, link, tenant, pay_error=error.message, status=400)
    except stripe_client.StripeError:
        logger.exception("Checkout for %s failed", link.invoice.public_id)
        return _page(
            request,
            token,
            link,
            tenant,
            pay_error=str(REASONS["unavailable"]),
            status=503,
        )
    return private_page(HttpResponseRedirect(url, status=303))


@require_GET
@invoice_link_view
def public_invoice_pdf(request: HttpRequest, token: str, tenant: Tenant, link_id: str) -> HttpResponse:
    """The PDF through a short-lived link (presigned S3, or a signed local link): 5 minutes."""
    link = _resolve(tenant, link_id)
    document = _ready_pdf(link.invoice) if link else None
    if link is None or document is None:
        return link_not_found(request)
    url = download_url(
        storage_key=document.storage_key,
        filename=document_filename(link.invoice, document.format),
        content_type=CONTENT_TYPES[document.format],
    )
    return private_page(HttpResponseRedirect(url))
