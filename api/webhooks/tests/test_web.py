"""Settings → Webhooks: owners and admins add and delete endpoints, see deliveries and
failures, and replay; members get 403, other tenants' objects 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from api.webhooks import services
from api.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tenants.scoping import tenant_scope
from tenants.tests.fixtures import client_for

pytestmark = pytest.mark.django_db


def _page(tenant):
    return reverse("webhook_settings", kwargs={"tenant_slug": tenant.slug})


def _endpoint(tenant, actor, url="https://hooks.acme.example/in"):
    with tenant_scope(tenant):
        return services.webhook_endpoint_create(actor=actor, url=url, events=["invoice.paid"]).endpoint


def test_owner_adds_an_endpoint_and_sees_its_secret_once(owner_client, tenant):
    response = owner_client.post(
        _page(tenant),
        {"url": "https://hooks.acme.example/in", "events": ["invoice.paid", "document.ready"]},
    )
    assert response.status_code == 302
    with tenant_scope(tenant):
        endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["document.ready", "invoice.paid"]
    first = owner_client.get(_page(tenant)).content.decode()
    assert endpoint.secret in first
    assert "https://hooks.acme.example/in" in first
    assert endpoint.secret not in owner_client.get(_page(tenant)).content.decode()


def test_a_bad_url_is_a_form_error(owner_client, tenant):
    response = owner_client.post(
        _page(tenant), {"url": "http://hooks.acme.example/", "events": ["invoice.paid"]}
    )
    assert response.status_code == 200
    assert "HTTPS" in response.content.decode()
    with tenant_scope(tenant):
        assert not WebhookEndpoint.objects.exists()


def test_admin_sees_failures_and_replays_one(admin_membership, tenant, owner_membership, receiver):
    admin_client_for_tenant = client_for(admin_membership.user)
    endpoint = _endpoint(tenant, owner_membership, url=receiver.url)
    (delivery,) = services.webhook_event_emit(tenant=tenant, type="invoice.paid", data={"n": 1})
    with tenant_scope(tenant):
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.FAILED,
            attempts=8,
            last_response_status=502,
            last_response_body="bad gateway",
        )
    page = admin_client_for_tenant.get(_page(tenant) + "?status=failed").content.decode()
    assert delivery.public_id in page
    assert "HTTP 502" in page
    assert "bad gateway" in page
    replay = reverse(
        "webhook_delivery_replay", kwargs={"tenant_slug": tenant.slug, "public_id": delivery.public_id}
    )
    assert admin_client_for_tenant.post(replay).status_code == 302
    with tenant_scope(tenant):
        delivery.refresh_from_db()
    # The test's transaction never commits, so the queued attempt did not run: pending again.
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.endpoint_id == endpoint.pk
    delete = reverse(
        "webhook_endpoint_delete", kwargs={"tenant_slug": tenant.slug, "public_id": endpoint.public_id}
    )
    assert admin_client_for_tenant.post(delete).status_code == 302
    with tenant_scope(tenant):
        assert not WebhookEndpoint.objects.exists()
        assert not WebhookDelivery.objects.exists()


def test_members_get_403(member_client, viewer_client, tenant, owner_membership):
    endpoint = _endpoint(tenant, owner_membership)
    delete = reverse(
        "webhook_endpoint_delete", kwargs={"tenant_slug": tenant.slug, "public_id": endpoint.public_id}
    )
    for client in (member_client, viewer_client):
        assert client.get(_page(tenant)).status_code == 403
        assert client.post(delete).status_code == 403
    with tenant_scope(tenant):
        assert WebhookEndpoint.objects.exists()


def test_an_outsider_cannot_see_or_replay_another_tenants_deliveries(
    outsider_client, tenant, other_tenant, owner_membership
):
    endpoint = _endpoint(tenant, owner_membership)
    (delivery,) = services.webhook_event_emit(tenant=tenant, type="invoice.paid", data={})
    # Through the victim's slug: not a member → 404.
    assert outsider_client.get(_page(tenant)).status_code == 404
    # Through the outsider's own workspace: the victim's ids are not found there.
    own_replay = reverse(
        "webhook_delivery_replay", kwargs={"tenant_slug": other_tenant.slug, "public_id": delivery.public_id}
    )
    own_delete = reverse(
        "webhook_endpoint_delete", kwargs={"tenant_slug": other_tenant.slug, "public_id": endpoint.public_id}
    )
    assert outsider_client.post(own_replay).status_code == 404
    assert outsider_client.post(own_delete).status_code == 404
    own_page = outsider_client.get(_page(other_tenant)).content.decode()
    assert delivery.public_id not in own_page
    assert "hooks.acme.example" not in own_page
    with tenant_scope(tenant):
        delivery.refresh_from_db()
        assert delivery.attempts == 0
        assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
