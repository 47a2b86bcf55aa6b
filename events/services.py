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
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.utils import timezone

from events.models import Event
from events.types import EVENT_TYPES


@dataclass(frozen=True)
class NewEvent:
    type: str
    resource_id: UUID
    payload: dict[str, Any]

    @property
    def resource(self):
        return self.type.split(".", 1)[0]


def record_event(
    *,
    tenant,
    type: str,
    resource: str,
    resource_id: UUID,
    actor,
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


def record_events(*, tenant, actor, events: Sequence[NewEvent], actor_label: str | None = None) -> list[Event]:
    """Write several events of one change in one INSERT, in the given order."""
    unknown = {event.type for event in events} - EVENT_TYPES
    if unknown:
        raise ValueError(f"Unknown event types: {sorted(unknown)} (see events/types.py).")
    if not events:
        return []
    if actor is not None and not actor.is_authenticated:
        actor = None
    if actor_label is None:
        actor_label = actor.get_username() if actor is not None else ""
    tenant_id = getattr(tenant, "pk", tenant)  # a Tenant or its id
    now = timezone.now()
    return Event.objects.bulk_create(
        [
            Event(
                tenant_id=tenant_id,
                type=event.type,
                resource=event.resource,
                resource_id=event.resource_id,
                occurred_at=now,
                actor=actor,
                actor_label=actor_label,
                payload=event.payload,
            )
            for event in events
        ]
    )
