"""The client portal, `/portal/`: a contact signed in by a magic link sees their client's
invoices (open and paid), credit notes, quotes to accept, payments with receipts, and a
statement for a period (PDF, CSV).

Every page resolves the session to (workspace, contact), enters that workspace's scope (row-
level security included) and reads only rows of the contact's client: another client's id, or
another workspace's, is a 404 exactly like a missing one. Pages are private (no referrer, not
cached, not indexed) and in the contact's language.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta
from functools import wraps
from typing import Any, Concatenate, ParamSpec, cast

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.dateparse import parse_date
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing import stripe_client
from billing.checkout import invoice_payable_online
from billing.connect import REASONS, online_payment_status, payment_settings_get
from billing.group_checkout import group_checkout_start
from billing.group_ledger import group_checkout_settle
from billing.models import CheckoutAttemptStatus, GroupCheckout
from core.client_ip import client_ip
from core.downloads import download_url
from core.errors import ApplicationError
from core.web import csp_allow_form_action, private_page
from documents.models import DocumentStatus
from documents.services import document_filename, document_request_for_client
from documents.storage import CONTENT_TYPES
from invoices.models import ClientContact, Invoice, InvoiceKind, InvoiceStatus, Payment
from invoices.related import linked_invoices
from invoices.services.common import tenant_today
from portal import signin
from portal.requests import PortalRequest
from portal.statement import statement_build, statement_csv, statement_pdf
from quotes import services as quote_services
from quotes.models import Quote, QuoteStatus
from tenants.models import Tenant
from tenants.scoping import tenant_scope

logger = logging.getLogger(__name__)

P = ParamSpec("P")


def _language(contact: ClientContact | None, tenant: Tenant) -> str:
    if contact is not None:
        return contact.effective_language or tenant.locale or "en"
    return tenant.locale or "en"


def portal_page(
    view: Callable[Concatenate[PortalRequest, P], HttpResponse],
) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
    """Signed-in pages: the session's contact, in its workspace's scope and language."""

    @wraps(view)
    def wrapped(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        found = signin.session_identity(request)
        if found is None:
            return private_page(render(request, "portal/signed_out.html", status=403))
        tenant, contact = found
        with tenant_scope(tenant), translation.override(_language(contact, tenant)):
            # From here on the request is a PortalRequest: these are what make it one.
            portal_request = cast(PortalRequest, request)
            portal_request.portal_contact = contact
            portal_request.portal_tenant = tenant
            response = view(portal_request, *args, **kwargs)
            response["Content-Language"] = translation.get_language()
        # Signed in, the addresses carry no secret: same-origin lets the browser send the
        # Origin that Django's CSRF check of the portal's forms needs.
        return private_page(response, referrer="same-origin")

    return wrapped


def _render(
    request: PortalRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    context.update(
        contact=request.portal_contact,
        client=request.portal_contact.client,
        seller=request.portal_tenant,
        page_language=translation.get_language(),
    )
    return render(request, template, context, status=status)


# --- signing in -----------------------------------------------------------------------------------


@csrf_exempt  # no session yet, nothing to forge: the answer is the same for anyone
@require_http_methods(["GET", "POST"])
def portal_request(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    """Ask for a sign-in link: the same answer whether the address is a contact or not."""
    tenant = Tenant.objects.filter(slug=tenant_slug).first()
    if tenant is None:
        raise Http404
    sent = False
    if request.method == "POST":
        signin.sign_in_request(tenant=tenant, email=request.POST.get("email", ""), ip=client_ip(request))
        sent = True
    with translation.override(_language(None, tenant)):
        context = {"seller": tenant, "sent": sent, "page_language": translation.get_language()}
        return private_page(render(request, "portal/request.html", context))


@csrf_exempt  # the 256-bit token in the URL is the credential; see portal/views.py
@require_http_methods(["GET", "POST"])
def portal_sign_in(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (mail scanners follow links, and the link works once); POST uses it."""
    if request.method == "GET":
        found = signin.sign_in_find(token=token)
        if found is None:
            return private_page(render(request, "portal/link_invalid.html", status=404))
        tenant, _row = found
        with translation.override(_language(None, tenant)):
            return private_page(render(request, "portal/sign_in.html", {"token": token, "seller": tenant}))
    identity = signin.sign_in_consume(token=token, ip=client_ip(request))
    if identity is None:
        return private_page(render(request, "portal/link_invalid.html", status=404))
    signin.session_start(request, identity)
    return private_page(HttpResponseRedirect(reverse("portal_home"), status=303))


@require_POST
def portal_sign_out(request: HttpRequest) -> HttpResponse:
    signin.session_end(request)
    return private_page(render(request, "portal/signed_out.html"))


# --- the contact's pages ------------------------------------------------------------------------------


def _documents(client_id: int) -> QuerySet[Invoice]:
    return Invoice.objects.filter(client_id=client_id).exclude(status__in=[InvoiceStatus.DRAFT])


def _home(request: PortalRequest, *, pay_error: str = "", status: int = 200) -> HttpResponse:
    client = request.portal_contact.client
    tenant = request.portal_tenant
    documents = list(_documents(client.pk).order_by("-issue_date", "-pk"))
    invoices = [doc for doc in documents if doc.kind == InvoiceKind.INVOICE]
    today = tenant_today(tenant)
    online = online_payment_status(tenant=tenant, payment_settings=payment_settings_get()).enabled
    open_invoices = [i for i in invoices if i.status in (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID)]
    response = _render(
        request,
        "portal/home.html",
        {
            "open_invoices": open_invoices,
            "payable_ids": {i.public_id for i in open_invoices if online and invoice_payable_online(i)},
            "online": online,
            "pay_error": pay_error,
            "checkout_state": request.GET.get("checkout", ""),
            "paid_invoices": [i for i in invoices if i.status == InvoiceStatus.PAID],
            "credit_notes": [d for d in documents if d.kind == InvoiceKind.CREDIT_NOTE],
            "quotes": list(
                Quote.objects.filter(client=client, status=QuoteStatus.SENT, valid_until__gte=today).order_by(
                    "valid_until"
                )
            ),
            "payments": list(
                Payment.objects.filter(invoice__client=client)
                .select_related("invoice")
                .order_by("-paid_on", "-pk")
            ),
            "start": date(today.year, 1, 1),
            "end": today,
        },
        status=status,
    )
    if online:
        # The Pay form leads (POST, then 303) to Stripe's hosted page: form-action allows it.
        csp_allow_form_action(response, stripe_client.hosted_page_origins())
    return response


@require_GET
@portal_page
def portal_home(request: PortalRequest) -> HttpResponse:
    session_id = request.GET.get("session_id", "")
    if session_id and request.GET.get("checkout") == "done":
        # Back from Checkout: settle that session now rather than wait for its webhook.
        client = request.portal_contact.client
        checkout = GroupCheckout.objects.filter(
            client=client, session_id=session_id[:255], status=CheckoutAttemptStatus.OPEN
        ).first()
        if checkout is not None:
            try:
                group_checkout_settle(checkout=checkout)
            except stripe_client.StripeError:
                logger.warning("Could not settle group checkout %s on return", session_id, exc_info=True)
    return _home(request)


@require_POST
@portal_page
def portal_pay(request: PortalRequest) -> HttpResponse:
    """Pay the chosen open invoices in one Stripe Checkout Session (a form POST, then 303)."""
    client = request.portal_contact.client
    return_url = request.build_absolute_uri(reverse("portal_home"))
    try:
        url = group_checkout_start(
            client=client, invoice_ids=request.POST.getlist("invoice"), return_url=return_url
        )
    except ApplicationError as error:
        return _home(request, pay_error=error.message, status=400)
    except stripe_client.StripeError:
        logger.exception("Group checkout for client %s failed", client.public_id)
        return _home(request, pay_error=str(REASONS["unavailable"]), status=503)
    return HttpResponseRedirect(url, status=303)


@require_GET
@portal_page
def portal_invoice(request: PortalRequest, public_id: str) -> HttpResponse:
    client = request.portal_contact.client
    invoice = _documents(client.pk).filter(public_id=public_id).prefetch_related("lines").first()
    if invoice is None:
        raise Http404
    context = {"invoice": invoice, "lines": list(invoice.lines.all()), "linked": linked_invoices(invoice)}
    return _render(request, "portal/invoice.html", context)


@require_GET
@portal_page
def portal_invoice_pdf(request: PortalRequest, public_id: str) -> HttpResponse:
    """The invoice's or credit note's PDF: a short-lived download link once it is rendered (the
    documents pipeline renders it on first demand; until then a page says it is on its way)."""
    client = request.portal_contact.client
    invoice = _documents(client.pk).filter(public_id=public_id).first()
    if invoice is None:
        raise Http404
    document = document_request_for_client(invoice=invoice)
    if document.status != DocumentStatus.READY:
        return _render(request, "portal/pdf_pending.html", {"invoice": invoice}, status=202)
    return HttpResponseRedirect(
        download_url(
            storage_key=document.storage_key,
            filename=document_filename(invoice, document.format),
            content_type=CONTENT_TYPES[document.format],
        )
    )


@require_GET
@portal_page
def portal_receipt(request: PortalRequest, public_id: str) -> HttpResponse:
    client = request.portal_contact.client
    payment = (
        Payment.objects.select_related("invoice").filter(invoice__client=client, public_id=public_id).first()
    )
    if payment is None:
        raise Http404
    return _render(request, "portal/receipt.html", {"payment": payment})


@require_GET
@portal_page
def portal_quote(request: PortalRequest, public_id: str) -> HttpResponse:
    client = request.portal_contact.client
    quote = Quote.objects.filter(client=client, public_id=public_id).exclude(status=QuoteStatus.DRAFT).first()
    if quote is None:
        raise Http404
    return _render(request, "portal/quote.html", {"quote": quote})


@require_POST
@portal_page
def portal_quote_answer(request: PortalRequest, public_id: str) -> HttpResponse:
    client = request.portal_contact.client
    quote = Quote.objects.filter(client=client, public_id=public_id).exclude(status=QuoteStatus.DRAFT).first()
    if quote is None:
        raise Http404
    try:
        if request.POST.get("answer") == "decline":
            quote_services.quote_decline(
                quote_pk=quote.pk, reason=request.POST.get("reason", ""), ip=client_ip(request)
            )
        else:
            quote_services.quote_accept(
                quote_pk=quote.pk, name=request.POST.get("name", ""), ip=client_ip(request)
            )
    except ApplicationError as error:
        return _render(request, "portal/quote.html", {"quote": quote, "error": error.message}, status=400)
    return HttpResponseRedirect(reverse("portal_quote", args=[public_id]), status=303)


@require_GET
@portal_page
def portal_statement(request: PortalRequest) -> HttpResponse:
    client = request.portal_contact.client
    today = tenant_today(request.portal_tenant)
    start = parse_date(request.GET.get("start", "") or "") or date(today.year, 1, 1)
    end = parse_date(request.GET.get("end", "") or "") or today
    if end < start or end - start > timedelta(days=3700):
        return _render(
            request, "portal/home_error.html", {"error": _("Choose a period of ten years at most.")}, 400
        )
    currency = (request.GET.get("currency") or client.currency).upper()[:3]
    statement = statement_build(client=client, currency=currency, start=start, end=end)
    name = f"statement-{slugify(client.name)}-{start.isoformat()}-{end.isoformat()}"
    if request.GET.get("format") == "csv":
        response = HttpResponse(statement_csv(statement), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    if request.GET.get("format") == "pdf":
        pdf = statement_pdf(statement, seller=request.portal_tenant.name)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
        return response
    return _render(request, "portal/statement.html", {"statement": statement})
