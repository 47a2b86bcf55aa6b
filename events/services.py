"""The one writer of events: `record_event` (and `record_events` for several at once).

The contract, for every service that changes tenant data:

- Call it INSIDE the write's transaction, after the change, once per change: the event commits
  or rolls back with the change, so the feed never shows a change that did not happen, nor
  misses one that did (a transactional outbox).
- `payload` is the resource as the API shows it after the change (its serializer's
  `.data`), built from rows the service already loaded; for a delete, as it was before.
- `actor` is the user who made the change (None for a system or integration action);
  `actor_label` defaults to the user's username, and names integration actors
  (`printer:<name>`) when there is no user.
- One INSERT per call: several events of one write go through `record_events` (one
  `bulk_create`).

A tenant with active webhooks gets one `dispatch_events` task (events/webhooks.py) per
transaction, however many events it wrote, enqueued INSIDE the transaction (django-tasks'
database backend: a row that commits or rolls back with the change). Nothing runs after the
commit: a database lost between the commit and the answer could otherwise turn a committed
change into an error answer, whose retry would do it twice (a printer retries every failed
report). The check for active webhooks is one indexed read per call (a write records its events
in one call), until the task is enqueued; a caller that already read it passes `webhooks_active`.
"""

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from core.changes import UNSET, Unset, sent
from core.prepared import Slot, insert_rows
from events import tasks, webhooks
from events.models import Event, Webhook
from events.types import EVENT_TYPES
from tenants.contracts import Actor, acting_user
from tenants.models import Tenant, TenantOwnedModel
from tenants.scoping import ScopedQuery, all_tenants, ensure_scope

# A catalogue row whose change is recorded (a material, a product), and how it reads in the API.
Recorded = TypeVar("Recorded", bound=TenantOwnedModel)
Represent = Callable[[Any], dict[str, Any]]


@dataclass(frozen=True)
class NewEvent:
    type: str
    resource_id: UUID
    payload: dict[str, Any]

    @property
    def resource(self) -> str:
        return self.type.split(".", 1)[0]


def record_event(
    *,
    tenant: Tenant | UUID,
    type: str,
    resource: str,
    resource_id: UUID,
    actor: Actor,
    payload: dict[str, Any],
    actor_label: str | None = None,
) -> Event:
    """Write one event for a change made in the current transaction (see the module's contract)."""
    if resource != type.split(".", 1)[0]:
        raise ValueError(f"Event type {type!r} does not belong to resource {resource!r}.")
    [event] = record_events(
        tenant=tenant, actor=actor, actor_label=actor_label, events=[NewEvent(type, resource_id, payload)]
    )
    return event


def record_events(
    *,
    tenant: Tenant | UUID,
    actor: Actor,
    events: Sequence[NewEvent],
    actor_label: str | None = None,
    webhooks_active: bool | None = None,
) -> list[Event]:
    """Write several events of one change in one INSERT, in the given order.

    `webhooks_active`: whether the tenant has active webhooks, when the caller knows it from a
    read of this transaction (else it is read here).
    """
    unknown = {event.type for event in events} - EVENT_TYPES
    if unknown:
        raise ValueError(f"Unknown event types: {sorted(unknown)} (see events/types.py).")
    if not events:
        return []
    user = acting_user(actor)
    if actor_label is None:
        actor_label = user.get_username() if user is not None else ""
    tenant_id = tenant.pk if isinstance(tenant, Tenant) else tenant
    now = timezone.now()
    _hand_to_worker(tenant_id, webhooks_active)
    ensure_scope(Event)  # as `Event.objects` would: no tenant's row is written outside a scope
    rows = [
        Event(
            tenant_id=tenant_id,
            type=event.type,
            resource=event.resource,
            resource_id=event.resource_id,
            occurred_at=now,
            actor=user,
            actor_label=actor_label,
            payload=event.payload,
        )
        for event in events
    ]
    # One INSERT; for one event (most writes'), compiled once per process (core.prepared).
    insert_rows(Event, rows)
    return rows


def create_recorded(instance: Recorded, *, user: Actor, event_type: str, represent: Represent) -> Recorded:
    """Insert `instance` (a catalog row: a material, a product) and record `event_type` with
    `represent(instance)`, its API representation, in one transaction."""
    with transaction.atomic(savepoint=False):
        instance.save(force_insert=True)
        _record_change(instance, user, event_type, represent(instance))
    return instance


def update_recorded(
    instance: Recorded, *, user: Actor, event_type: str, represent: Represent, fields: dict[str, Any]
) -> Recorded:
    """Set `fields` on `instance`, save only them, and record `event_type`, in one transaction."""
    with transaction.atomic(savepoint=False):
        for name, value in fields.items():
            setattr(instance, name, value)
        instance.save(update_fields=[*fields, "updated_at"])
        _record_change(instance, user, event_type, represent(instance))
    return instance


def delete_recorded(instance: Recorded, *, user: Actor, event_type: str, represent: Represent) -> None:
    """Delete `instance` and record `event_type` with what it was, in one transaction (a row
    others protect raises Django's ProtectedError: the API's 409 `protected`)."""
    with transaction.atomic(savepoint=False):
        payload, pk = represent(instance), instance.pk
        instance.delete()
        instance.pk = pk
        _record_change(instance, user, event_type, payload)


def _record_change(instance: Recorded, user: Actor, event_type: str, payload: dict[str, Any]) -> None:
    record_events(tenant=instance.tenant_id, actor=user, events=[NewEvent(event_type, instance.pk, payload)])


class _HandedToWorker:
    """Marks, in the transaction's on-commit list, that the tenant's dispatch is enqueued in this
    transaction: equal per tenant, so the task comes once per transaction. It does nothing when
    called: the list is only where Django keeps what belongs to the transaction (a savepoint
    rolled back drops its entries, as it drops the task's row)."""

    def __init__(self, tenant_id: UUID) -> None:
        self.tenant_id = tenant_id

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _HandedToWorker) and other.tenant_id == self.tenant_id

    def __hash__(self) -> int:
        return hash(self.tenant_id)

    def __call__(self) -> None:
        pass


def active_webhooks(tenant: Any) -> QuerySet[Webhook]:
    """The tenant's active webhooks: those whose tenant gets a `dispatch_events` task (`tenant`: an id, a slot
    or an `OuterRef`)."""
    return Webhook.objects.filter(tenant_id=tenant, is_active=True)


def tenant_has_active_webhook() -> Exists:
    """Whether the outer row's tenant has an active webhook, for a write's read of its row to answer as well
    (`webhooks_active=` of `record_events`): the question asked with the row, no statement of its own."""
    return Exists(active_webhooks(OuterRef("tenant_id")))


@functools.cache
def active_webhook_lookup() -> ScopedQuery:
    """One of the tenant's active webhooks (its id alone), or none: `exists()`'s question, built and compiled
    once per process (tenants.scoping.ScopedQuery); building and compiling it cost each write that records
    events about 0.15 ms of CPU. Its slot: `tenant`."""
    tenant = Slot("tenant", Webhook._meta.get_field("tenant"))
    return ScopedQuery(lambda: active_webhooks(tenant).order_by().only("pk")[:1])


def _hand_to_worker(tenant_id: UUID, webhooks_active: bool | None = None) -> None:
    """Enqueue the tenant's `dispatch_events` in this transaction, once, if it has active webhooks."""
    marker = _HandedToWorker(tenant_id)
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(func == marker for _, func, _ in connection.run_on_commit):
        return
    if webhooks_active is None:
        with all_tenants():
            webhooks_active = bool(active_webhook_lookup().run(tenant=tenant_id))
    if webhooks_active:
        tasks.dispatch_events.enqueue(str(tenant_id))
        if connection.in_atomic_block:
            transaction.on_commit(marker)


# --- webhooks ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class WebhookDraft:
    url: str
    event_types: list[str]
    is_active: bool = True
    description: str = ""


@dataclass(frozen=True, kw_only=True)
class WebhookChanges:
    """A PUT/PATCH of a webhook: a field left `UNSET` was not sent and keeps its value."""

    url: str | Unset = UNSET
    event_types: list[str] | Unset = UNSET
    is_active: bool | Unset = UNSET
    description: str | Unset = UNSET


def create_webhook(*, tenant: Tenant, user: Actor, draft: WebhookDraft) -> Webhook:
    """A webhook with a new secret, delivering the events recorded from now on.

    Its URL must resolve to public addresses unless settings.WEBHOOK_ALLOW_PRIVATE_URLS (400
    `private_webhook_url` / `unresolvable_webhook_url`).
    """
    webhooks.resolve(draft.url)
    with transaction.atomic():
        return Webhook.objects.create(
            tenant=tenant,
            created_by=acting_user(user),
            secret=webhooks.new_secret(),
            last_event_id=webhooks.first_cursor(tenant),
            **vars(draft),
        )


def update_webhook(*, webhook: Webhook, changes: WebhookChanges) -> Webhook:
    """Change a webhook; a new URL is checked like a new webhook's. The secret never changes."""
    fields = sent(changes)
    if "url" in fields:
        webhooks.resolve(fields["url"])
    with transaction.atomic():
        for name, value in fields.items():
            setattr(webhook, name, value)
        webhook.save(update_fields=[*fields, "updated_at"])
    return webhook


def delete_webhook(*, webhook: Webhook) -> None:
    """Delete a webhook and its delivery log; deliveries not yet made are dropped."""
    with transaction.atomic():
        webhook.delete()
