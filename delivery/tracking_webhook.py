"""The one email-provider webhook InvoiceFlow mounts: Amazon SES delivery events via SNS, at
/anymail/amazon_ses/tracking/ (what the events do: delivery/tracking.py).

Anymail's `anymail.urls` mounts a route for every provider it knows; most of them crash with a
500 on an anonymous request when their provider is not configured (a missing signing key is
found only inside the view). So only this route is mounted, and it answers 404 unless
EMAIL_PROVIDER=ses. Anymail also answers a malformed body with a 500 (`AnymailAPIError`),
which SNS would keep retrying; here it is a 400. Errors while *applying* a well-formed event
stay 500s, so SNS retries them later.
"""

from __future__ import annotations

from typing import Any

from anymail.exceptions import AnymailAPIError
from anymail.webhooks.amazon_ses import AmazonSESTrackingWebhookView
from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponseBase
from django.urls import path


class SesTrackingWebhookView(AmazonSESTrackingWebhookView):
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if settings.EMAIL_PROVIDER != "ses":
            raise Http404("No email provider webhook here.")
        return super().dispatch(request, *args, **kwargs)

    @staticmethod
    def _parse_sns_message(request: HttpRequest) -> dict[str, Any]:
        message = AmazonSESTrackingWebhookView._parse_sns_message(request)
        if not isinstance(message, dict):  # anymail reads it with .get()
            raise AnymailAPIError(f"SNS message body is not an object: {request.body[:100]!r}")
        return message

    def run_validators(self, request: HttpRequest) -> None:
        try:
            super().run_validators(request)
        except AnymailAPIError as error:  # a body that is no SNS message at all
            raise BadRequest(str(error)) from error

    def parse_events(self, request: HttpRequest) -> list[Any]:
        try:
            return list(super().parse_events(request))
        except (AnymailAPIError, KeyError, TypeError, ValueError, AttributeError) as error:
            # An SNS envelope whose SES event is missing or of another shape.
            raise BadRequest(f"Malformed Amazon SES event: {error!r}") from error


urlpatterns = [
    path(
        "amazon_ses/tracking/",
        SesTrackingWebhookView.as_view(),
        name="amazon_ses_tracking_webhook",
    ),
]
