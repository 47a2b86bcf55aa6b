"""A run's life after it starts: complete, fail, cancel, reopen.

Each transition locks the run, asks `production.status_codes` whether its status allows the
step (`rules.transition`), moves inventory only through `inventory.services.record_movements`,
and records the history row and the `run.*` event in the same transaction.
"""

import datetime
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import models, transaction
from django.utils import timezone

from core.changes import UNSET, Unset, sent
from core.errors import ErrorCode, InvalidInput
from events.services import NewEvent
from inventory.models import ZERO, InventoryTransaction, Spool, TransactionType
from inventory.services import Movement, record_movements
from production.models import FailureReason, ProductionRun, ProductionRunItem, ProductionRunMaterial, RunHistoryAction
from production.services import history
from production.services.rules import check_outcomes, check_weighings, lock_run, run_items, run_materials, transition
from production.status_codes import FIELDS_EDITABLE_WHEN_LOCKED, RunAction
from tenants.contracts import Actor

MATERIAL_ACTUAL_FIELDS = (
    "actual_model_g",
    "actual_flushed_g",
    "actual_tower_g",
    "spool_weight_before_g",
    "spool_weight_after_g",
)
HOURS = Decimal("0.01")
MAX_DURATION_HOURS = 999_999
MAX_DURATION = datetime.timedelta(hours=MAX_DURATION_HOURS)


# --- inputs --------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ItemOutcome:
    """What came off the printer for one item of the run (`id`); an `UNSET` count keeps the stored one."""

    id: uuid.UUID
    successful_quantity: int | Unset | None = UNSET
    failed_quantity: int | Unset | None = UNSET


@dataclass(frozen=True, kw_only=True)
class MaterialActuals:
    """The actual usage of one material of the run (`id`); an `UNSET` field keeps the stored value."""

    id: uuid.UUID
    actual_model_g: Decimal | Unset | None = UNSET
    actual_flushed_g: Decimal | Unset | None = UNSET
    actual_tower_g: Decimal | Unset | None = UNSET
    spool_weight_before_g: Decimal | Unset | None = UNSET
    spool_weight_after_g: Decimal | Unset | None = UNSET


def _outcomes_and_actuals(data: dict[str, Any]) -> tuple[tuple[ItemOutcome, ...], tuple[MaterialActuals, ...]]:
    items = tuple(ItemOutcome(**item) for item in data.pop("items", ()))
    materials = tuple(MaterialActuals(**material) for material in data.pop("materials", ()))
    return items, materials


@dataclass(frozen=True, kw_only=True)
class Completion:
    """Completing a run: `completed_at` None means now; `use_estimates` fills missing actuals."""

    completed_at: datetime.datetime | None = None
    use_estimates: bool = False
    quality_rating: int | Unset | None = UNSET
    quality_notes: str | Unset = UNSET
    notes: str | Unset = UNSET
    items: tuple[ItemOutcome, ...] = ()
    materials: tuple[MaterialActuals, ...] = ()

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> "Completion":
        values = dict(data)
        items, materials = _outcomes_and_actuals(values)
        return cls(**values, items=items, materials=materials)


@dataclass(frozen=True, kw_only=True)
class Failure:
    """Failing a run: why, when (None means now), and the filament already used."""

    failure_reason: str
    completed_at: datetime.datetime | None = None
    notes: str | Unset = UNSET
    materials: tuple[MaterialActuals, ...] = ()

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> "Failure":
        values = dict(data)
        _, materials = _outcomes_and_actuals(values)
        return cls(**values, materials=materials)


# --- complete and fail ----------------------------------------------------------------------


def _settle_outcomes(item: ProductionRunItem) -> None:
    """At completion an item's counts are final: a missing count is what the other leaves over."""
    successful, failed = item.successful_quantity, item.failed_quantity
    if successful is None and failed is None:
        item.successful_quantity, item.failed_quantity = item.quantity, 0
    elif successful is None:
        item.successful_quantity = max(item.quantity - (failed or 0), 0)
    elif failed is None:
        item.failed_quantity = max(item.quantity - successful, 0)


def _apply_named(rows: Sequence[Any], entries: Sequence[Any], *, kind: str, unknown: ErrorCode) -> None:
    """Set each entry's sent fields on the run's row of its `id`; an id that is not the run's is refused."""
    by_id = {row.pk: row for row in rows}
    for entry in entries:
        row = by_id.get(entry.id)
        if row is None:
            raise InvalidInput(f"{kind} {entry.id} is not a {kind.lower()} of this run.", code=unknown)
        for name, value in sent(entry).items():
            if name != "id":
                setattr(row, name, value)


def _apply_outcomes(items: Sequence[ProductionRunItem], outcomes: Sequence[ItemOutcome]) -> None:
    _apply_named(items, outcomes, kind="Item", unknown=ErrorCode.UNKNOWN_ITEM)


def _apply_actuals(materials: Sequence[ProductionRunMaterial], actuals: Sequence[MaterialActuals]) -> None:
    _apply_named(materials, actuals, kind="Material", unknown=ErrorCode.UNKNOWN_MATERIAL)
    for material in materials:
        check_weighings(material)


def _end_moment(run: ProductionRun, ended_at: datetime.datetime | None) -> datetime.datetime:
    assert run.started_at is not None  # a run in progress has started (the table's constraint)
    ended_at = ended_at or timezone.now()
    if ended_at < run.started_at:
        raise InvalidInput("completed_at may not precede started_at.", code=ErrorCode.INVALID_DATES)
    # duration_hours holds at most 999999.99; a longer span is a typo in a date, not a 500.
    if ended_at - run.started_at > MAX_DURATION:
        raise InvalidInput(
            f"A run cannot last longer than {MAX_DURATION_HOURS} hours; check started_at and completed_at.",
            code=ErrorCode.INVALID_DATES,
        )
    return ended_at


def _duration_hours(run: ProductionRun, ended_at: datetime.datetime) -> Decimal:
    assert run.started_at is not None  # a run in progress has started (the table's constraint)
    seconds = Decimal((ended_at - run.started_at).total_seconds())
    return (seconds / 3600).quantize(HOURS)


def _reported_grams(materials: Sequence[ProductionRunMaterial]) -> dict[UUID, Decimal]:
    """{material id: grams its printer already reported (`printer_use` rows)} for the run's `materials`, in one query.

    A printer reporting through the Spoolman-compatible API while the run is in progress books
    its use at once (spoolman.services.report_use); completing or failing the run then charges
    only the rest, so no gram is charged twice. Reopening reverses what completion wrote and
    keeps the printer's reports: they are what the printer did print.
    """
    if not materials:
        return {}
    rows = (
        InventoryTransaction.objects.filter(
            production_run_material__in=[material.pk for material in materials],
            type=TransactionType.PRINTER_USE,
        )
        .values("production_run_material")
        .annotate(taken=models.Sum("weight_change_g"))
    )
    return {row["production_run_material"]: -row["taken"] for row in rows}


def _reported_as_actuals(materials: Sequence[ProductionRunMaterial], reported: Mapping[UUID, Decimal]) -> None:
    """A material without actuals whose printer reported use: the reports are its actual use."""
    for material in materials:
        grams = reported.get(material.pk, ZERO)
        if material.actual_total_g is None and grams > ZERO:
            material.actual_model_g = grams


def _consume(
    *,
    run: ProductionRun,
    materials: Sequence[ProductionRunMaterial],
    user: Actor,
    type: str,
    verb: str,
    reported: Mapping[UUID, Decimal],
    events: list[NewEvent],
) -> None:
    """One row per material for its actual use less what its printer already reported (none when equal)."""
    movements = [
        Movement(
            spool_id=_line_spool_id(material),
            type=type,
            change_g=reported.get(material.pk, ZERO) - material.actual_total_g,
            description=f"{verb} run {run.run_number}",
            production_run_id=run.pk,
            production_run_material_id=material.pk,
            # The printer the run ran on: the row names it, as a printer's own report does.
            printer_id=run.printer_id,
        )
        for material in materials
        if material.actual_total_g != reported.get(material.pk, ZERO)
    ]
    if movements:
        record_movements(
            movements=movements, user=user, occurred_at=run.completed_at, event_type="spool.updated", events=events
        )


def _line_spool(material: ProductionRunMaterial) -> Spool:
    """The spool a started run's line draws on: only a planned run's line may lack one (`check_line`)."""
    spool = material.spool
    assert spool is not None
    return spool


def _line_spool_id(material: ProductionRunMaterial) -> UUID:
    """`_line_spool`'s id, read without loading the spool."""
    assert material.spool_id is not None  # only a planned run's line may lack a spool (`check_line`)
    return material.spool_id


def _used_grams(materials: Sequence[ProductionRunMaterial]) -> dict[str, Decimal | None]:
    return {str(material.pk): material.actual_total_g for material in materials}


def complete_run(*, run: ProductionRun, user: Actor, completion: Completion) -> ProductionRun:
    """Record what came off the printer and deduct each material from its spool, exactly once."""
    with transaction.atomic():
        run = lock_run(run)
        target = transition(run, RunAction.COMPLETE)
        items, materials = run_items(run), run_materials(run)
        _apply_outcomes(items, completion.items)
        _apply_actuals(materials, completion.materials)
        if not items:
            raise InvalidInput("A run needs at least one item to be completed.", code=ErrorCode.NO_ITEMS)
        for item in items:
            _settle_outcomes(item)
            check_outcomes(item)
        reported = _reported_grams(materials)
        _reported_as_actuals(materials, reported)
        if completion.use_estimates:
            for material in materials:
                if material.actual_total_g is None:
                    material.actual_model_g = material.estimated_model_g
                    material.actual_flushed_g = material.estimated_flushed_g
                    material.actual_tower_g = material.estimated_tower_g
        missing = [_line_spool(material).code for material in materials if material.actual_total_g is None]
        if missing:
            raise InvalidInput(
                f"These materials have no actual usage: {', '.join(missing)}. "
                "Send their actual grams or weighings, or use_estimates.",
                code=ErrorCode.MISSING_ACTUALS,
                materials=missing,
            )
        run.completed_at = _end_moment(run, completion.completed_at)
        spool_events: list[NewEvent] = []
        _consume(
            run=run,
            materials=materials,
            user=user,
            type=TransactionType.USAGE,
            verb="Completed",
            reported=reported,
            events=spool_events,
        )
        notes = {name: value for name, value in sent(completion).items() if name in FIELDS_EDITABLE_WHEN_LOCKED}
        differences = history.diff(run, {"status": target, **notes})
        for name, value in notes.items():
            setattr(run, name, value)
        _finish(run, items, materials, status=target)
        history.record(
            run,
            RunHistoryAction.COMPLETED,
            user,
            **differences,
            completed_at=[None, run.completed_at],
            used_g=_used_grams(materials),
            outcomes={str(item.pk): [item.successful_quantity, item.failed_quantity] for item in items},
        )
        history.run_event(run, "run.completed", user, items=items, materials=materials, events=spool_events)
    return run


def fail_run(*, run: ProductionRun, user: Actor, failure: Failure) -> ProductionRun:
    """The print failed: every item is lost and filament already used is written off as waste."""
    if failure.failure_reason not in FailureReason.values:
        raise InvalidInput(f"failure_reason must be one of {', '.join(FailureReason.values)}.", code=ErrorCode.INVALID)
    with transaction.atomic():
        run = lock_run(run)
        target = transition(run, RunAction.FAIL)
        items, materials = run_items(run), run_materials(run)
        _apply_actuals(materials, failure.materials)
        reported = _reported_grams(materials)
        _reported_as_actuals(materials, reported)
        for item in items:
            item.successful_quantity, item.failed_quantity = 0, item.quantity
        run.completed_at = _end_moment(run, failure.completed_at)
        used = [material for material in materials if material.actual_total_g]
        spool_events: list[NewEvent] = []
        _consume(
            run=run,
            materials=used,
            user=user,
            type=TransactionType.WASTE,
            verb="Failed",
            reported=reported,
            events=spool_events,
        )
        new_values = {"status": target, "failure_reason": failure.failure_reason}
        if not isinstance(failure.notes, Unset):
            new_values["notes"] = failure.notes
        differences = history.diff(run, new_values)
        run.failure_reason = failure.failure_reason
        if not isinstance(failure.notes, Unset):
            run.notes = failure.notes
        _finish(run, items, materials, status=target)
        history.record(
            run,
            RunHistoryAction.FAILED,
            user,
            **differences,
            completed_at=[None, run.completed_at],
            wasted_g=_used_grams(used),
        )
        history.run_event(run, "run.failed", user, items=items, materials=materials, events=spool_events)
    return run


def _finish(
    run: ProductionRun,
    items: Sequence[ProductionRunItem],
    materials: Sequence[ProductionRunMaterial],
    *,
    status: str,
) -> None:
    ProductionRunItem.objects.bulk_update(items, ["successful_quantity", "failed_quantity"])
    ProductionRunMaterial.objects.bulk_update(materials, MATERIAL_ACTUAL_FIELDS)
    run.status = status
    if run.completed_at is None:  # complete and fail set it (_end_moment) before they finish
        raise ValueError(f"Run {run.run_number} cannot finish without its end.")
    run.duration_hours = _duration_hours(run, run.completed_at)
    run.save()


def cancel_run(*, run: ProductionRun, user: Actor) -> ProductionRun:
    """An in-progress run is abandoned; no inventory moves."""
    with transaction.atomic():
        run = lock_run(run)
        target = transition(run, RunAction.CANCEL)
        differences = history.diff(run, {"status": target})
        run.status = target
        run.save(update_fields=["status", "updated_at"])
        history.record(run, RunHistoryAction.CANCELLED, user, **differences)
        history.run_event(run, "run.cancelled", user)
    return run


def reopen_run(*, run: ProductionRun, user: Actor) -> ProductionRun:
    """Back to in_progress: each usage/waste row of the run is reversed by one `reversal` row."""
    with transaction.atomic():
        run = lock_run(run)
        target = transition(run, RunAction.REOPEN)
        consumed = InventoryTransaction.objects.for_tenant(run.tenant_id).unreversed_consumption_of(run)
        movements = [
            Movement(
                spool_id=row.spool_id,
                type=TransactionType.REVERSAL,
                change_g=-row.weight_change_g,
                description=f"Reopened run {run.run_number}",
                production_run_id=run.pk,
                production_run_material_id=row.production_run_material_id,
                reversal_of_id=row.pk,
                printer_id=row.printer_id,
            )
            for row in consumed
        ]
        spool_events: list[NewEvent] = []
        if movements:
            record_movements(movements=movements, user=user, event_type="spool.updated", events=spool_events)
        reopened = {"status": target, "completed_at": None, "duration_hours": None, "failure_reason": ""}
        differences = history.diff(run, reopened)
        run.status = target
        run.completed_at = None
        run.duration_hours = None
        run.failure_reason = ""
        run.save()
        history.record(
            run,
            RunHistoryAction.REOPENED,
            user,
            **differences,
            returned_g={str(movement.production_run_material_id): movement.change_g for movement in movements},
        )
        history.run_event(run, "run.reopened", user, events=spool_events)
    return run
