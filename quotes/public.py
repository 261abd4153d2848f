"""The client's quote page, `/q/<token>`: read, accept (typing a name) or decline (with a
reason), download the PDF. No login: the token is the key, found through its lookup door.

Answers are private (no referrer, not indexed, not cached) like the invoice page, and rate
limited per address. The forms post without a CSRF token for the reason the invoice page's Pay
form does (portal/views.py): under `Referrer-Policy: no-referrer` browsers send `Origin: null`,
and the 256-bit token in the URL is what a forger would need anyway.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from core.client_ip import client_ip
from core.errors import ApplicationError
from core.web import private_page
from invoices.services.common import tenant_today
from quotes import services
from quotes.models import Quote, QuoteStatus
from quotes.rendering import quote_context, quote_pdf_filename, render_quote_pdf
from tenants.models import Tenant
from tenants.secret_links import secret_link_view
from tenants.selectors import is_member

quote_link_view = secret_link_view(
    scope="quote-link",
    too_many=_lazy("Too many requests. Please wait a few minutes before opening quote links again."),
    find=lambda token: services.public_quote_find(token=token),
)


def _quote(pk: int) -> Quote:
    return Quote.objects.select_related("client", "contact", "tenant").get(pk=pk)


def _page(
    request: HttpRequest, token: str, quote: Quote, *, error: str = "", status: int = 200
) -> HttpResponse:
    tenant = quote.tenant
    language = (quote.contact.effective_language if quote.contact else "") or quote.client.language
    with translation.override(language or tenant.locale or settings.LANGUAGE_CODE):
        context = quote_context(quote)
        context.update(
            token=token,
            error=error,
            answerable=quote.status == QuoteStatus.SENT and quote.valid_until >= tenant_today(tenant),
            page_language=translation.get_language(),
            name_value=request.POST.get("name", "") if request.method == "POST" else "",
        )
        response = render(request, "quotes/public/quote.html", context, status=status)
        response["Content-Language"] = translation.get_language()
    return private_page(response)


@require_GET
@quote_link_view
def public_quote(request: HttpRequest, token: str, tenant: Tenant, pk: int) -> HttpResponse:
    quote = _quote(pk)
    if quote.status != QuoteStatus.DRAFT and not is_member(request.user, tenant):
        services.quote_record_view(quote_pk=quote.pk)
    return _page(request, token, quote)


@csrf_exempt
@require_POST
@quote_link_view
def public_quote_answer(request: HttpRequest, token: str, tenant: Tenant, pk: int) -> HttpResponse:
    """Accept (with the typed name) or decline (with a reason); then 303 back to the page."""
    try:
        if request.POST.get("answer") == "accept":
            services.quote_accept(quote_pk=pk, name=request.POST.get("name", ""), ip=client_ip(request))
        elif request.POST.get("answer") == "decline":
            services.quote_decline(quote_pk=pk, reason=request.POST.get("reason", ""), ip=client_ip(request))
        else:
            raise ApplicationError(_("Accept or decline the quote."))
    except ApplicationError as error:
        return _page(request, token, _quote(pk), error=error.message, status=400)
    return private_page(HttpResponseRedirect(reverse("public_quote", args=[token]), status=303))


@require_GET
@quote_link_view
def public_quote_pdf(request: HttpRequest, token: str, tenant: Tenant, pk: int) -> HttpResponse:
    quote = _quote(pk)
    response = HttpResponse(render_quote_pdf(quote), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{quote_pdf_filename(quote)}"'
    return private_page(response)
