"""Every state change of a production run, its items and its materials.

Each operation takes its input as a frozen dataclass (below), refuses references to
another tenant's records before it writes anything, locks the run row first (so it sees
the run's current status and no two operations on one run interleave), asks
`production.status_codes` whether the run's status allows it, and records who did what
in the run's history (`ProductionRunEvent`) in the same transaction. Inventory moves only
through `inventory.services.record_movements`.

PATCH-style inputs (`RunChanges`, `ItemChanges`, `MaterialChanges`, and the optional fields of
`Completion`, `Failure`, `ItemOutcome`, `MaterialActuals`) default every field to `UNSET`: a field
left `UNSET` was not sent and keeps its value, while `None` was sent as null and is written.
"""

import datetime
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.db import models, transaction
from django.utils import timezone

from core.errors import Conflict, ErrorCode, InvalidInput, NotFound
from core.locking import lock_rows
from events.services import NewEvent, create_recorded, delete_recorded, record_events, update_recorded
from inventory.models import ZERO, InventoryTransaction, Material, Spool, TransactionType
from inventory.services import InsufficientStock, Movement, lock_spools, record_movements
from production.models import (
    MAX_UNITS_PER_RUN,
    FailureReason,
    Printer,
    Product,
    ProductionRun,
    ProductionRunEvent,
    ProductionRunItem,
    ProductionRunMaterial,
    RunEventAction,
    RunNumberCounter,
    RunPriority,
)
from production.serializers import ProductionRunSerializer, ProductSerializer
from production.status_codes import (
    CREATABLE_STATUSES,
    FIELDS_EDITABLE_WHEN_LOCKED,
    HOLDS_INVENTORY,
    INITIAL_STATUS,
    MATERIAL_ONLY_LINE_STATUSES,
    MAY_HOLD_INVENTORY,
    QUEUED_STATUSES,
    InvalidTransition,
    RunAction,
    action_setting,
    ensure_transition,
)
from tenants.contracts import UNSET, Unset, ensure_same_tenant, sent
from tenants.models import Tenant

__all__ = [
    "Completion",
    "DuplicateSpool",
    "Failure",
    "InvalidTransition",
    "ItemChanges",
    "ItemDraft",
    "ItemOutcome",
    "MaterialActuals",
    "MaterialChanges",
    "MaterialDraft",
    "ProductChanges",
    "ProductFields",
    "RunChanges",
    "RunDraft",
    "RunHasInventory",
    "RunLocked",
    "add_item",
    "add_material",
    "cancel_run",
    "complete_run",
    "create_product",
    "create_run",
    "delete_product",
    "delete_run",
    "fail_run",
    "next_run_number",
    "remove_item",
    "remove_material",
    "reopen_run",
    "restore_run",
    "update_item",
    "update_material",
    "update_product",
    "update_run",
]

MATERIAL_ACTUAL_FIELDS = (
    "actual_model_g",
    "actual_flushed_g",
    "actual_tower_g",
    "spool_weight_before_g",
    "spool_weight_after_g",
)
REASSESSED_FIELDS = frozenset({"spool", "material", "estimated_model_g", "estimated_flushed_g", "estimated_tower_g"})
HOURS = Decimal("0.01")
MAX_DURATION_HOURS = 999_999
MAX_DURATION = datetime.timedelta(hours=MAX_DURATION_HOURS)


class RunLocked(Conflict):
    default_code = ErrorCode.RUN_LOCKED


class DuplicateSpool(Conflict):
    default_code = ErrorCode.DUPLICATE_SPOOL


class RunHasInventory(Conflict):
    default_code = ErrorCode.RUN_HAS_INVENTORY


# --- inputs --------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ItemDraft:
    product: Product
    quantity: int
    successful_quantity: int | None = None
    failed_quantity: int | None = None
    bed_position: str = ""
    notes: str = ""


@dataclass(frozen=True, kw_only=True)
class MaterialDraft:
    """A filament line: its `spool`, or (on a planned run) only a catalogue `material` to take a spool of at start."""

    estimated_model_g: Decimal
    spool: Spool | None = None
    material: Material | None = None
    estimated_flushed_g: Decimal = ZERO
    estimated_tower_g: Decimal = ZERO
    spool_weight_before_g: Decimal | None = None
    spool_weight_after_g: Decimal | None = None
    actual_model_g: Decimal | None = None
    actual_flushed_g: Decimal | None = None
    actual_tower_g: Decimal | None = None


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
    def from_data(cls, data) -> "RunDraft":
        """From a mapping whose `items`/`materials` are mappings (a serializer's validated data)."""
        data = dict(data)
        items = tuple(ItemDraft(**item) for item in data.pop("items", ()))
        materials = tuple(MaterialDraft(**material) for material in data.pop("materials", ()))
        return cls(**data, items=items, materials=materials)


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


@dataclass(frozen=True, kw_only=True)
class ItemChanges:
    """A PUT/PATCH of a run item: only the fields not `UNSET` change."""

    product: Product | Unset = UNSET
    quantity: int | Unset = UNSET
    successful_quantity: int | Unset | None = UNSET
    failed_quantity: int | Unset | None = UNSET
    bed_position: str | Unset = UNSET
    notes: str | Unset = UNSET


@dataclass(frozen=True, kw_only=True)
class MaterialChanges:
    """A PUT/PATCH of a run material: only the fields not `UNSET` change."""

    spool: Spool | Unset | None = UNSET
    material: Material | Unset | None = UNSET
    estimated_model_g: Decimal | Unset = UNSET
    estimated_flushed_g: Decimal | Unset = UNSET
    estimated_tower_g: Decimal | Unset = UNSET
    spool_weight_before_g: Decimal | Unset | None = UNSET
    spool_weight_after_g: Decimal | Unset | None = UNSET
    actual_model_g: Decimal | Unset | None = UNSET
    actual_flushed_g: Decimal | Unset | None = UNSET
    actual_tower_g: Decimal | Unset | None = UNSET


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


def _outcomes_and_actuals(data):
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
    def from_data(cls, data) -> "Completion":
        data = dict(data)
        items, materials = _outcomes_and_actuals(data)
        return cls(**data, items=items, materials=materials)


@dataclass(frozen=True, kw_only=True)
class Failure:
    """Failing a run: why, when (None means now), and the filament already used."""

    failure_reason: str
    completed_at: datetime.datetime | None = None
    notes: str | Unset = UNSET
    materials: tuple[MaterialActuals, ...] = ()

    @classmethod
    def from_data(cls, data) -> "Failure":
        data = dict(data)
        _, materials = _outcomes_and_actuals(data)
        return cls(**data, materials=materials)


# --- history -------------------------------------------------------------------------------


def _plain(value):
    """A value as the history stores it: a referenced record by its id."""
    if isinstance(value, models.Model):
        return value.pk
    return value


def _record(run, action, user, **changes) -> ProductionRunEvent:
    """One history row for `run`: who (`user`, None for the system), now, and what changed."""
    if user is not None and not user.is_authenticated:
        user = None
    return ProductionRunEvent.objects.create(
        tenant_id=run.tenant_id, run=run, action=action, user=user, changes=changes
    )


def _run_payload(run, items=None, materials=None):
    """The run as the API shows it (ProductionRunSerializer): an event's payload.

    `items`/`materials` are the run's rows if the caller has them loaded (with their products,
    spools and materials), else they are read here (two queries). They are the run's
    prefetched children while it is serialized, so the totals come from them. The printer and
    the creator come from the run as `_lock_run` read them.
    """
    if items is None:
        items = _run_items(run)
    if materials is None:
        materials = _run_materials(run)
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


def _run_event(run, event_type, user, *, items=None, materials=None, events=()):
    """Record `event_type` for `run` (after any spool `events` of the same write), in one INSERT."""
    payload = _run_payload(run, items, materials)
    record_events(tenant=run.tenant_id, actor=user, events=[*events, NewEvent(event_type, run.pk, payload)])
    # The run as the API shows it right after this write: the view answers with it instead of reading it again.
    run.api_representation = payload


def _diff(record, new_values) -> dict[str, list]:
    """`{field: [old, new]}` for each of `new_values` that differs from `record`'s."""
    return {
        name: [_plain(getattr(record, name)), _plain(value)]
        for name, value in new_values.items()
        if getattr(record, name) != value
    }


def _created(record, names) -> dict[str, list]:
    return {name: [None, _plain(getattr(record, name))] for name in names}


def _removed(record, names) -> dict[str, list]:
    return {name: [_plain(getattr(record, name)), None] for name in names}


def _line_history(changes):
    """A material line's changes as its history stores them: `material` there is the line's id, so the
    line's catalogue material is `catalogue_material`."""
    return {("catalogue_material" if name == "material" else name): value for name, value in changes.items()}


ITEM_FIELDS = tuple(field.name for field in ItemChanges.__dataclass_fields__.values())
MATERIAL_FIELDS = tuple(field.name for field in MaterialChanges.__dataclass_fields__.values())


# --- run numbers -------------------------------------------------------------------------


def next_run_number(*, tenant: Tenant, now: datetime.datetime) -> str:
    """`{prefix}-{YYYYMMDD}-{NNN}` for the tenant's local day; the day's counter row is locked."""
    day = timezone.localtime(now, tenant.zone).date()
    counters = RunNumberCounter.objects.for_tenant(tenant).filter(day=day)
    counters.get_or_create(tenant=tenant, day=day)
    (counter,) = lock_rows(counters)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return f"{tenant.run_prefix}-{day:%Y%m%d}-{counter.last_number:03d}"


# --- checks shared by create, edits and completion ---------------------------------------


def _lock_run(run):
    """The run, locked; its printer and creator read in the same statement (for the event's payload)."""
    runs = ProductionRun.all_objects.filter(pk=run.pk).select_related("printer", "created_by")
    (locked,) = lock_rows(runs, of=("self",))
    return locked


def _ensure_editable(run):
    if run.is_locked:
        raise RunLocked(f"Run {run.run_number} is {run.status}; its items and materials can no longer change.")


def _check_outcomes(item):
    successful = item.successful_quantity or 0
    failed = item.failed_quantity or 0
    if successful + failed > item.quantity:
        raise InvalidInput(
            f"successful_quantity + failed_quantity ({successful + failed}) exceeds quantity ({item.quantity}).",
            code=ErrorCode.INVALID_QUANTITIES,
        )


def _settle_outcomes(item):
    """At completion an item's counts are final: a missing count is what the other leaves over."""
    if item.successful_quantity is None and item.failed_quantity is None:
        item.successful_quantity, item.failed_quantity = item.quantity, 0
    elif item.successful_quantity is None:
        item.successful_quantity = max(item.quantity - item.failed_quantity, 0)
    elif item.failed_quantity is None:
        item.failed_quantity = max(item.quantity - item.successful_quantity, 0)


def _check_total_units(items):
    total = sum(item.quantity for item in items)
    if total > MAX_UNITS_PER_RUN:
        raise InvalidInput(
            f"A run may print at most {MAX_UNITS_PER_RUN} units; these items add up to {total}.",
            code=ErrorCode.TOO_MANY_UNITS,
        )


def _check_kinds(items, materials):
    """A product with a material kind may only be printed from spools of that kind."""
    for item in items:
        required = item.product.material_kind
        if not required:
            continue
        for material in materials:
            kind = material.line_material.kind
            if kind != required:
                raise InvalidInput(
                    f"Product {item.product.sku} must be printed in {required}; {material.label} is {kind}.",
                    code=ErrorCode.MATERIAL_KIND_MISMATCH,
                )


def _check_line(material, run_status):
    """A line names a spool, or (on a planned run) only a material; a spool of the line's material."""
    if material.spool_id is None:
        if material.material_id is None:
            raise InvalidInput("A material line needs a spool or a catalogue material.", code=ErrorCode.INVALID)
        if run_status not in MATERIAL_ONLY_LINE_STATUSES:
            raise InvalidInput(
                f"Only a planned run's line may name a material without a spool; this run is {run_status}.",
                code=ErrorCode.INVALID,
            )
        return
    if material.material_id is not None and material.spool.material_id != material.material_id:
        raise InvalidInput(
            f"Spool {material.spool.code} is {material.spool.material.name}, not the line's material "
            f"{material.material.name}.",
            code=ErrorCode.INVALID,
        )


def _check_assignable(material, *, other_spool_ids, run_status=INITIAL_STATUS):
    """A line's spool may be used: active, not twice on the run, and (unless the run is only planned,
    which may over-book: the queue shows the shortage) holding the line's estimate."""
    _check_line(material, run_status)
    spool = material.spool
    if spool is None:
        return
    if not spool.is_active:
        raise InvalidInput(f"Spool {spool.code} is inactive.", code=ErrorCode.SPOOL_INACTIVE)
    if spool.pk in other_spool_ids:
        raise DuplicateSpool(f"Spool {spool.code} is already on this run.")
    if run_status not in QUEUED_STATUSES and spool.current_weight_g < material.estimated_total_g:
        raise InsufficientStock(
            f"Spool {spool.code} holds {spool.current_weight_g} g; the run needs {material.estimated_total_g} g.",
            spool=spool.code,
            available_g=str(spool.current_weight_g),
            required_g=str(material.estimated_total_g),
        )


def _check_weighings(material):
    before, after = material.spool_weight_before_g, material.spool_weight_after_g
    if before is not None and after is not None and after > before:
        raise InvalidInput(
            f"{material.label}: the weight after ({after} g) exceeds the weight before ({before} g).",
            code=ErrorCode.INVALID_WEIGHING,
        )


def _check_original_run(run, original_run):
    if original_run is not None and original_run.pk == run.pk:
        raise InvalidInput("A run cannot be a reprint of itself.", code=ErrorCode.INVALID_ORIGINAL_RUN)


def _run_items(run):
    return list(run.items.select_related("product"))


def _run_materials(run):
    return list(run.materials.select_related("spool__material", "material"))


# --- the run -------------------------------------------------------------------------------


RUN_FIELDS = tuple(
    name for name in RunDraft.__dataclass_fields__ if name not in {"items", "materials", "status", "started_at"}
)


def _start_moment(draft):
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


def create_run(*, tenant: Tenant, user, draft: RunDraft) -> ProductionRun:
    """A run with its items and materials, all in one transaction or nothing."""
    ensure_same_tenant(
        tenant,
        draft.printer,
        draft.original_run,
        *(item.product for item in draft.items),
        *(material.spool for material in draft.materials),
        *(material.material for material in draft.materials),
    )
    started_at = _start_moment(draft)
    fields = {name: getattr(draft, name) for name in RUN_FIELDS}
    with transaction.atomic():
        run = ProductionRun(tenant=tenant, created_by=user, status=draft.status, started_at=started_at, **fields)
        items = [ProductionRunItem(tenant=tenant, run=run, **vars(item)) for item in draft.items]
        materials = [ProductionRunMaterial(tenant=tenant, run=run, **vars(material)) for material in draft.materials]
        for item in items:
            _check_outcomes(item)
        _check_total_units(items)
        seen = set()
        for material in materials:
            _check_assignable(material, other_spool_ids=seen, run_status=run.status)
            _check_weighings(material)
            if material.spool is not None:
                material.cost_per_gram = material.spool.cost_per_gram
                seen.add(material.spool.pk)
        _check_kinds(items, materials)
        locked = _lock_named_spools(seen)
        for material in materials:  # the event's payload shows each spool's material: read with the lock
            if material.spool is not None and not Spool._meta.get_field("material").is_cached(material.spool):
                material.spool.material = locked[material.spool_id].material
        run.run_number = next_run_number(tenant=tenant, now=timezone.now())
        run.save()
        ProductionRunItem.objects.bulk_create(items)
        ProductionRunMaterial.objects.bulk_create(materials)
        _record(
            run,
            RunEventAction.CREATED,
            user,
            **_created(run, ("run_number", "status", "started_at")),
            **{name: [None, _plain(value)] for name, value in fields.items() if value not in (None, "")},
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
        _run_event(run, event_type, user, items=items, materials=materials)
    return run


def update_run(*, run: ProductionRun, user, changes: RunChanges) -> ProductionRun:
    """PUT/PATCH of a run: locked runs take only notes and quality; `status` only as the table allows."""
    fields = sent(changes)
    ensure_same_tenant(run.tenant_id, fields.get("printer"), fields.get("original_run"))
    with transaction.atomic():
        run = _lock_run(run)
        new_status = fields.pop("status", run.status)
        changed = {name: value for name, value in fields.items() if getattr(run, name) != value}
        action = None
        if new_status != run.status:
            action = action_setting(new_status)
            if action is None:
                raise InvalidTransition(
                    f"Run {run.run_number} is {run.status}; its status cannot change to {new_status} this way.",
                    status=run.status,
                )
            _transition(run, action)
        if run.is_locked and set(changed) - FIELDS_EDITABLE_WHEN_LOCKED:
            raise RunLocked(
                f"Run {run.run_number} is {run.status}; only notes and quality can change "
                f"(not {', '.join(sorted(set(changed) - FIELDS_EDITABLE_WHEN_LOCKED))}).",
            )
        if "started_at" in changed and changed["started_at"] is None and new_status not in QUEUED_STATUSES:
            raise InvalidInput("A run's start cannot be removed.", code=ErrorCode.INVALID)
        if new_status in QUEUED_STATUSES and changed.get("started_at") is not None:
            raise InvalidInput("A planned run has no started_at: start/ sets it.", code=ErrorCode.INVALID)
        _check_original_run(run, changed.get("original_run"))
        # No dates check: completed_at is set only by complete/fail, and a run with one is
        # locked, so its started_at cannot change here.
        history = _diff(run, {**changed, "status": new_status})
        for name, value in changed.items():
            setattr(run, name, value)
        run.status = new_status
        run.save()
        if history:
            event = RunEventAction.CANCELLED if action == RunAction.CANCEL else RunEventAction.UPDATED
            _record(run, event, user, **history)
            _run_event(run, f"run.{event.value}", user)
    return run


def _transition(run: ProductionRun, action: RunAction) -> str:
    """`ensure_transition`; a refusal of a finished run also says when and by whom it ended,
    so a client retrying its own request can tell "mine" from "someone else's"."""
    try:
        return ensure_transition(run, action)
    except InvalidTransition as refused:
        refused.extra.update(_ended_by(run))
        raise


def _ended_by(run: ProductionRun) -> dict:
    if run.completed_at is None:
        return {}
    ending = (
        run.events.filter(action__in=[RunEventAction.COMPLETED, RunEventAction.FAILED])
        .select_related("user")
        .order_by("-occurred_at")
        .first()
    )
    user = ending.user if ending is not None else None
    return {"completed_at": run.completed_at, "completed_by": user.get_username() if user is not None else None}


def _apply_outcomes(items, outcomes):
    by_id = {item.pk: item for item in items}
    for outcome in outcomes:
        item = by_id.get(outcome.id)
        if item is None:
            raise InvalidInput(f"Item {outcome.id} is not an item of this run.", code=ErrorCode.UNKNOWN_ITEM)
        for name, value in sent(outcome).items():
            if name != "id":
                setattr(item, name, value)


def _apply_actuals(materials, actuals):
    by_id = {material.pk: material for material in materials}
    for entry in actuals:
        material = by_id.get(entry.id)
        if material is None:
            raise InvalidInput(f"Material {entry.id} is not a material of this run.", code=ErrorCode.UNKNOWN_MATERIAL)
        for name, value in sent(entry).items():
            if name != "id":
                setattr(material, name, value)
    for material in materials:
        _check_weighings(material)


def _end_moment(run, ended_at):
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


def _duration_hours(run):
    seconds = Decimal((run.completed_at - run.started_at).total_seconds())
    return (seconds / 3600).quantize(HOURS)


def _reported_grams(materials) -> dict:
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


def _reported_as_actuals(materials, reported):
    """A material without actuals whose printer reported use: the reports are its actual use."""
    for material in materials:
        grams = reported.get(material.pk, ZERO)
        if material.actual_total_g is None and grams > ZERO:
            material.actual_model_g = grams


def _consume(*, run, materials, user, type, verb, reported, events):
    """One row per material for its actual use less what its printer already reported (none when equal)."""
    movements = [
        Movement(
            spool_id=material.spool_id,
            type=type,
            change_g=reported.get(material.pk, ZERO) - material.actual_total_g,
            description=f"{verb} run {run.run_number}",
            production_run_id=run.pk,
            production_run_material_id=material.pk,
        )
        for material in materials
        if material.actual_total_g != reported.get(material.pk, ZERO)
    ]
    if movements:
        record_movements(
            movements=movements, user=user, occurred_at=run.completed_at, event_type="spool.updated", events=events
        )


def _used_grams(materials):
    return {str(material.pk): material.actual_total_g for material in materials}


def complete_run(*, run: ProductionRun, user, completion: Completion) -> ProductionRun:
    """Record what came off the printer and deduct each material from its spool, exactly once."""
    with transaction.atomic():
        run = _lock_run(run)
        target = _transition(run, RunAction.COMPLETE)
        items, materials = _run_items(run), _run_materials(run)
        _apply_outcomes(items, completion.items)
        _apply_actuals(materials, completion.materials)
        if not items:
            raise InvalidInput("A run needs at least one item to be completed.", code=ErrorCode.NO_ITEMS)
        for item in items:
            _settle_outcomes(item)
            _check_outcomes(item)
        reported = _reported_grams(materials)
        _reported_as_actuals(materials, reported)
        if completion.use_estimates:
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
        run.completed_at = _end_moment(run, completion.completed_at)
        spool_events = []
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
        history = _diff(run, {"status": target, **notes})
        for name, value in notes.items():
            setattr(run, name, value)
        _finish(run, items, materials, status=target)
        _record(
            run,
            RunEventAction.COMPLETED,
            user,
            **history,
            completed_at=[None, run.completed_at],
            used_g=_used_grams(materials),
            outcomes={str(item.pk): [item.successful_quantity, item.failed_quantity] for item in items},
        )
        _run_event(run, "run.completed", user, items=items, materials=materials, events=spool_events)
    return run


def fail_run(*, run: ProductionRun, user, failure: Failure) -> ProductionRun:
    """The print failed: every item is lost and filament already used is written off as waste."""
    if failure.failure_reason not in FailureReason.values:
        raise InvalidInput(f"failure_reason must be one of {', '.join(FailureReason.values)}.", code=ErrorCode.INVALID)
    with transaction.atomic():
        run = _lock_run(run)
        target = _transition(run, RunAction.FAIL)
        items, materials = _run_items(run), _run_materials(run)
        _apply_actuals(materials, failure.materials)
        reported = _reported_grams(materials)
        _reported_as_actuals(materials, reported)
        for item in items:
            item.successful_quantity, item.failed_quantity = 0, item.quantity
        run.completed_at = _end_moment(run, failure.completed_at)
        used = [material for material in materials if material.actual_total_g]
        spool_events = []
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
        if failure.notes is not UNSET:
            new_values["notes"] = failure.notes
        history = _diff(run, new_values)
        run.failure_reason = failure.failure_reason
        if failure.notes is not UNSET:
            run.notes = failure.notes
        _finish(run, items, materials, status=target)
        _record(
            run,
            RunEventAction.FAILED,
            user,
            **history,
            completed_at=[None, run.completed_at],
            wasted_g=_used_grams(used),
        )
        _run_event(run, "run.failed", user, items=items, materials=materials, events=spool_events)
    return run


def _finish(run, items, materials, *, status):
    ProductionRunItem.objects.bulk_update(items, ["successful_quantity", "failed_quantity"])
    ProductionRunMaterial.objects.bulk_update(materials, MATERIAL_ACTUAL_FIELDS)
    run.status = status
    run.duration_hours = _duration_hours(run)
    run.save()


def cancel_run(*, run: ProductionRun, user) -> ProductionRun:
    """An in-progress run is abandoned; no inventory moves."""
    with transaction.atomic():
        run = _lock_run(run)
        target = _transition(run, RunAction.CANCEL)
        history = _diff(run, {"status": target})
        run.status = target
        run.save(update_fields=["status", "updated_at"])
        _record(run, RunEventAction.CANCELLED, user, **history)
        _run_event(run, "run.cancelled", user)
    return run


def reopen_run(*, run: ProductionRun, user) -> ProductionRun:
    """Back to in_progress: each usage/waste row of the run is reversed by one `reversal` row."""
    with transaction.atomic():
        run = _lock_run(run)
        target = _transition(run, RunAction.REOPEN)
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
        spool_events = []
        if movements:
            record_movements(movements=movements, user=user, event_type="spool.updated", events=spool_events)
        history = _diff(run, {"status": target, "completed_at": None, "duration_hours": None, "failure_reason": ""})
        run.status = target
        run.completed_at = None
        run.duration_hours = None
        run.failure_reason = ""
        run.save()
        _record(
            run,
            RunEventAction.REOPENED,
            user,
            **history,
            returned_g={str(movement.production_run_material_id): movement.change_g for movement in movements},
        )
        _run_event(run, "run.reopened", user, events=spool_events)
    return run


def _holds_inventory(run):
    if run.status in HOLDS_INVENTORY:
        return True
    if run.status not in MAY_HOLD_INVENTORY:
        return False
    return InventoryTransaction.objects.for_tenant(run.tenant_id).unreversed_consumption_of(run).exists()


def delete_run(*, run: ProductionRun, user) -> None:
    """Soft delete: the run leaves the API but keeps its row, its run number and its history."""
    with transaction.atomic():
        run = _lock_run(run)
        if _holds_inventory(run):
            raise RunHasInventory(f"Run {run.run_number} has moved inventory; reopen it before deleting it.")
        deleted_at = timezone.now()
        history = _diff(run, {"deleted_at": deleted_at})
        run.deleted_at = deleted_at
        run.deleted_by = user
        run.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
        _record(run, RunEventAction.DELETED, user, **history)
        _run_event(run, "run.deleted", user)


def restore_run(*, run: ProductionRun, user) -> ProductionRun:
    """Undo a soft delete (admin only); a run that is not deleted is left as it is."""
    with transaction.atomic():
        run = _lock_run(run)
        if run.deleted_at is None:
            return run
        history = _diff(run, {"deleted_at": None})
        run.deleted_at = None
        run.deleted_by = None
        run.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
        _record(run, RunEventAction.RESTORED, user, **history)
        _run_event(run, "run.restored", user)
    return run


# --- items and materials -------------------------------------------------------------------


def _reload_child(row, queryset):
    """`row` as stored now, read under its run's lock.

    The caller found `row` before taking that lock: editing that copy would write back
    fields another request changed meanwhile, or re-insert a row it removed.
    """
    fresh = queryset.filter(pk=row.pk).first()
    if fresh is None:
        raise NotFound(f"This {row._meta.verbose_name} was removed by another request.")
    return fresh


def add_item(*, run: ProductionRun, user, draft: ItemDraft) -> ProductionRunItem:
    ensure_same_tenant(run.tenant_id, draft.product)
    with transaction.atomic():
        run = _lock_run(run)
        _ensure_editable(run)
        item = ProductionRunItem(tenant_id=run.tenant_id, run=run, **vars(draft))
        _save_item(run, item)
        _record(run, RunEventAction.ITEM_ADDED, user, item=item.pk, **_created(item, ITEM_FIELDS))
        _run_event(run, "run.updated", user)
    return item


def update_item(*, item: ProductionRunItem, user, changes: ItemChanges) -> ProductionRunItem:
    fields = sent(changes)
    ensure_same_tenant(item.tenant_id, fields.get("product"))
    with transaction.atomic():
        run = _lock_run(item.run)
        _ensure_editable(run)
        item = _reload_child(item, ProductionRunItem.objects.select_related("product"))
        history = _diff(item, fields)
        for name, value in fields.items():
            setattr(item, name, value)
        _save_item(run, item)
        if history:
            _record(run, RunEventAction.ITEM_CHANGED, user, item=item.pk, **history)
            _run_event(run, "run.updated", user)
    return item


def _save_item(run, item):
    _check_outcomes(item)
    others = [other for other in _run_items(run) if other.pk != item.pk]
    _check_total_units([*others, item])
    _check_kinds([item], _run_materials(run))
    item.save()


def remove_item(*, item: ProductionRunItem, user) -> None:
    with transaction.atomic():
        run = _lock_run(item.run)
        _ensure_editable(run)
        _record(run, RunEventAction.ITEM_REMOVED, user, item=item.pk, **_removed(item, ITEM_FIELDS))
        item.delete()
        _run_event(run, "run.updated", user)


def add_material(*, run: ProductionRun, user, draft: MaterialDraft) -> ProductionRunMaterial:
    ensure_same_tenant(run.tenant_id, draft.spool, draft.material)
    with transaction.atomic():
        run = _lock_run(run)
        _ensure_editable(run)
        material = ProductionRunMaterial(tenant_id=run.tenant_id, run=run, **vars(draft))
        _save_material(run, material, reassess=True)
        _record(
            run,
            RunEventAction.MATERIAL_ADDED,
            user,
            material=material.pk,
            **_line_history(_created(material, MATERIAL_FIELDS)),
        )
        _run_event(run, "run.updated", user)
    return material


def update_material(*, material: ProductionRunMaterial, user, changes: MaterialChanges) -> ProductionRunMaterial:
    fields = sent(changes)
    ensure_same_tenant(material.tenant_id, fields.get("spool"), fields.get("material"))
    with transaction.atomic():
        run = _lock_run(material.run)
        _ensure_editable(run)
        material = _reload_child(material, ProductionRunMaterial.objects.select_related("spool__material", "material"))
        history = _diff(material, fields)
        # Stock and spool rules apply to a new assignment, not to recording actuals later.
        reassess = bool(set(history) & REASSESSED_FIELDS)
        for name, value in fields.items():
            setattr(material, name, value)
        _save_material(run, material, reassess=reassess)
        if history:
            _record(run, RunEventAction.MATERIAL_CHANGED, user, material=material.pk, **_line_history(history))
            _run_event(run, "run.updated", user)
    return material


def _lock_named_spools(spool_ids) -> dict:
    """Lock the spools a body assigns until this transaction ends; return them (with their materials) by id.

    A spool deleted meanwhile is then seen here (400 `does_not_exist`, as if the body had
    named it after the delete), not as a foreign-key violation at commit; and a delete that
    comes later waits, then finds the spool in use (409 `protected`).
    """
    if not spool_ids:
        return {}
    try:
        return lock_spools(set(spool_ids), with_material=True)
    except NotFound as gone:
        raise InvalidInput(
            "A spool this body names was deleted by another request; it does not exist any more.",
            code=ErrorCode.DOES_NOT_EXIST,
        ) from gone


def _save_material(run, material, *, reassess):
    if reassess:
        if material.spool_id is not None:
            _lock_named_spools({material.spool_id})
        others = [other for other in _run_materials(run) if other.pk != material.pk]
        _check_assignable(
            material, other_spool_ids={other.spool_id for other in others if other.spool_id}, run_status=run.status
        )
        _check_kinds(_run_items(run), [material])
        material.cost_per_gram = material.spool.cost_per_gram if material.spool_id is not None else None
    _check_weighings(material)
    material.save()


def remove_material(*, material: ProductionRunMaterial, user) -> None:
    with transaction.atomic():
        run = _lock_run(material.run)
        _ensure_editable(run)
        _record(
            run,
            RunEventAction.MATERIAL_REMOVED,
            user,
            material=material.pk,
            **_line_history(_removed(material, MATERIAL_FIELDS)),
        )
        material.delete()
        _run_event(run, "run.updated", user)


# --- products ------------------------------------------------------------------------------
# One row and its event: the caller's transaction (the API write's) is joined without a savepoint;
# called alone, they get a transaction of their own.


@dataclass(frozen=True, kw_only=True)
class ProductFields:
    """A new product: its writable fields (the model's defaults where optional)."""

    sku: str
    name: str
    description: str = ""
    unit_weight_g: Decimal | None = None
    material_kind: str = ""
    is_active: bool = True


@dataclass(frozen=True, kw_only=True)
class ProductChanges:
    """A PUT/PATCH of a product: a field left `UNSET` was not sent and keeps its value."""

    sku: str | Unset = UNSET
    name: str | Unset = UNSET
    description: str | Unset = UNSET
    unit_weight_g: Decimal | Unset | None = UNSET
    material_kind: str | Unset = UNSET
    is_active: bool | Unset = UNSET


def _represent_product(product):
    return ProductSerializer(product).data


def create_product(*, tenant: Tenant, user, fields: ProductFields) -> Product:
    """A new product; event `product.created`."""
    product = Product(tenant=tenant, **vars(fields))
    return create_recorded(product, user=user, event_type="product.created", represent=_represent_product)


def update_product(*, product: Product, user, changes: ProductChanges) -> Product:
    """Change a product's fields; event `product.updated`."""
    return update_recorded(
        product, user=user, event_type="product.updated", represent=_represent_product, fields=sent(changes)
    )


def delete_product(*, product: Product, user) -> None:
    """Delete a product no run uses (else Django's ProtectedError: a 409 `protected`); event `product.deleted`."""
    delete_recorded(product, user=user, event_type="product.deleted", represent=_represent_product)
