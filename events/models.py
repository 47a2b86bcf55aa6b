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
