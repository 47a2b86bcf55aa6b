from django.contrib import admin

from events.models import Event, Webhook, WebhookDelivery
from tenants.admin import ReadOnlyTenantOwnedAdmin


@admin.register(Event)
class EventAdmin(ReadOnlyTenantOwnedAdmin):
    """The outbox, for oversight: written only by the services, never edited."""

    list_display = ["id", "occurred_at", "type", "resource_id", "actor_label", "tenant"]
    list_filter = ["tenant", "resource", "type"]
    search_fields = ["type", "actor_label"]
    exclude = ["xact_id"]


@admin.register(Webhook)
class WebhookAdmin(ReadOnlyTenantOwnedAdmin):
    """Tenants' admins manage their webhooks through the API; the secret is never shown here."""

    list_display = ["url", "is_active", "event_types", "created_at", "tenant"]
    list_filter = ["tenant", "is_active"]
    search_fields = ["url", "description"]
    exclude = ["secret"]
    readonly_fields = ["url", "event_types", "is_active", "description", "last_event_id", "created_by"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyTenantOwnedAdmin):
    list_display = ["id", "webhook", "event", "status", "attempts", "response_status", "last_attempt_at", "tenant"]
    list_filter = ["tenant", "status"]
    list_select_related = ["tenant", "webhook", "event"]
