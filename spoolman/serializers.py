from rest_framework import serializers

from production.models import Printer
from spoolman.models import IntegrationKey, KeyScope
from tenants.serializers import TenantRelatedField


class IntegrationKeySerializer(serializers.ModelSerializer):
    """A key as listed: never its secret, only the prefix that tells keys apart."""

    printer_name = serializers.CharField(source="printer.name", read_only=True, allow_null=True, default=None)
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True, default=None)
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = IntegrationKey
        fields = [
            "id",
            "name",
            "scope",
            "printer",
            "printer_name",
            "prefix",
            "is_active",
            "created_by",
            "created_at",
            "revoked_at",
        ]
        # Under `printers/{id}/integration-keys/`: a printer key of that printer.
        read_only_fields = ["scope", "printer"]


class TenantIntegrationKeySerializer(IntegrationKeySerializer):
    """`/api/v1/integration-keys/`: a `manage` key (its printer optional) or a `printer` key naming its printer."""

    scope = serializers.ChoiceField(
        choices=KeyScope.choices,
        default=KeyScope.PRINTER,
        help_text="`printer`: read, report use and weighings (needs `printer`). `manage`: Spoolman's whole API, "
        "acting as you with your role in the tenant at each request.",
    )
    printer = TenantRelatedField(
        queryset=Printer.objects,
        required=False,
        allow_null=True,
        help_text="The printer (id or name): required for a printer key; a manage key's use reports are "
        "attributed to its run.",
    )

    class Meta(IntegrationKeySerializer.Meta):
        read_only_fields = []

    def validate(self, attrs):
        if attrs.get("scope", KeyScope.PRINTER) == KeyScope.PRINTER and attrs.get("printer") is None:
            raise serializers.ValidationError({"printer": ["A printer key needs its printer."]}, code="required")
        return attrs


class IssuedKeySerializer(IntegrationKeySerializer):
    key = serializers.SerializerMethodField(help_text="The secret: shown this once, never stored.")
    server_url = serializers.SerializerMethodField(
        help_text="The URL to give Moonraker (`[spoolman] server:`), OctoPrint-Spoolman, Home Assistant or "
        "Spoolman's own tools."
    )

    class Meta(IntegrationKeySerializer.Meta):
        fields = [*IntegrationKeySerializer.Meta.fields, "key", "server_url"]

    def get_key(self, key) -> str:
        return self.context["secret"]

    def get_server_url(self, key) -> str:
        request = self.context.get("request")
        path = f"/spoolman/{self.context['secret']}"
        return request.build_absolute_uri(path) if request is not None else path
