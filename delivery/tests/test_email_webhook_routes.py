"""Email-provider webhooks: of anymail's routes only the configured provider's is mounted, and
no request to any of them, anonymous or malformed, gets a 500."""

from __future__ import annotations

import base64
import json
import re
import uuid
from typing import Any

import anymail.urls
import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

SES_TRACKING = "/anymail/amazon_ses/tracking/"
SECRET = "ses-hook:Zq8r1-not-a-real-secret"


def anymail_routes() -> list[str]:
    """Every path anymail.urls would mount under /anymail/ (regex routes made concrete)."""
    routes = []
    for pattern in anymail.urls.urlpatterns:
        route = re.sub(r"\(.*?\)\?", "", str(pattern.pattern)).strip("^$")
        routes.append(f"/anymail/{route}")
    return routes


def test_the_route_list_is_anymails_own() -> None:
    routes = anymail_routes()
    assert len(routes) > 20
    assert SES_TRACKING in routes
    assert "/anymail/mailgun/inbound/" in routes


@pytest.mark.parametrize("provider", ["console", "smtp", "ses"])
def test_routes_of_unconfigured_providers_are_not_mounted(settings: Any, provider: str) -> None:
    settings.EMAIL_PROVIDER = provider
    client = Client(raise_request_exception=False)
    for route in anymail_routes():
        configured = provider == "ses" and route == SES_TRACKING
        for method in ("get", "post"):
            response = getattr(client, method)(route)
            assert response.status_code < 500, (route, method, response.status_code)
            if not configured:
                assert response.status_code == 404, (route, method, response.status_code)


def _basic(secret: str) -> str:
    return "Basic " + base64.b64encode(secret.encode()).decode()


def _envelope(message: Any = None, **fields: Any) -> tuple[str, str]:
    sns_id = str(uuid.uuid4())
    body: dict[str, Any] = {"Type": "Notification", "MessageId": sns_id, **fields}
    if message is not None:
        body["Message"] = message
    return json.dumps(body), sns_id


@pytest.fixture
def ses(settings: Any) -> Client:
    settings.EMAIL_PROVIDER = "ses"
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": SECRET}
    return Client(raise_request_exception=False)


def test_the_configured_provider_refuses_anonymous_and_wrong_credentials(ses: Client) -> None:
    body, sns_id = _envelope(json.dumps({"eventType": "Delivery"}))
    headers = {"HTTP_X_AMZ_SNS_MESSAGE_TYPE": "Notification", "HTTP_X_AMZ_SNS_MESSAGE_ID": sns_id}
    assert ses.get(SES_TRACKING).status_code == 405
    # SNS sends credentials only once challenged: the challenge is a 401.
    assert ses.post(SES_TRACKING, data=body, content_type="text/plain", **headers).status_code == 401
    for wrong in ("ses-hook:wrong", "garbage-without-colon"):
        response = ses.post(
            SES_TRACKING, data=body, content_type="text/plain", HTTP_AUTHORIZATION=_basic(wrong), **headers
        )
        assert response.status_code == 400
    response = ses.post(
        SES_TRACKING, data="not json", content_type="text/plain", HTTP_AUTHORIZATION=_basic("x:y")
    )
    assert response.status_code == 400


_MALFORMED = {
    "not json": ("not json", "Notification"),
    "a json list": ("[]", "Notification"),
    "no message": (_envelope()[0], "Notification"),
    "a message that is not json": (_envelope("x")[0], "Notification"),
    "an event of another shape": (_envelope(json.dumps({"eventType": 5}))[0], "Notification"),
    "an event without its mail": (_envelope(json.dumps({"eventType": "Bounce"}))[0], "Notification"),
    "an unknown sns type": (json.dumps({"Type": "Nonsense"}), "Nonsense"),
}


@pytest.mark.parametrize("case", _MALFORMED, ids=list(_MALFORMED))
def test_a_malformed_post_with_the_right_secret_is_a_400(ses: Client, case: str) -> None:
    body, sns_type = _MALFORMED[case]
    try:
        sns_id = json.loads(body).get("MessageId", "") if body.startswith("{") else ""
    except ValueError:
        sns_id = ""
    response = ses.post(
        SES_TRACKING,
        data=body,
        content_type="text/plain",
        HTTP_AUTHORIZATION=_basic(SECRET),
        HTTP_X_AMZ_SNS_MESSAGE_TYPE=sns_type,
        HTTP_X_AMZ_SNS_MESSAGE_ID=sns_id,
    )
    assert response.status_code == 400, case
