"""A run itself: its number, its creation with its items and materials, its edits, its soft delete."""

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from core.changes import UNSET, Unset, sent
from core.errors import ErrorCode, InvalidInput
from core.locking import lock_rows
from inventory.models import InventoryTransaction, Spool
from production.models import (
    Printer,
    ProductionRun,
    ProductionRunItem,
    ProductionRunMaterial,
    RunHistoryAction,
    RunNumberCounter,
    RunPriority,
)
from production.services import history
from production.services.children import ItemDraft, MaterialDraft
from production.services.rules import (
    RunHasInventory,
    RunLocked,
    check_assignable,
    check_kinds,
    check_original_run,
    check_outcomes,
    check_total_units,
    check_weighings,
    lock_named_spools,
    lock_run,
    transition,
)
from production.status_codes import (
    CREATABLE_STATUSES,
    FIELDS_EDITABLE_WHEN_LOCKED,
    HOLDS_INVENTORY,
    INITIAL_STATUS,
    MAY_HOLD_INVENTORY,
    QUEUED_STATUSES,
    InvalidTransition,
    RunAction,
    action_setting,
)
from tenants.contracts import Actor, acting_user, ensure_same_tenant
from tenants.models import Tenant


@dataclass(frozen=True, kw_only=True)
class RunDraft:
    """A new run with its items and materials: in progress (`started_at` None means now) or planned
    (`status="planned"`: no start until `start/`)."""

    printer: Printer | None = None
    started_at: datetime.datetime | None = None
    priority: str = RunPriority.NORMAL
    planned_start: datetime.datetime | None = None
    estimated_print_time_hours: Decimal | None = None
    slicer_software: str = ""
    bed_temperature_c: int | None = None
    nozzle_temperature_c: int | None = None
    quality_rating: int | None = None
    quality_notes: str = ""
    notes: str = ""
    original_run: ProductionRun | None = None
    status: str = INITIAL_STATUS
    items: tuple[ItemDraft, ...] = ()
    materials: tuple[MaterialDraft, ...] = ()

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> "RunDraft":
        """From a mapping whose `items`/`materials` are mappings (a serializer's validated data)."""
        values = dict(data)
        items = tuple(ItemDraft(**item) for item in values.pop("items", ()))
        materials = tuple(MaterialDraft(**material) for material in values.pop("materials", ()))
        return cls(**values, items=items, materials=materials)


@dataclass(frozen=True, kw_only=True)
class RunChanges:
    """A PUT/PATCH of a run: only the fields not `UNSET` change. `status` may only become `cancelled`."""

    printer: Printer | Unset | None = UNSET
    started_at: datetime.datetime | Unset = UNSET
    priority: str | Unset = UNSET
    planned_start: datetime.datetime | Unset | None = UNSET
    estimated_print_time_hours: Decimal | Unset | None = UNSET
    slicer_software: str | Unset = UNSET
    bed_temperature_c: int | Unset | None = UNSET
    nozzle_temperature_c: int | Unset | None = UNSET
    quality_rating: int | Unset | None = UNSET
    quality_notes: str | Unset = UNSET
    notes: str | Unset = UNSET
    original_run: ProductionRun | Unset | None = UNSET
    status: str | Unset = UNSET


# The run's own fields a draft sets as they are (the rest: its children, its status, its start).
RUN_FIELDS = tuple(
    field.name for field in fields(RunDraft) if field.name not in {"items", "materials", "status", "started_at"}
)


def _start_moment(draft: RunDraft) -> datetime.datetime | None:
    """When a new run started: None for a planned run (it has not), else the draft's moment or now."""
    if draft.status not in CREATABLE_STATUSES:
        raise InvalidInput(
            f"A new run is {' or '.join(sorted(CREATABLE_STATUSES))}, not {draft.status}.", code=ErrorCode.INVALID
        )
    if draft.status in QUEUED_STATUSES:
        if draft.started_at is not None:
            raise InvalidInput("A planned run has no started_at: start/ sets it.", code=ErrorCode.INVALID)
        return None
    return draft.started_at or timezone.now()


def next_run_number(*, tenant: Tenant, now: datetime.datetime) -> str:
    """`{prefix}-{YYYYMMDD}-{NNN}` for the tenant's local day; the day's counter row is locked."""
    day = timezone.localtime(now, tenant.zone).date()
    counters = RunNumberCounter.objects.for_tenant(tenant).filter(day=day)
    counters.get_or_create(tenant=tenant, day=day)
    (counter,) = lock_rows(counters)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return f"{tenant.run_prefix}-{day:%Y%m%d}-{counter.last_number:03d}"


def create_run(
    *, tenant: Tenant, user: Actor, draft: RunDraft, created_at: datetime.datetime | None = None
) -> ProductionRun:
    """A run with its items and materials, all in one transaction or nothing.

    `created_at` (default now) is for records of the past (the demo seed's history): the run is
    created, and numbered, on that day.
    """
    ensure_same_tenant(
        tenant,
        draft.printer,
        draft.original_run,
        *(item.product for item in draft.items),
        *(material.spool for material in draft.materials),
        *(material.material for material in draft.materials),
    )
    started_at = _start_moment(draft)
    values = {name: getattr(draft, name) for name in RUN_FIELDS}
    with transaction.atomic():
        run = ProductionRun(
            tenant=tenant, created_by=acting_user(user), status=draft.status, started_at=started_at, **values
        )
        items = [ProductionRunItem(tenant=tenant, run=run, **vars(item)) for item in draft.items]
        materials = [ProductionRunMaterial(tenant=tenant, run=run, **vars(material)) for material in draft.materials]
        for item in items:
            check_outcomes(item)
        check_total_units(items)
        seen: set[UUID] = set()
        for material in materials:
            check_assignable(material, other_spool_ids=seen, run_status=run.status)
            check_weighings(material)
            if material.spool is not None:
                material.cost_per_gram = material.spool.cost_per_gram
                seen.add(material.spool.pk)
        check_kinds(items, materials)
        locked = lock_named_spools(seen)
        for material in materials:  # the event's payload shows each spool's material: read with the lock
            if material.spool is not None and not Spool._meta.get_field("material").is_cached(material.spool):
                material.spool.material = locked[material.spool.pk].material
        run.run_number = next_run_number(tenant=tenant, now=created_at or timezone.now())
        run.save()
        if created_at is not None:
            # `created_at` is stamped on insert (auto_now_add); a record of the past keeps its own day.
            ProductionRun.all_objects.filter(pk=run.pk).update(created_at=created_at)
            run.created_at = created_at
        ProductionRunItem.objects.bulk_create(items)
        ProductionRunMaterial.objects.bulk_create(materials)
        history.record(
            run,
            RunHistoryAction.CREATED,
            user,
            **history.created(run, ("run_number", "status", "started_at")),
            **{name: [None, history.plain(value)] for name, value in values.items() if value not in (None, "")},
            items=[{"id": item.pk, "product": item.product_id, "quantity": item.quantity} for item in items],
            materials=[
                {
                    "id": material.pk,
                    "spool": material.spool_id,
                    "material": material.material_id,
                    "estimated_total_g": material.estimated_total_g,
                }
                for material in materials
            ],
        )
        event_type = "run.planned" if run.status in QUEUED_STATUSES else "run.created"
        history.run_event(run, event_type, user, items=items, materials=materials)
    return run


def update_run(*, run: ProductionRun, user: Actor, changes: RunChanges) -> ProductionRun:
    """PUT/PATCH of a run: locked runs take only notes and quality; `status` only as the table allows."""
    new_values = sent(changes)
    ensure_same_tenant(run.tenant_id, new_values.get("printer"), new_values.get("original_run"))
    with transaction.atomic():
        run = lock_run(run)
        new_status = new_values.pop("status", run.status)
        changed = {name: value for name, value in new_values.items() if getattr(run, name) != value}
        action = None
        if new_status != run.status:
            action = action_setting(new_status)
            if action is None:
                raise InvalidTransition(
                    f"Run {run.run_number} is {run.status}; its status cannot change to {new_status} this way.",
                    status=run.status,
                )
            transition(run, action)
        if run.is_locked and set(changed) - FIELDS_EDITABLE_WHEN_LOCKED:
            raise RunLocked(
                f"Run {run.run_number} is {run.status}; only notes and quality can change "
                f"(not {', '.join(sorted(set(changed) - FIELDS_EDITABLE_WHEN_LOCKED))}).",
            )
        if "started_at" in changed and changed["started_at"] is None and new_status not in QUEUED_STATUSES:
            raise InvalidInput("A run's start cannot be removed.", code=ErrorCode.INVALID)
        if new_status in QUEUED_STATUSES and changed.get("started_at") is not None:
            raise InvalidInput("A planned run has no started_at: start/ sets it.", code=ErrorCode.INVALID)
        check_original_run(run, changed.get("original_run"))
        # No dates check: completed_at is set only by complete/fail, and a run with one is
        # locked, so its started_at cannot change here.
        differences = history.diff(run, {**changed, "status": new_status})
        for name, value in changed.items():
            setattr(run, name, value)
        run.status = new_status
        run.save()
        if differences:
            event = RunHistoryAction.CANCELLED if action == RunAction.CANCEL else RunHistoryAction.UPDATED
            history.record(run, event, user, **differences)
            history.run_event(run, f"run.{event.value}", user)
    return run


def _holds_inventory(run: ProductionRun) -> bool:
    if run.status in HOLDS_INVENTORY:
        return True
    if run.status not in MAY_HOLD_INVENTORY:
        return False
    return InventoryTransaction.objects.for_tenant(run.tenant_id).unreversed_consumption_of(run).exists()


def delete_run(*, run: ProductionRun, user: Actor) -> None:
    """Soft delete: the run leaves the API but keeps its row, its run number and its history."""
    with transaction.atomic():
        run = lock_run(run)
        if _holds_inventory(run):
            raise RunHasInventory(f"Run {run.run_number} has moved inventory; reopen it before deleting it.")
        deleted_at = timezone.now()
        differences = history.diff(run, {"deleted_at": deleted_at})
        run.deleted_at = deleted_at
        run.deleted_by = acting_user(user)
        run.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
        history.record(run, RunHistoryAction.DELETED, user, **differences)
        history.run_event(run, "run.deleted", user)


def restore_run(*, run: ProductionRun, user: Actor) -> ProductionRun:
    """Undo a soft delete (admin only); a run that is not deleted is left as it is."""
    with transaction.atomic():
        run = lock_run(run)
        if run.deleted_at is None:
            return run
        differences = history.diff(run, {"deleted_at": None})
        run.deleted_at = None
        run.deleted_by = None
        run.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
        history.record(run, RunHistoryAction.RESTORED, user, **differences)
        history.run_event(run, "run.restored", user)
    return run
