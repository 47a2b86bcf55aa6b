from urllib.parse import urlsplit

from rest_framework import serializers

from events.models import Event, Webhook, WebhookDelivery
from events.types import EVENT_TYPES
from tenants.serializers import TenantOwnedSerializer


class EventSerializer(serializers.ModelSerializer):
    """One event of the feed (also the body of a webhook delivery)."""

    actor = serializers.SerializerMethodField(help_text="Who made the change: a username, `printer:<name>`, or null.")
    payload = serializers.JSONField(read_only=True, help_text="The resource as the API shows it after the change.")

    class Meta:
        model = Event
        fields = ["id", "type", "resource", "resource_id", "occurred_at", "actor", "payload"]
        read_only_fields = fields

    def get_actor(self, event) -> str | None:
        return event.actor_label or None


class EventFeedSerializer(serializers.Serializer):
    """A page of the feed: pass `next_cursor` as `after` to read on (it stays valid when the page is empty)."""

    results = EventSerializer(many=True)
    next_cursor = serializers.IntegerField(allow_null=True, help_text="The id of the page's last event, else `after`.")
    next = serializers.URLField(help_text="This feed's URL with `after=next_cursor`: the page to poll next.")
    has_more = serializers.BooleanField(help_text="More events are ready now: read `next` without waiting.")


EVENT_TYPE_CHOICES = sorted(EVENT_TYPES)


class WebhookSerializer(TenantOwnedSerializer):
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=["*", *EVENT_TYPE_CHOICES]),
        allow_empty=False,
        max_length=len(EVENT_TYPE_CHOICES) + 1,
        help_text='The event types to deliver (`["*"]`: every type).',
    )
    url = serializers.URLField(
        max_length=2000, help_text="http:// or https://; its host must resolve to public addresses."
    )

    class Meta:
        model = Webhook
        fields = ["id", "url", "event_types", "is_active", "description", "created_at", "updated_at"]

    def validate_url(self, value):
        if not value.lower().startswith(("http://", "https://")):
            raise serializers.ValidationError("Use an http:// or https:// URL.", code="invalid")
        try:
            port = urlsplit(value).port
        except ValueError:  # beyond 65535 (URLField takes any five digits)
            port = 0
        if port == 0:
            raise serializers.ValidationError("The port must be a number from 1 to 65535.", code="invalid")
        return value

    def validate_event_types(self, value):
        return list(dict.fromkeys(value))


class CreatedWebhookSerializer(WebhookSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="Signs every delivery (X-Printfarm-Signature). Shown only in this response: keep it."
    )

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    event_type = serializers.CharField(source="event.type", read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "event_type",
            "status",
            "attempts",
            "response_status",
            "last_error",
            "created_at",
            "last_attempt_at",
            "next_attempt_at",
            "delivered_at",
        ]
        read_only_fields = fields
