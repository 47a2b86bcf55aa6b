"""What every run write leaves behind: a row of the run's history and an event in the outbox.

The history (`RunHistoryEntry`) says who changed the run, when, and what: `changes` maps
each changed field to `[old, new]`. The event (`run.*`) carries the run as the API shows it
after the change (`production.payloads`), recorded in the same transaction as the change.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import models

from events.services import NewEvent, record_events
from production import payloads
from production.models import ProductionRun, ProductionRunItem, ProductionRunMaterial, RunHistoryEntry
from tenants.contracts import Actor, acting_user


def plain(value: Any) -> Any:
    """A value as the history stores it: a referenced record by its id."""
    if isinstance(value, models.Model):
        return value.pk
    return value


def record(run: ProductionRun, action: str, user: Actor, **changes: Any) -> RunHistoryEntry:
    """One history row for `run`: who (`user`, None for the system), now, and what changed."""
    return RunHistoryEntry.objects.create(
        tenant_id=run.tenant_id, run=run, action=action, user=acting_user(user), changes=changes
    )


def diff(row: models.Model, new_values: Mapping[str, Any]) -> dict[str, list[Any]]:
    """`{field: [old, new]}` for each of `new_values` that differs from `row`'s."""
    return {
        name: [plain(getattr(row, name)), plain(value)]
        for name, value in new_values.items()
        if getattr(row, name) != value
    }


def created(row: models.Model, names: Iterable[str]) -> dict[str, list[Any]]:
    return {name: [None, plain(getattr(row, name))] for name in names}


def removed(row: models.Model, names: Iterable[str]) -> dict[str, list[Any]]:
    return {name: [plain(getattr(row, name)), None] for name in names}


def run_event(
    run: ProductionRun,
    event_type: str,
    user: Actor,
    *,
    items: Sequence[ProductionRunItem] | None = None,
    materials: Sequence[ProductionRunMaterial] | None = None,
    events: Sequence[NewEvent] = (),
) -> None:
    """Record `event_type` for `run` (after any spool `events` of the same write), in one INSERT."""
    payload = payloads.run_payload(run, items=items, materials=materials)
    record_events(tenant=run.tenant_id, actor=user, events=[*events, NewEvent(event_type, run.pk, payload)])
