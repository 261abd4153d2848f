"""Shapes of the API's own credentials: API keys and the token sign-in (split from
api/serializers.py, which holds the invoicing resources)."""

from __future__ import annotations

from rest_framework import serializers

from api.models import ApiKey
from api.serializers import ReadOnlyModelSerializer
from tenants.models import Role


class ApiKeySerializer(ReadOnlyModelSerializer):
    prefix = serializers.SerializerMethodField()
    revoked = serializers.SerializerMethodField()

    class Meta:
        model = ApiKey
        fields: tuple[str, ...] = (
            "id",
            "name",
            "role",
            "prefix",
            "created_at",
            "last_used_at",
            "revoked",
            "revoked_at",
        )
        read_only_fields = fields

    def get_prefix(self, key: ApiKey) -> str:
        return f"ifk_{key.prefix}_"

    def get_revoked(self, key: ApiKey) -> bool:
        return key.revoked_at is not None


class ApiKeyCreatedSerializer(ApiKeySerializer):
    secret = serializers.SerializerMethodField()

    class Meta(ApiKeySerializer.Meta):
        fields = (*ApiKeySerializer.Meta.fields, "secret")
        read_only_fields = fields

    def get_secret(self, key: ApiKey) -> str:
        return self.context["secret"]


class ApiKeyWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    role = serializers.ChoiceField(choices=Role.choices, required=False, default=Role.MEMBER)


# --- tokens ----------------------------------------------------------------------------------


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=1024, trim_whitespace=False)
    tenant = serializers.CharField(
        max_length=50, help_text="The workspace the tokens act for: its slug or public id."
    )
    otp = serializers.CharField(
        max_length=12, required=False, help_text="A current TOTP code; required when the user has MFA on."
    )


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    tenant = serializers.CharField()
    access_expires_in = serializers.IntegerField()


class TokenRefreshRequestSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=4096)


class TokenRefreshResponseSerializer(serializers.Serializer):
    access = serializers.CharField()
    access_expires_in = serializers.IntegerField()
