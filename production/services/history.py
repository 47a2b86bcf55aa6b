"""What every run write leaves behind: a row of the run's history and an event in the outbox.

The history (`ProductionRunEvent`) says who changed the run, when, and what: `changes` maps
each changed field to `[old, new]`. The event (`run.*`) carries the run as the API shows it
after the change, recorded in the same transaction as the change.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import models

from events.services import NewEvent, record_events
from production.models import ProductionRun, ProductionRunEvent, ProductionRunItem, ProductionRunMaterial
from production.serializers import ProductionRunSerializer
from production.services.rules import run_items, run_materials


def plain(value: Any) -> Any:
    """A value as the history stores it: a referenced record by its id."""
    if isinstance(value, models.Model):
        return value.pk
    return value


def record(run: ProductionRun, action: str, user, **changes: Any) -> ProductionRunEvent:
    """One history row for `run`: who (`user`, None for the system), now, and what changed."""
    if user is not None and not user.is_authenticated:
        user = None
    return ProductionRunEvent.objects.create(
        tenant_id=run.tenant_id, run=run, action=action, user=user, changes=changes
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
    user,
    *,
    items: Sequence[ProductionRunItem] | None = None,
    materials: Sequence[ProductionRunMaterial] | None = None,
    events: Sequence[NewEvent] = (),
) -> None:
    """Record `event_type` for `run` (after any spool `events` of the same write), in one INSERT."""
    payload = _run_payload(run, items, materials)
    record_events(tenant=run.tenant_id, actor=user, events=[*events, NewEvent(event_type, run.pk, payload)])
    # The run as the API shows it right after this write: the view answers with it instead of reading it again.
    run.api_representation = payload


def _run_payload(run, items=None, materials=None):
    """The run as the API shows it (ProductionRunSerializer): an event's payload.

    `items`/`materials` are the run's rows if the caller has them loaded (with their products,
    spools and materials), else they are read here (two queries). They are the run's
    prefetched children while it is serialized, so the totals come from them. The printer and
    the creator come from the run as `lock_run` read them.
    """
    if items is None:
        items = run_items(run)
    if materials is None:
        materials = run_materials(run)
    before = getattr(run, "_prefetched_objects_cache", None)
    run._prefetched_objects_cache = {
        **(before or {}),
        "items": _as_prefetched(ProductionRunItem, run, items),
        "materials": _as_prefetched(ProductionRunMaterial, run, materials),
    }
    try:
        return ProductionRunSerializer(run).data
    finally:
        # The caller's run reads its children afresh again, as it did before.
        if before is None:
            del run._prefetched_objects_cache
        else:
            run._prefetched_objects_cache = before


def _as_prefetched(model, run, rows):
    """`rows` as Django's prefetch stores a run's children: a queryset evaluated already, in Meta order."""
    queryset = model.objects.filter(run_id=run.pk)
    queryset._result_cache = sorted(rows, key=lambda row: (row.created_at, str(row.pk)))
    queryset._prefetch_done = True
    return queryset
