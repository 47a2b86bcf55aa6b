from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from tenants.models import TenantOwnedModel


class CurrentTransactionId(models.Func):
    """The writing transaction's id: `pg_current_xact_id()` on PostgreSQL, 0 elsewhere.

    SQLite runs one writer at a time (IMMEDIATE transactions), so ids commit in order there
    and the feed needs no transaction id; 0 keeps the column's ordering neutral.
    """

    output_field = models.BigIntegerField()

    def as_sql(self, compiler, connection, **extra_context):
        return "0", []

    def as_postgresql(self, compiler, connection, **extra_context):
        return "pg_current_xact_id()", []


class TransactionIdField(models.BigIntegerField):
    """PostgreSQL's `xid8` (a 64-bit transaction id, never wrapping); a plain bigint elsewhere."""

    def db_type(self, connection):
        return "xid8" if connection.vendor == "postgresql" else super().db_type(connection)

    def from_db_value(self, value, expression, connection):
        return None if value is None else int(value)


class Event(TenantOwnedModel):
    """One change of a tenant's data, written by the service that made it, in the same transaction.

    `type` is `<resource>.<what>` (events/types.py); `payload` is the resource as the API shows it
    after the change (its serializer's representation; for a delete, as it was). `actor` is the
    user who made the change; `actor_label` names the actor for people and for integrations that
    act without a user (a printer's integration key: `printer:<name>`). Rows are never edited.

    `xact_id` is the writing transaction's id (PostgreSQL: filled by the column's default, so the
    INSERT names nothing extra). The feed (events/selectors.py) uses it to serve only rows whose
    transaction has ended, in (xact_id, id) order, so a reader can never skip a row that commits
    late with a smaller id.
    """

    id = models.BigAutoField(primary_key=True)
    type = models.CharField(max_length=40)
    resource = models.CharField(max_length=20)
    resource_id = models.UUIDField()
    occurred_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    payload = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    xact_id = TransactionIdField(db_default=CurrentTransactionId(), editable=False)

    class Meta:
        ordering = ["xact_id", "id"]
        indexes = [models.Index(fields=["tenant", "xact_id", "id"], name="event_tenant_feed_order")]

    def __str__(self):
        return f"#{self.pk} {self.type} {self.resource_id}"


class Webhook(TenantOwnedModel):
    """An HTTPS (or HTTP) endpoint that receives the tenant's events of `event_types` (`["*"]`: all).

    `secret` signs each delivery (HMAC-SHA256, events/webhooks.py). It is stored as generated,
    not hashed, because signing needs the raw value: whoever can read this table can forge
    deliveries, like whoever can read the database can change the data they describe. The API
    shows it once, in the answer to the POST that created it.

    `last_event_id` is the webhook's position in the tenant's feed: the dispatcher creates a
    delivery for each later event (events/selectors.py order) and moves it on, in one transaction.
    """

    url = models.URLField(max_length=2000)
    event_types = models.JSONField(default=list)
    secret = models.CharField(max_length=100, editable=False)
    is_active = models.BooleanField(default=True)
    description = models.CharField(max_length=200, blank=True)
    last_event_id = models.BigIntegerField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.url

    def wants(self, event_type):
        return "*" in self.event_types or event_type in self.event_types


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"  # not yet accepted: an attempt is due at `next_attempt_at`
    DELIVERED = "delivered"  # the receiver answered 2xx
    FAILED = "failed"  # given up: no 2xx within WEBHOOK_RETRY_HOURS (or the webhook was deleted)


class WebhookDelivery(TenantOwnedModel):
    """One event for one webhook: its id is the `X-Printfarm-Delivery` header, the same on every retry."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-created_at", "-event_id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "webhook", "event"], name="webhook_delivery_unique_event")
        ]
        indexes = [models.Index(fields=["tenant", "webhook", "-created_at"], name="webhook_delivery_recent")]

    def __str__(self):
        return f"{self.event_id} to {self.webhook_id}: {self.status}"
