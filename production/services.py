"""Every state change of a production run, its items and its materials.

Each operation locks the run row first, so it sees the run's current status and
no two operations on one run interleave; inventory moves only through
`inventory.services.record_movements`.
"""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from core.errors import Conflict, ErrorCode, InvalidInput, NotFound
from core.locking import lock_rows
from inventory.models import InventoryTransaction, TransactionType
from inventory.services import InsufficientStock, Movement, record_movements
from production.models import (
    MAX_UNITS_PER_RUN,
    ProductionRun,
    ProductionRunItem,
    ProductionRunMaterial,
    RunNumberCounter,
    RunStatus,
)

EDITABLE_WHEN_LOCKED = frozenset({"notes", "quality_rating", "quality_notes"})
MATERIAL_ACTUAL_FIELDS = (
    "actual_model_g",
    "actual_flushed_g",
    "actual_tower_g",
    "spool_weight_before_g",
    "spool_weight_after_g",
)
REASSESSED_FIELDS = frozenset({"spool", "estimated_model_g", "estimated_flushed_g", "estimated_tower_g"})
HOURS = Decimal("0.01")
MAX_DURATION_HOURS = 999_999
MAX_DURATION = datetime.timedelta(hours=MAX_DURATION_HOURS)


class InvalidTransition(Conflict):
    default_code = ErrorCode.INVALID_TRANSITION


class RunLocked(Conflict):
    default_code = ErrorCode.RUN_LOCKED


class DuplicateSpool(Conflict):
    default_code = ErrorCode.DUPLICATE_SPOOL


class RunHasInventory(Conflict):
    default_code = ErrorCode.RUN_HAS_INVENTORY


# --- run numbers -------------------------------------------------------------------------


def next_run_number(*, tenant, now):
    """`{prefix}-{YYYYMMDD}-{NNN}` for the tenant's local day; the day's counter row is locked."""
    day = timezone.localtime(now, tenant.zone).date()
    counters = RunNumberCounter.objects.for_tenant(tenant).filter(day=day)
    counters.get_or_create(tenant=tenant, day=day)
    (counter,) = lock_rows(counters)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return f"{tenant.run_prefix}-{day:%Y%m%d}-{counter.last_number:03d}"


# --- checks shared by create, edits and completion ---------------------------------------


def lock_run(run):
    (locked,) = lock_rows(ProductionRun.all_objects.filter(pk=run.pk))
    return locked


def ensure_editable(run):
    if run.is_locked:
        raise RunLocked(f"Run {run.run_number} is {run.status}; its items and materials can no longer change.")


def check_outcomes(item):
    successful = item.successful_quantity or 0
    failed = item.failed_quantity or 0
    if successful + failed > item.quantity:
        raise InvalidInput(
            f"successful_quantity + failed_quantity ({successful + failed}) exceeds quantity ({item.quantity}).",
            code=ErrorCode.INVALID_QUANTITIES,
        )


def settle_outcomes(item):
    """At completion an item's counts are final: a missing count is what the other leaves over."""
    if item.successful_quantity is None and item.failed_quantity is None:
        item.successful_quantity, item.failed_quantity = item.quantity, 0
    elif item.successful_quantity is None:
        item.successful_quantity = max(item.quantity - item.failed_quantity, 0)
    elif item.failed_quantity is None:
        item.failed_quantity = max(item.quantity - item.successful_quantity, 0)


def check_total_units(items):
    total = sum(item.quantity for item in items)
    if total > MAX_UNITS_PER_RUN:
        raise InvalidInput(
            f"A run may print at most {MAX_UNITS_PER_RUN} units; these items add up to {total}.",
            code=ErrorCode.TOO_MANY_UNITS,
        )


def check_kinds(items, materials):
    """A product with a material kind may only be printed from spools of that kind."""
    for item in items:
        required = item.product.material_kind
        if not required:
            continue
        for material in materials:
            kind = material.spool.material.kind
            if kind != required:
                raise InvalidInput(
                    f"Product {item.product.sku} must be printed in {required}; spool {material.spool.code} is {kind}.",
                    code=ErrorCode.MATERIAL_KIND_MISMATCH,
                )


def check_assignable(material, *, other_spool_ids):
    spool = material.spool
    if not spool.is_active:
        raise InvalidInput(f"Spool {spool.code} is inactive.", code=ErrorCode.SPOOL_INACTIVE)
    if spool.pk in other_spool_ids:
        raise DuplicateSpool(f"Spool {spool.code} is already on this run.")
    if spool.current_weight_g < material.estimated_total_g:
        raise InsufficientStock(
            f"Spool {spool.code} holds {spool.current_weight_g} g; the run needs {material.estimated_total_g} g.",
            spool=spool.code,
            available_g=str(spool.current_weight_g),
            required_g=str(material.estimated_total_g),
        )


def check_weighings(material):
    before, after = material.spool_weight_before_g, material.spool_weight_after_g
    if before is not None and after is not None and after > before:
        raise InvalidInput(
            f"Spool {material.spool.code}: the weight after ({after} g) exceeds the weight before ({before} g).",
            code=ErrorCode.INVALID_WEIGHING,
        )


def run_items(run):
    return list(run.items.select_related("product"))


def run_materials(run):
    return list(run.materials.select_related("spool__material"))


# --- the run -------------------------------------------------------------------------------


def create_run(*, tenant, user, data):
    """A run with its items and materials, all in one transaction or nothing."""
    data = dict(data)
    items_data = data.pop("items", [])
    materials_data = data.pop("materials", [])
    data.pop("status", None)
    with transaction.atomic():
        run = ProductionRun(tenant=tenant, created_by=user, **data)
        items = [ProductionRunItem(tenant=tenant, run=run, **fields) for fields in items_data]
        materials = [ProductionRunMaterial(tenant=tenant, run=run, **fields) for fields in materials_data]
        for item in items:
            check_outcomes(item)
        check_total_units(items)
        seen = set()
        for material in materials:
            check_assignable(material, other_spool_ids=seen)
            check_weighings(material)
            material.cost_per_gram = material.spool.cost_per_gram
            seen.add(material.spool.pk)
        check_kinds(items, materials)
        run.run_number = next_run_number(tenant=tenant, now=timezone.now())
        run.save()
        ProductionRunItem.objects.bulk_create(items)
        ProductionRunMaterial.objects.bulk_create(materials)
    return run


def update_run(*, run, user, data):
    """PUT/PATCH of a run: locked runs take only notes and quality; status only to `cancelled`."""
    with transaction.atomic():
        run = lock_run(run)
        data = dict(data)
        new_status = data.pop("status", run.status)
        changed = {name: value for name, value in data.items() if getattr(run, name) != value}
        if new_status != run.status and not (run.status == RunStatus.IN_PROGRESS and new_status == RunStatus.CANCELLED):
            raise InvalidTransition(
                f"Run {run.run_number} is {run.status}; its status cannot change to {new_status} this way.",
                status=run.status,
            )
        if run.is_locked and set(changed) - EDITABLE_WHEN_LOCKED:
            raise RunLocked(
                f"Run {run.run_number} is {run.status}; only notes and quality can change "
                f"(not {', '.join(sorted(set(changed) - EDITABLE_WHEN_LOCKED))}).",
            )
        if changed.get("original_run") is not None and changed["original_run"].pk == run.pk:
            raise InvalidInput("A run cannot be a reprint of itself.", code=ErrorCode.INVALID_ORIGINAL_RUN)
        # No dates check: completed_at is set only by complete/fail, and a run with one is
        # locked, so its started_at cannot change here.
        for name, value in changed.items():
            setattr(run, name, value)
        run.status = new_status
        run.save()
    return run


def transition(run, *, allowed_from, verb):
    # Only admin reaches a soft-deleted run; moving its inventory would leave a deleted run that holds stock.
    if run.deleted_at is not None:
        raise Conflict(
            f"Run {run.run_number} is deleted; restore it before it can be {verb}.", code=ErrorCode.RUN_DELETED
        )
    if run.status not in allowed_from:
        raise InvalidTransition(
            f"Run {run.run_number} is {run.status} and cannot be {verb}.", status=run.status, **finished_by(run)
        )


def finished_by(run):
    """When and by whom a completed or failed run ended, so a retrying client can tell its own request.

    The user is the one whose usage/waste rows the ending wrote (None for a run that moved no stock).
    """
    if run.completed_at is None:
        return {}
    row = (
        InventoryTransaction.objects.for_tenant(run.tenant_id)
        .unreversed_consumption_of(run)
        .select_related("user")
        .first()
    )
    user = row.user if row is not None else None
    return {"completed_at": run.completed_at, "completed_by": user.get_username() if user is not None else None}


def apply_outcomes(items, outcomes):
    by_id = {item.pk: item for item in items}
    for outcome in outcomes:
        item = by_id.get(outcome["id"])
        if item is None:
            raise InvalidInput(f"Item {outcome['id']} is not an item of this run.", code=ErrorCode.UNKNOWN_ITEM)
        for name in ("successful_quantity", "failed_quantity"):
            if name in outcome:
                setattr(item, name, outcome[name])


def apply_actuals(materials, actuals):
    by_id = {material.pk: material for material in materials}
    for entry in actuals:
        material = by_id.get(entry["id"])
        if material is None:
            raise InvalidInput(
                f"Material {entry['id']} is not a material of this run.", code=ErrorCode.UNKNOWN_MATERIAL
            )
        for name in MATERIAL_ACTUAL_FIELDS:
            if name in entry:
                setattr(material, name, entry[name])
    for material in materials:
        check_weighings(material)


def end_moment(run, ended_at):
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


def duration_hours(run):
    seconds = Decimal((run.completed_at - run.started_at).total_seconds())
    return (seconds / 3600).quantize(HOURS)


def consume(*, run, materials, user, type, verb):
    movements = [
        Movement(
            spool_id=material.spool_id,
            type=type,
            change_g=-material.actual_total_g,
            description=f"{verb} run {run.run_number}",
            production_run_id=run.pk,
            production_run_material_id=material.pk,
        )
        for material in materials
    ]
    if movements:
        record_movements(movements=movements, user=user, occurred_at=run.completed_at)


def complete_run(*, run, user, data):
    """Record what came off the printer and deduct each material from its spool, exactly once."""
    with transaction.atomic():
        run = lock_run(run)
        transition(run, allowed_from={RunStatus.IN_PROGRESS}, verb="completed")
        items, materials = run_items(run), run_materials(run)
        apply_outcomes(items, data.get("items", []))
        apply_actuals(materials, data.get("materials", []))
        if not items:
            raise InvalidInput("A run needs at least one item to be completed.", code=ErrorCode.NO_ITEMS)
        for item in items:
            settle_outcomes(item)
            check_outcomes(item)
        if data.get("use_estimates"):
            for material in materials:
                if material.actual_total_g is None:
                    material.actual_model_g = material.estimated_model_g
                    material.actual_flushed_g = material.estimated_flushed_g
                    material.actual_tower_g = material.estimated_tower_g
        missing = [material.spool.code for material in materials if material.actual_total_g is None]
        if missing:
            raise InvalidInput(
                f"These materials have no actual usage: {', '.join(missing)}. "
                "Send their actual grams or weighings, or use_estimates.",
                code=ErrorCode.MISSING_ACTUALS,
                materials=missing,
            )
        run.completed_at = end_moment(run, data.get("completed_at"))
        consume(run=run, materials=materials, user=user, type=TransactionType.USAGE, verb="Completed")
        for name in EDITABLE_WHEN_LOCKED:
            if name in data:
                setattr(run, name, data[name])
        finish(run, items, materials, status=RunStatus.COMPLETED)
    return run


def fail_run(*, run, user, data):
    """The print failed: every item is lost and filament already used is written off as waste."""
    with transaction.atomic():
        run = lock_run(run)
        transition(run, allowed_from={RunStatus.IN_PROGRESS}, verb="failed")
        items, materials = run_items(run), run_materials(run)
        apply_actuals(materials, data.get("materials", []))
        for item in items:
            item.successful_quantity, item.failed_quantity = 0, item.quantity
        run.completed_at = end_moment(run, data.get("completed_at"))
        used = [material for material in materials if material.actual_total_g]
        consume(run=run, materials=used, user=user, type=TransactionType.WASTE, verb="Failed")
        run.failure_reason = data["failure_reason"]
        if "notes" in data:
            run.notes = data["notes"]
        finish(run, items, materials, status=RunStatus.FAILED)
    return run


def finish(run, items, materials, *, status):
    ProductionRunItem.objects.bulk_update(items, ["successful_quantity", "failed_quantity"])
    ProductionRunMaterial.objects.bulk_update(materials, MATERIAL_ACTUAL_FIELDS)
    run.status = status
    run.duration_hours = duration_hours(run)
    run.save()


def cancel_run(*, run, user):
    with transaction.atomic():
        run = lock_run(run)
        transition(run, allowed_from={RunStatus.IN_PROGRESS}, verb="cancelled")
        run.status = RunStatus.CANCELLED
        run.save(update_fields=["status", "updated_at"])
    return run


def reopen_run(*, run, user):
    """Back to in_progress: each usage/waste row of the run is reversed by one `reversal` row."""
    with transaction.atomic():
        run = lock_run(run)
        transition(run, allowed_from={RunStatus.COMPLETED, RunStatus.FAILED}, verb="reopened")
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
            )
            for row in consumed
        ]
        if movements:
            record_movements(movements=movements, user=user)
        run.status = RunStatus.IN_PROGRESS
        run.completed_at = None
        run.duration_hours = None
        run.failure_reason = ""
        run.save()
    return run


def has_moved_inventory(run):
    return InventoryTransaction.objects.for_tenant(run.tenant_id).unreversed_consumption_of(run).exists()


def delete_run(*, run, user):
    """Soft delete: the run leaves the API but keeps its row and its run number."""
    with transaction.atomic():
        run = lock_run(run)
        if run.status == RunStatus.COMPLETED or has_moved_inventory(run):
            raise RunHasInventory(f"Run {run.run_number} has moved inventory; reopen it before deleting it.")
        run.deleted_at = timezone.now()
        run.deleted_by = user
        run.save(update_fields=["deleted_at", "deleted_by", "updated_at"])


def restore_run(*, run, user):
    with transaction.atomic():
        run = lock_run(run)
        run.deleted_at = None
        run.deleted_by = None
        run.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
    return run


# --- items and materials -------------------------------------------------------------------


def reload_child(row, queryset):
    """`row` as stored now, read under its run's lock.

    The caller found `row` before taking that lock: editing that copy would write back
    fields another request changed meanwhile, or re-insert a row it removed.
    """
    fresh = queryset.filter(pk=row.pk).first()
    if fresh is None:
        raise NotFound(f"This {row._meta.verbose_name} was removed by another request.")
    return fresh


def add_item(*, run, data):
    with transaction.atomic():
        run = lock_run(run)
        ensure_editable(run)
        item = ProductionRunItem(tenant_id=run.tenant_id, run=run, **data)
        save_item(run, item)
    return item


def update_item(*, item, data):
    with transaction.atomic():
        run = lock_run(item.run)
        ensure_editable(run)
        item = reload_child(item, ProductionRunItem.objects.select_related("product"))
        for name, value in data.items():
            setattr(item, name, value)
        save_item(run, item)
    return item


def save_item(run, item):
    check_outcomes(item)
    others = [other for other in run_items(run) if other.pk != item.pk]
    check_total_units([*others, item])
    check_kinds([item], run_materials(run))
    item.save()


def remove_item(*, item):
    with transaction.atomic():
        ensure_editable(lock_run(item.run))
        item.delete()


def add_material(*, run, data):
    with transaction.atomic():
        run = lock_run(run)
        ensure_editable(run)
        material = ProductionRunMaterial(tenant_id=run.tenant_id, run=run, **data)
        save_material(run, material, reassess=True)
    return material


def update_material(*, material, data):
    with transaction.atomic():
        run = lock_run(material.run)
        ensure_editable(run)
        material = reload_child(material, ProductionRunMaterial.objects.select_related("spool__material"))
        # Stock and spool rules apply to a new assignment, not to recording actuals later.
        reassess = any(getattr(material, name) != value for name, value in data.items() if name in REASSESSED_FIELDS)
        for name, value in data.items():
            setattr(material, name, value)
        save_material(run, material, reassess=reassess)
    return material


def save_material(run, material, *, reassess):
    if reassess:
        others = [other for other in run_materials(run) if other.pk != material.pk]
        check_assignable(material, other_spool_ids={other.spool_id for other in others})
        check_kinds(run_items(run), [material])
        material.cost_per_gram = material.spool.cost_per_gram
    check_weighings(material)
    material.save()


def remove_material(*, material):
    with transaction.atomic():
        ensure_editable(lock_run(material.run))
        material.delete()
