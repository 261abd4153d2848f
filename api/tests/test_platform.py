"""The base view, the error format, rate limits, the schema and the docs page."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from api.base import TenantScopedViewSet
from api.models import ApiKey
from invoices.models import Client
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


def test_a_view_overriding_get_queryset_is_refused_at_import():
    with pytest.raises(TypeError, match="get_queryset"):

        class Leaky(TenantScopedViewSet):
            model = Client

            def get_queryset(self):
                return Client.unscoped_across_tenants.all()

    with pytest.raises(TypeError, match="dispatch"):

        class NoScope(TenantScopedViewSet):
            model = Client

            def dispatch(self, request, *args, **kwargs):
                return super().dispatch(request, *args, **kwargs)


def test_scoped_queryset_hook_is_filtered_on_the_tenant_anyway(data, other_data, owner_membership):
    from rest_framework.test import APIRequestFactory

    from api.tests.conftest import access_token

    class Sneaky(TenantScopedViewSet):
        model = Client

        def scoped_queryset(self):
            return Client.unscoped_across_tenants.all()  # tries to see every tenant

        def list(self, request):
            from rest_framework.response import Response

            return Response(sorted(c.public_id for c in self.get_queryset()))

    request = APIRequestFactory().get("/x", HTTP_AUTHORIZATION=f"Bearer {access_token(owner_membership)}")
    response = Sneaky.as_view({"get": "list"})(request)
    assert response.data == [data.client.public_id]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code"),
    [
        ("get", "/api/v1/clients/", {}, 401, "not_authenticated"),
        (
            "post",
            "/api/v1/clients/",
            {"data": "{bad json", "content_type": "application/json"},
            400,
            "bad_request",
        ),
        (
            "post",
            "/api/v1/clients/",
            {"data": '{"name": NaN}', "content_type": "application/json"},
            400,
            "bad_request",
        ),
        (
            "post",
            "/api/v1/clients/",
            {"data": "a=b", "content_type": "text/plain"},
            415,
            "unsupported_media_type",
        ),
        ("put", "/api/v1/clients/", {}, 405, "method_not_allowed"),
        ("get", "/api/v1/clients/cli_doesnotexist/", {}, 404, "not_found"),
        ("post", "/api/v1/clients/", {"data": [1, 2], "format": "json"}, 400, "validation_error"),
    ],
)
def test_one_error_format(owner_api, method, path, kwargs, status, code):
    api = APIClient() if status == 401 else owner_api
    response = getattr(api, method)(path, **kwargs)
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    assert isinstance(body["error"]["fields"], dict)


def test_rate_limit_headers_and_429(owner_api, settings, data):
    settings.API_RATE_LIMIT = 3
    responses = [owner_api.get("/api/v1/clients/") for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert [r["X-RateLimit-Remaining"] for r in responses] == ["2", "1", "0", "0"]
    assert responses[0]["X-RateLimit-Limit"] == "3"
    refused = responses[-1]
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused["X-RateLimit-Reset"] == refused["Retry-After"]


def test_rate_limit_is_per_credential(owner_api, member_api, settings, data):
    settings.API_RATE_LIMIT = 1
    assert owner_api.get("/api/v1/clients/").status_code == 200
    assert owner_api.get("/api/v1/clients/").status_code == 429
    assert member_api.get("/api/v1/clients/").status_code == 200


def test_token_endpoint_is_rate_limited_per_address(monkeypatch):
    from api.views import auth

    monkeypatch.setattr(auth, "TOKEN_RATE_LIMIT", (2, 60))
    body = {"email": "a@b.example", "password": "x", "tenant": "acme"}
    codes = [APIClient().post("/api/v1/auth/token/", body, format="json").status_code for _ in range(3)]
    assert codes == [401, 401, 429]


def test_schema_lists_every_route_and_the_docs_obey_the_csp(client):
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/api/v1/invoices/",
        "/api/v1/invoices/{id}/finalize/",
        "/api/v1/invoices/{id}/payments/",
        "/api/v1/invoices/export/csv/",
        "/api/v1/api-keys/{id}/revoke/",
        "/api/v1/auth/token/",
    ):
        assert path in paths
    assert "429" in paths["/api/v1/invoices/"]["get"]["responses"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "<style" not in html
    assert "<script>" not in html  # every script has a src on our origin
    assert "cdn" not in html.lower()
    assert "script-src 'self'" in docs["Content-Security-Policy"]
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()


@pytest.mark.postgres  # API keys are kept apart by row-level security alone (no scoped manager)
def test_api_keys_are_listed_per_tenant(owner_api, outsider_api, tenant, other_tenant):
    owner_api.post("/api/v1/api-keys/", {"name": "Acme CI"}, format="json")
    outsider_api.post("/api/v1/api-keys/", {"name": "Globex CI"}, format="json")
    for workspace, name in ((tenant, "Acme CI"), (other_tenant, "Globex CI")):
        with tenant_scope(workspace):
            assert list(ApiKey.objects.values_list("name", flat=True)) == [name]
    assert [k["name"] for k in owner_api.get("/api/v1/api-keys/").json()] == ["Acme CI"]
    assert [k["name"] for k in outsider_api.get("/api/v1/api-keys/").json()] == ["Globex CI"]
