"""Webhook endpoints and deliveries as the API shows them (ids are public ids)."""

from __future__ import annotations

from rest_framework import serializers

from api.serializers import ReadOnlyModelSerializer
from api.webhooks.models import DeliveryStatus, EventType, WebhookDelivery, WebhookEndpoint


class WebhookEndpointSerializer(ReadOnlyModelSerializer):
    active = serializers.BooleanField(source="is_active", read_only=True)
    events = serializers.ListField(child=serializers.ChoiceField(choices=EventType.choices), read_only=True)

    class Meta:
        model = WebhookEndpoint
        fields: tuple[str, ...] = ("id", "url", "description", "events", "active", "created_at")
        read_only_fields = fields


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.SerializerMethodField(
        help_text="Signs every delivery (InvoiceFlow-Signature). Shown in this answer only."
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = (*WebhookEndpointSerializer.Meta.fields, "secret")
        read_only_fields = fields

    def get_secret(self, endpoint: WebhookEndpoint) -> str:
        return self.context["secret"]


class WebhookEndpointWriteSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=500, help_text="https://… (http only to loopback in development).")
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices), min_length=1, max_length=20
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class WebhookDeliverySerializer(ReadOnlyModelSerializer):
    endpoint = serializers.CharField(source="endpoint.public_id", read_only=True)
    status = serializers.ChoiceField(choices=DeliveryStatus.choices, read_only=True)
    event_type = serializers.ChoiceField(choices=EventType.choices, read_only=True)
    payload = serializers.JSONField(read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = (
            "id",
            "endpoint",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "next_attempt_at",
            "last_attempt_at",
            "last_response_status",
            "last_response_body",
            "last_error",
            "created_at",
            "delivered_at",
            "payload",
        )
        read_only_fields = fields


class WebhookEndpointUpdateSerializer(serializers.Serializer):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices), min_length=1, max_length=20, required=False
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    active = serializers.BooleanField(required=False)
