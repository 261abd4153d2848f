"""The public site: home and landing page, pricing (built from the plans), sitemap, robots.txt.

Server-rendered, no JavaScript, every page with its title, description, canonical URL and
social-card metadata. Absolute URLs come from SITE_URL (the address the site is published at),
never from the request's Host header.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from plans.catalog import plan_list, plans_enabled
from tenants.views import signed_in_home

SOCIAL_CARD = "img/social-card.png"
SOCIAL_CARD_SIZE = (1200, 630)


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _meta(*, path: str, title: str, description: str) -> dict[str, Any]:
    return {
        "title": title,
        "description": description,
        "canonical_url": absolute(path),
        "social_image": absolute(static(SOCIAL_CARD)),
        "social_image_width": SOCIAL_CARD_SIZE[0],
        "social_image_height": SOCIAL_CARD_SIZE[1],
    }


def _pricing_context() -> dict[str, Any]:
    enabled = plans_enabled()
    # Without Stripe every workspace is unlimited: the page shows that instead of prices.
    return {"plans_enabled": enabled, "plans": [p for p in plan_list() if p.available] if enabled else []}


def home(request: HttpRequest) -> HttpResponse:
    """ "/": the landing page for visitors; signed-in people go on to their workspace."""
    if request.user.is_authenticated:
        return signed_in_home(request, user=request.user)
    return landing(request)


def landing(request: HttpRequest) -> HttpResponse:
    """The home page of anonymous visitors."""
    context = _meta(
        path=reverse("home"),
        title=_("InvoiceFlow: invoicing for freelancers and agencies"),
        description=_(
            "Create invoices that are right to the cent, get paid online through Stripe and keep "
            "your books straight. Free to start."
        ),
    )
    context.update(_pricing_context())
    return render(request, "marketing/landing.html", context)


@require_GET
def pricing(request: HttpRequest) -> HttpResponse:
    context = _meta(
        path=reverse("pricing"),
        title=_("Pricing · InvoiceFlow"),
        description=_(
            "Simple monthly plans: start free, upgrade for unlimited invoices. "
            "Cancel or change your plan any time."
        ),
    )
    context.update(_pricing_context())
    return render(request, "marketing/pricing.html", context)


class MarketingSitemap(Sitemap):
    """The public pages. Its URLs use SITE_URL, not the Sites framework's placeholder domain."""

    changefreq = "weekly"

    def items(self) -> list[str]:
        return ["home", "pricing"]

    def location(self, item: str) -> str:
        return reverse(item)

    def priority(self, item: str) -> float:
        return 1.0 if item == "home" else 0.8

    def get_domain(self, site: Any = None) -> str:
        return urlsplit(settings.SITE_URL).netloc

    def get_protocol(self, protocol: str | None = None) -> str:
        return urlsplit(settings.SITE_URL).scheme


SITEMAPS = {"marketing": MarketingSitemap}


@require_GET
@cache_control(max_age=3600, public=True)
def robots_txt(request: HttpRequest) -> HttpResponse:
    # Workspaces, accounts, the API and the admin are private; invoices' public pages are
    # unguessable links for one client, not for search engines.
    lines = [
        "User-agent: *",
        "Disallow: /t/",
        "Disallow: /accounts/",
        "Disallow: /admin/",
        "Disallow: /api/",
        "Disallow: /billing/",
        "Disallow: /downloads/",
        "",
        f"Sitemap: {absolute(reverse('sitemap'))}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
