from rest_framework import serializers

from spoolman.models import IntegrationKey


class IntegrationKeySerializer(serializers.ModelSerializer):
    printer_name = serializers.CharField(source="printer.name", read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True, default=None)
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = IntegrationKey
        fields = [
            "id",
            "name",
            "printer",
            "printer_name",
            "prefix",
            "is_active",
            "created_by",
            "created_at",
            "revoked_at",
        ]
        read_only_fields = ["printer"]


class IssuedKeySerializer(IntegrationKeySerializer):
    key = serializers.SerializerMethodField(help_text="The secret: shown this once, never stored.")
    server_url = serializers.SerializerMethodField(
        help_text="The URL to give Moonraker (`[spoolman] server:`), OctoPrint-Spoolman or Home Assistant."
    )

    class Meta(IntegrationKeySerializer.Meta):
        fields = [*IntegrationKeySerializer.Meta.fields, "key", "server_url"]

    def get_key(self, key) -> str:
        return self.context["secret"]

    def get_server_url(self, key) -> str:
        request = self.context.get("request")
        path = f"/spoolman/{self.context['secret']}"
        return request.build_absolute_uri(path) if request is not None else path
