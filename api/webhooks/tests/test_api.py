"""The webhook API: owners and admins manage endpoints, see deliveries and replay them;
another tenant's endpoints and deliveries are 404s."""

from __future__ import annotations

import json

import pytest

from api.tests.conftest import key_client
from api.webhooks import services
from api.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from api.webhooks.signing import HEADER, verify_signature
from tenants.models import Role
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhook-endpoints/"
DELIVERIES = "/api/v1/webhook-deliveries/"


def _create(api, url, events=("invoice.paid",)):
    return api.post(URL, {"url": url, "events": list(events), "description": "books"}, format="json")


def test_owner_creates_lists_and_deletes_an_endpoint(owner_api, tenant):
    response = _create(owner_api, "https://hooks.acme.example/in")
    assert response.status_code == 201, response.content
    made = response.json()
    assert made["secret"].startswith("whsec_")
    assert made["events"] == ["invoice.paid"]
    assert response["Location"] == f"{URL}{made['id']}/"
    listed = owner_api.get(URL).json()["results"]
    assert [row["id"] for row in listed] == [made["id"]]
    assert "secret" not in listed[0]
    assert made["secret"] not in owner_api.get(f"{URL}{made['id']}/").content.decode()
    assert owner_api.delete(f"{URL}{made['id']}/").status_code == 204
    with tenant_scope(tenant):
        assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://hooks.acme.example/in", "events": ["invoice.paid"]}, "url"),
        ({"url": "https://10.1.2.3/in", "events": ["invoice.paid"]}, "url"),
        ({"url": "not a url", "events": ["invoice.paid"]}, "url"),
        ({"url": "https://hooks.acme.example/in", "events": ["invoice.exploded"]}, "events"),
        ({"url": "https://hooks.acme.example/in", "events": []}, "events"),
    ],
)
def test_bad_endpoints_are_400_with_the_field(owner_api, body, field):
    response = owner_api.post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert any(key.startswith(field) for key in response.json()["error"]["fields"]), response.json()


def test_members_viewers_and_member_keys_cannot_manage_webhooks(member_api, viewer_api, tenant):
    for api in (member_api, viewer_api, key_client(tenant, Role.MEMBER)):
        assert _create(api, "https://hooks.acme.example/in").status_code == 403
        assert api.get(URL).status_code == 403
        assert api.get(DELIVERIES).status_code == 403


def test_an_admin_key_manages_endpoints(tenant, owner_membership):
    assert _create(key_client(tenant, Role.ADMIN), "https://hooks.acme.example/in").status_code == 201


def test_deliveries_are_listed_and_a_failure_replayed(
    owner_api, tenant, receiver, django_capture_on_commit_callbacks
):
    made = _create(owner_api, receiver.url).json()
    receiver.statuses = [500]
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_event_emit(tenant=tenant, type="invoice.paid", data={"invoice": "inv_1"})
    rows = owner_api.get(DELIVERIES, {"endpoint": made["id"], "status": "pending"}).json()["results"]
    assert len(rows) == 1
    row = rows[0]
    assert (row["endpoint"], row["attempts"], row["last_response_status"]) == (made["id"], 1, 500)
    assert owner_api.get(DELIVERIES, {"status": "succeeded"}).json()["results"] == []
    assert owner_api.get(DELIVERIES, {"status": "bogus"}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        replayed = owner_api.post(f"{DELIVERIES}{row['id']}/replay/")
    assert replayed.status_code == 202
    detail = owner_api.get(f"{DELIVERIES}{row['id']}/").json()
    assert (detail["status"], detail["attempts"], detail["last_response_status"]) == ("succeeded", 2, 200)
    assert len(receiver.requests) == 2
    event = json.loads(receiver.requests[1].body)
    assert event["id"] == row["event_id"]
    verify_signature(receiver.requests[1].body, receiver.requests[1].headers[HEADER], made["secret"])


def test_an_outsider_cannot_see_or_replay_another_tenants_deliveries(
    owner_api, outsider_api, tenant, other_tenant, outsider_membership
):
    made = _create(owner_api, "https://hooks.acme.example/in").json()
    (delivery,) = services.webhook_event_emit(tenant=tenant, type="invoice.paid", data={"secret": "Acme"})
    for api in (outsider_api, key_client(other_tenant, Role.OWNER)):
        assert api.get(f"{DELIVERIES}{delivery.public_id}/").status_code == 404
        assert api.post(f"{DELIVERIES}{delivery.public_id}/replay/").status_code == 404
        assert api.get(f"{URL}{made['id']}/").status_code == 404
        assert api.delete(f"{URL}{made['id']}/").status_code == 404
        listed = api.get(DELIVERIES, {"endpoint": made["id"]})
        assert listed.status_code == 200
        assert listed.json()["results"] == []
        assert api.get(URL).json()["results"] == []
    with tenant_scope(tenant):
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.PENDING
        assert delivery.attempts == 0
        assert WebhookEndpoint.objects.filter(public_id=made["id"]).exists()
        assert WebhookDelivery.objects.count() == 1


def test_an_endpoint_is_switched_off_and_its_events_changed(owner_api, tenant, outsider_api):
    made = _create(owner_api, "https://hooks.acme.example/in").json()
    detail = f"{URL}{made['id']}/"
    assert outsider_api.patch(detail, {"active": False}, format="json").status_code == 404
    off = owner_api.patch(detail, {"active": False, "events": ["invoice.voided"]}, format="json")
    assert off.status_code == 200, off.content
    assert (off.json()["active"], off.json()["events"]) == (False, ["invoice.voided"])
    assert services.webhook_event_emit(tenant=tenant, type="invoice.voided", data={}) == []
    assert owner_api.patch(detail, {"active": True}, format="json").json()["active"] is True
    assert len(services.webhook_event_emit(tenant=tenant, type="invoice.voided", data={})) == 1
    assert services.webhook_event_emit(tenant=tenant, type="invoice.paid", data={}) == []
    assert owner_api.patch(detail, {"events": []}, format="json").status_code == 400
