"""Response headers across the site's real URLs: signed-in pages and API answers are
`private, no-store`, downloads are also `noindex`, every response carries the
Permissions-Policy, and the public marketing pages keep what they chose."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.test import Client
from django.urls import NoReverseMatch, get_resolver, reverse
from rest_framework.test import APIClient

from api.tests.conftest import jwt_client
from core.downloads import download_url
from core.ratelimit import memory_limiter
from invoices.models import Invoice
from invoices.tests.factories import make_invoice
from tenants.models import Membership, Tenant
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db

PRIVATE = "private, no-store"
# Refused to our pages whatever else the policy lists; none of our pages uses them.
DENIED_FEATURES = ("camera", "microphone", "geolocation", "payment", "usb")


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path) -> Iterator[None]:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    settings.REDIS_URL = ""  # the in-memory rate limiter, emptied per test
    settings.API_RATE_LIMIT = 10_000
    memory_limiter.clear()
    yield
    memory_limiter.clear()


@pytest.fixture
def invoice(tenant: Tenant, owner_membership: Membership) -> Invoice:
    with tenant_scope(tenant):
        return make_invoice(actor=owner_membership, finalize=True)


def assert_permissions_policy(response) -> None:
    policy = response.get("Permissions-Policy", "")
    for feature in DENIED_FEATURES:
        assert f"{feature}=()" in policy, (response.request["PATH_INFO"], policy)


def assert_private(response) -> None:
    path = response.request["PATH_INFO"]
    cache_control = response.get("Cache-Control", "")
    directives = {part.strip() for part in cache_control.split(",")}
    # Ours ("private, no-store"), or a view's own that is as strict: never_cache adds more
    # directives, the documents' status poll says "no-store" alone (no cache may keep it at all).
    assert "no-store" in directives, (path, response.status_code, cache_control)
    assert "public" not in directives, (path, cache_control)
    assert not any(d.startswith("max-age=") and d != "max-age=0" for d in directives), (path, cache_control)
    assert_permissions_policy(response)


def assert_download(response) -> None:
    assert response.get("X-Robots-Tag") == "noindex, nofollow", response.request["PATH_INFO"]
    assert_private(response)


# --- every page a signed-in member can open ----------------------------------------------------


def _url_names() -> list[str]:
    return sorted(name for name in get_resolver().reverse_dict if isinstance(name, str))


def pages_without_object_ids(tenant_slug: str) -> list[str]:
    """Every named URL that needs no argument, or only the workspace's address: the dashboard,
    lists, settings, account pages... (a new page is in this sweep without anyone adding it)."""
    paths = set()
    for name in _url_names():
        for kwargs in ({}, {"tenant_slug": tenant_slug}):
            try:
                paths.add(reverse(name, kwargs=kwargs))
            except NoReverseMatch:
                continue
    return sorted(paths)


# Public by design even for a signed-in visitor: the same file for everyone, cacheable an hour.
PUBLIC_BY_DESIGN = {"/robots.txt"}


def test_the_sweep_covers_the_signed_in_app() -> None:
    found = pages_without_object_ids("acme")
    for expected in ("/t/acme/invoices/", "/t/acme/members/", "/accounts/email/", "/"):
        assert expected in found
    assert len(found) > 40


def test_every_signed_in_page_is_private_and_no_store(owner_client: Client, tenant: Tenant) -> None:
    checked = 0
    for path in pages_without_object_ids(tenant.slug):
        if path in PUBLIC_BY_DESIGN:
            continue
        response = owner_client.get(path)
        assert response.status_code < 500, path
        assert_private(response)
        checked += 1
    assert checked > 40


def test_pages_with_objects_and_a_non_members_404_are_private(
    owner_client: Client, outsider_client: Client, tenant: Tenant, invoice: Invoice
) -> None:
    detail = reverse("invoice_detail", args=[tenant.slug, invoice.public_id])
    response = owner_client.get(detail)
    assert response.status_code == 200
    assert_private(response)
    # Another workspace's page: a 404 all the same, and not cached either.
    response = outsider_client.get(detail)
    assert response.status_code == 404
    assert_private(response)


def test_a_view_that_chose_its_cache_control_keeps_it(owner_client: Client) -> None:
    # robots.txt is the same file for everyone, public for an hour, signed in or not.
    response = owner_client.get("/robots.txt")
    assert response["Cache-Control"] == "max-age=3600, public"
    assert_permissions_policy(response)
    # The probes say never_cache themselves: theirs stays (stricter than ours).
    response = owner_client.get("/healthz")
    assert "no-store" in response["Cache-Control"]
    assert "must-revalidate" in response["Cache-Control"]


# --- public pages are left as they chose ------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/pricing/", "/sitemap.xml", "/robots.txt", "/api/docs/"])
def test_anonymous_public_pages_are_not_marked_private(path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 200, path
    cache_control = response.get("Cache-Control", "")
    assert "private" not in cache_control, (path, cache_control)
    assert "no-store" not in cache_control, (path, cache_control)
    assert_permissions_policy(response)


def test_static_files_keep_their_caching_and_carry_the_policy(settings) -> None:
    settings.WHITENOISE_USE_FINDERS = True  # served from the source folder, no collectstatic
    settings.WHITENOISE_AUTOREFRESH = True
    # Signed in or not: WhiteNoise answers before the session is read.
    response = Client().get("/static/css/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert "private" not in response.get("Cache-Control", "")
    assert_permissions_policy(response)


# --- the API ------------------------------------------------------------------------------------


def test_every_api_answer_is_private(owner_membership: Membership, invoice: Invoice) -> None:
    api = jwt_client(owner_membership)
    for path in (
        "/api/v1/invoices/",
        f"/api/v1/invoices/{invoice.public_id}/",
        "/api/v1/clients/",
        "/api/v1/no-such-thing/",
    ):
        response = api.get(path)
        assert response.status_code in (200, 404), path
        assert response["Content-Type"].startswith("application/json")
        assert_private(response)
    # Refused answers too: a 401 without credentials, a 400 on a bad token request.
    assert_private(APIClient().get("/api/v1/invoices/"))
    assert_private(APIClient().post("/api/v1/auth/token/", {}, format="json"))


def test_api_file_answers_are_private_and_not_indexed(owner_membership: Membership, invoice: Invoice) -> None:
    api = jwt_client(owner_membership)
    for path in (
        "/api/v1/invoices/export/csv/",
        "/api/v1/invoices/export/xlsx/",
        f"/api/v1/invoices/{invoice.public_id}/generation/csv/",
        f"/api/v1/invoices/{invoice.public_id}/generation/xlsx/",
    ):
        response = api.get(path)
        assert response.status_code == 200, (path, response.content[:200])
        assert response["Content-Disposition"].startswith("attachment")
        assert_download(response)


# --- downloads ----------------------------------------------------------------------------------


def test_exports_are_private_and_not_indexed(owner_client: Client, tenant: Tenant, invoice: Invoice) -> None:
    paths = [
        reverse("invoice_list_export", args=[tenant.slug, "csv"]),
        reverse("invoice_list_export", args=[tenant.slug, "xlsx"]),
        reverse("invoice_export", args=[tenant.slug, invoice.public_id, "csv"]),
        reverse("invoice_export", args=[tenant.slug, invoice.public_id, "xlsx"]),
    ]
    for path in paths:
        response = owner_client.get(path)
        assert response.status_code == 200, path
        assert response["Content-Disposition"].startswith("attachment")
        assert_download(response)


def test_a_signed_local_download_is_private_and_not_indexed() -> None:
    key = storages["default"].save("documents/x/v1.pdf", ContentFile(b"%PDF-1.7 test"))
    url = download_url(storage_key=key, filename="INV-1.pdf", content_type="application/pdf")
    # A bearer link: whoever holds it downloads, signed in or not.
    response = Client().get(url)
    assert response.status_code == 200
    try:
        assert b"".join(response.streaming_content) == b"%PDF-1.7 test"
    finally:
        response.close()
    assert response["Cache-Control"] == PRIVATE
    assert_download(response)


def test_settings_name_only_features_the_browser_knows() -> None:
    # django-permissions-policy refuses unknown names at start-up; this keeps the list honest.
    assert set(DENIED_FEATURES) <= set(settings.PERMISSIONS_POLICY)
    assert all(allowed == [] for allowed in settings.PERMISSIONS_POLICY.values())
