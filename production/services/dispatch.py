"""Planned runs on the floor (SPEC 8.1-8.3): starting one, dispatching the queue to a printer.

Locks are taken in one order everywhere: the printer, then the run, then the spools (in id
order, as completion takes them). So a printer starts one run at a time, a run is started once
(its status is read again under its lock), and of several starts drawing on a spool's last
grams the first to lock the spool wins; the next one, reading the spool's in-progress
reservations after the lock, sees them and is refused.

A start needs every line fed: a line's spool must hold the line's estimate plus what the other
in-progress runs reserve on it (planned runs reserve too, but planning may over-book: the queue
shows the shortage, only starting is refused). A line that names only a catalogue material is
given a spool of it at start: one loaded in the printer first, else (for `start/`) any active
spool of it that can feed the line. Dispatch takes only spools loaded in the printer.
"""

import datetime
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Prefetch, Sum, Value, When
from django.utils import timezone

from core.errors import Conflict, ErrorCode, InvalidInput
from core.locking import RecordBusy, lock_rows
from inventory.models import ZERO, Spool
from inventory.services import InsufficientStock
from production.models import (
    PRIORITY_RANK,
    Printer,
    PrinterSlot,
    ProductionRun,
    ProductionRunMaterial,
    ProductionRunQuerySet,
    RunHistoryAction,
)
from production.services import history
from production.services.rules import lock_run, run_items, run_materials, transition
from production.status_codes import PRINTING_STATUSES, QUEUED_STATUSES, RunAction
from tenants.contracts import Actor, ensure_same_tenant
from tenants.models import Tenant

__all__ = [
    "DISPATCH_WINDOW",
    "NoRunFits",
    "PrinterBusy",
    "SpoolRequired",
    "Start",
    "dispatch",
    "queued_runs",
    "start_run",
]

# How many queued runs a dispatch (and the queue's `?printer=`) weighs, in dispatch order: a farm's
# queue is tens of runs; the bound keeps a dispatch's cost flat however long the queue grows.
DISPATCH_WINDOW = 100
# How many of the runs that do not fit a `no_run_fits` answer names.
NO_FIT_LISTED = 10


class PrinterBusy(Conflict):
    default_code = ErrorCode.PRINTER_BUSY


class SpoolRequired(Conflict):
    default_code = ErrorCode.SPOOL_REQUIRED


class NoRunFits(Conflict):
    default_code = ErrorCode.NO_RUN_FITS


@dataclass(frozen=True, kw_only=True)
class Start:
    """`start/`'s body: the printer (else the run's own) and when it started (None: now)."""

    printer: Printer | None = None
    started_at: datetime.datetime | None = None

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> "Start":
        return cls(**data)


def queued_runs(tenant: Tenant | uuid.UUID) -> ProductionRunQuerySet:
    """The planned runs in dispatch order: priority urgent to low, then `planned_start` earliest
    first (none last), then the oldest plan first."""
    rank = Case(
        *(When(priority=priority, then=Value(value)) for priority, value in PRIORITY_RANK.items()),
        default=Value(0),
        output_field=IntegerField(),
    )
    return (
        ProductionRun.objects.for_tenant(tenant)
        .filter(status__in=QUEUED_STATUSES)
        .alias(priority_rank=rank)
        .order_by("-priority_rank", F("planned_start").asc(nulls_last=True), "created_at", "pk")
    )


def printing_reserved(
    spool_ids: Collection[uuid.UUID], *, exclude_run: ProductionRun | None = None
) -> dict[uuid.UUID, Decimal]:
    """{spool id: grams in-progress runs (other than `exclude_run`) reserve on it}, one query."""
    if not spool_ids:
        return {}
    lines = ProductionRunMaterial.objects.reserving().filter(run__status__in=PRINTING_STATUSES, spool__in=spool_ids)
    if exclude_run is not None:
        lines = lines.exclude(run=exclude_run)
    rows = lines.order_by().values("spool").annotate(total=Sum("reserved_g"))
    return {row["spool"]: row["total"] or ZERO for row in rows}


def busy_with(printer: Printer, *, exclude_run: ProductionRun | None = None) -> dict[str, Any] | None:
    """The printer's in-progress run (id and number), or None."""
    runs = ProductionRun.objects.filter(tenant_id=printer.tenant_id, printer=printer, status__in=PRINTING_STATUSES)
    if exclude_run is not None:
        runs = runs.exclude(pk=exclude_run.pk)
    return runs.order_by("pk").values("pk", "run_number").first()


def _ensure_idle(printer: Printer, run: ProductionRun | None = None) -> None:
    current = busy_with(printer, exclude_run=run)
    if current is not None:
        raise PrinterBusy(
            f"Printer {printer.name} is printing run {current['run_number']}.",
            printer=str(printer.pk),
            current_run=str(current["pk"]),
        )


def _lock_printer(printer_id: uuid.UUID) -> Printer:
    (locked,) = lock_rows(Printer.objects.filter(pk=printer_id))
    return locked


# --- feeding a run's lines ---------------------------------------------------------------------


class Supply:
    """What each spool can still give a starting run: its weight less the in-progress runs' reservations
    and less what this run's earlier lines took."""

    def __init__(self, spools: Iterable[Spool], printing: Mapping[uuid.UUID, Decimal]) -> None:
        self.spools = {spool.pk: spool for spool in spools}
        self.free = {spool.pk: spool.current_weight_g - printing.get(spool.pk, ZERO) for spool in spools}

    def can_feed(self, spool: Spool, grams: Decimal) -> bool:
        return spool.is_active and self.free.get(spool.pk, ZERO) >= grams

    def take(self, spool: Spool, grams: Decimal) -> None:
        self.free[spool.pk] = self.free.get(spool.pk, ZERO) - grams


def _line_need(line: ProductionRunMaterial) -> Decimal:
    return line.estimated_total_g


def _refuse_line(line: ProductionRunMaterial, supply: Supply) -> InvalidInput | InsufficientStock:
    """The refusal of a line whose spool cannot feed it."""
    spool = line.spool
    assert spool is not None  # only a line naming a spool is refused here
    if not spool.is_active:
        return InvalidInput(f"Spool {spool.code} is inactive.", code=ErrorCode.SPOOL_INACTIVE, line=str(line.pk))
    available = supply.free.get(spool.pk, ZERO)
    return InsufficientStock(
        f"Spool {spool.code} has {available} g available (its weight less other in-progress runs' reservations); "
        f"the line needs {_line_need(line)} g.",
        spool=spool.code,
        available_g=str(available),
        required_g=str(_line_need(line)),
        line=str(line.pk),
    )


def _feed(
    lines: Sequence[ProductionRunMaterial], supply: Supply, candidates: Mapping[uuid.UUID, Sequence[Spool]]
) -> dict[uuid.UUID, Spool]:
    """Check each line against `supply` and pick a spool for each material-only line from
    `candidates` ({material id: spools, preferred first}). Returns {line id: picked spool};
    raises the refusal of the first line that cannot be fed. Writes nothing."""
    picked: dict[uuid.UUID, Spool] = {}
    for line in lines:
        need = _line_need(line)
        if line.spool is not None:
            if not supply.can_feed(line.spool, need):
                raise _refuse_line(line, supply)
            supply.take(line.spool, need)
            continue
        assert line.material_id is not None  # a line without a spool names a material (check_line)
        taken = {spool.pk for spool in picked.values()} | {other.spool_id for other in lines if other.spool_id}
        spool = next(
            (
                spool
                for spool in candidates.get(line.material_id, ())
                if spool.pk not in taken and supply.can_feed(spool, need)
            ),
            None,
        )
        if spool is None:
            assert line.material is not None
            raise SpoolRequired(
                f"No spool of {line.material.name} can feed {need} g for this line.",
                line=str(line.pk),
                material=str(line.material_id),
                required_g=str(need),
            )
        supply.take(spool, need)
        picked[line.pk] = spool
    return picked


def _candidates(
    tenant_id: uuid.UUID, material_ids: Collection[uuid.UUID | None], printer: Printer, *, loaded_only: bool
) -> dict[uuid.UUID, list[Spool]]:
    """Active spools of `material_ids`, those loaded in `printer` first, then the lightest first
    (finish a spool before opening another): {material id: [spools]}, one query."""
    if not material_ids:
        return {}
    loaded = PrinterSlot.objects.filter(tenant_id=tenant_id, printer=printer, spool=OuterRef("pk"))
    spools = (
        Spool.objects.filter(tenant_id=tenant_id, material__in=material_ids, is_active=True)
        .annotate(loaded_here=Exists(loaded))
        .order_by("-loaded_here", "current_weight_g", "code")
    )
    if loaded_only:
        spools = spools.filter(loaded_here=True)
    by_material: dict[uuid.UUID, list[Spool]] = {}
    for spool in spools:
        by_material.setdefault(spool.material_id, []).append(spool)
    return by_material


def _start_locked(
    *,
    run: ProductionRun,
    printer: Printer,
    user: Actor,
    started_at: datetime.datetime | None,
    loaded_only: bool,
) -> ProductionRun:
    """Start the locked planned `run` on the locked, idle `printer`: feed its lines, lock their spools
    and check them again, then write. Every refusal comes before the first write. A dispatch saw the
    printer idle under its lock already (`loaded_only`); `start/` looks here."""
    target = transition(run, RunAction.START)
    if not loaded_only:
        _ensure_idle(printer, run)
    started_at = started_at or timezone.now()
    items, lines = run_items(run), run_materials(run)
    needed_materials = {line.material_id for line in lines if line.spool_id is None}
    candidates = _candidates(run.tenant_id, needed_materials, printer, loaded_only=loaded_only)
    named = [line.spool for line in lines if line.spool is not None]
    spools = named + [s for group in candidates.values() for s in group]
    picked = _feed(lines, Supply(spools, printing_reserved({s.pk for s in spools}, exclude_run=run)), candidates)
    # Lock what the run draws on, then check again against what the in-progress runs reserve now.
    used_ids = {line.spool_id for line in lines if line.spool_id} | {spool.pk for spool in picked.values()}
    locked = {spool.pk: spool for spool in lock_rows(Spool.objects.filter(pk__in=used_ids).with_material())}
    if len(locked) < len(used_ids):
        raise RecordBusy("A spool of this run was deleted by another request; try again.")
    for line in lines:
        if line.spool_id is not None:
            line.spool = locked[line.spool_id]
    picked = {line_id: locked[spool.pk] for line_id, spool in picked.items()}
    supply = Supply(locked.values(), printing_reserved(used_ids, exclude_run=run))
    for line in lines:  # again, under the locks
        spool = line.spool if line.spool is not None else picked[line.pk]
        if not supply.can_feed(spool, _line_need(line)):
            raise _refuse_line(_with_spool(line, spool), supply)
        supply.take(spool, _line_need(line))
    assigned = []
    for line in lines:
        chosen = picked.get(line.pk)
        if chosen is not None:
            line.spool, line.cost_per_gram = chosen, chosen.cost_per_gram
            assigned.append(line)
    if assigned:
        ProductionRunMaterial.objects.bulk_update(assigned, ["spool", "cost_per_gram"])
    changes = {"status": [run.status, target], "started_at": [None, started_at]}
    if run.printer_id != printer.pk:
        changes["printer"] = [run.printer_id, printer.pk]
    run.status, run.started_at, run.printer = target, started_at, printer
    run.save(update_fields=["status", "started_at", "printer", "updated_at"])
    history.record(
        run,
        RunHistoryAction.STARTED,
        user,
        **changes,
        assigned={str(line.pk): line.spool_id for line in assigned},
    )
    history.run_event(run, "run.started", user, items=items, materials=lines)
    return run


def _with_spool(line: ProductionRunMaterial, spool: Spool) -> ProductionRunMaterial:
    line.spool = spool
    return line


def start_run(*, run: ProductionRun, user: Actor, start: Start) -> ProductionRun:
    """planned -> in_progress on `start.printer` or the run's printer (400 `printer_required` without
    either; 409 `printer_busy` while it prints another run; 409 `insufficient_stock` /
    `spool_required` naming the line that cannot be fed). Writes nothing when refused."""
    ensure_same_tenant(run.tenant_id, start.printer)
    if start.started_at is not None and start.started_at > timezone.now() + datetime.timedelta(minutes=5):
        raise InvalidInput("started_at may not be in the future.", code=ErrorCode.INVALID_DATES)
    with transaction.atomic():
        printer_id = start.printer.pk if start.printer is not None else run.printer_id
        if printer_id is None:
            run = lock_run(run)
            transition(run, RunAction.START)
            raise InvalidInput(
                f"Run {run.run_number} has no printer: name one in the body.", code=ErrorCode.PRINTER_REQUIRED
            )
        printer = _lock_printer(printer_id)
        run = lock_run(run)
        if start.printer is None and run.printer_id != printer.pk:
            raise RecordBusy(f"Run {run.run_number}'s printer was changed by another request; try again.")
        return _start_locked(run=run, printer=printer, user=user, started_at=start.started_at, loaded_only=False)


# --- dispatch ----------------------------------------------------------------------------------


def _queue_window(printer: Printer) -> list[ProductionRun]:
    lines = ProductionRunMaterial.objects.select_related("spool", "material")
    return list(
        queued_runs(printer.tenant_id)
        .select_related("printer")
        .prefetch_related(Prefetch("materials", queryset=lines))[:DISPATCH_WINDOW]
    )


def _loaded(printer: Printer) -> tuple[dict[uuid.UUID, list[Spool]], set[uuid.UUID]]:
    """The spools loaded in `printer`, by material: {material id: [spools]}, and their ids."""
    rows = PrinterSlot.objects.filter(tenant_id=printer.tenant_id, printer=printer).select_related("spool")
    by_material: dict[uuid.UUID, list[Spool]] = {}
    ids: set[uuid.UUID] = set()
    for row in rows.order_by("spool__current_weight_g", "slot"):
        by_material.setdefault(row.spool.material_id, []).append(row.spool)
        ids.add(row.spool_id)
    return by_material, ids


def why_not(
    run: ProductionRun,
    printer: Printer,
    loaded_by_material: Mapping[uuid.UUID, Sequence[Spool]],
    loaded_ids: Collection[uuid.UUID],
    printing: Mapping[uuid.UUID, Decimal],
) -> str | None:
    """Why `run` cannot start on `printer` with its loaded spools now, or None when it fits."""
    if run.printer_id is not None and run.printer_id != printer.pk:
        assert run.printer is not None  # its printer_id is set
        return f"It is planned for printer {run.printer.name}."
    lines = run.children("materials")
    for line in lines:
        if line.spool_id is not None and line.spool_id not in loaded_ids:
            return f"Spool {line.spool.code} is not loaded in {printer.name}."
    spools = [spool for group in loaded_by_material.values() for spool in group]
    try:
        _feed(lines, Supply(spools, printing), loaded_by_material)
    except (InsufficientStock, SpoolRequired, InvalidInput) as refused:
        return refused.detail
    return None


def fitting(
    printer: Printer,
    runs: Iterable[ProductionRun],
    *,
    loaded: tuple[dict[uuid.UUID, list[Spool]], set[uuid.UUID]] | None = None,
) -> list[tuple[ProductionRun, str | None]]:
    """Each of `runs` with why it does not fit `printer` now (None: it fits), in their order."""
    loaded_by_material, loaded_ids = loaded or _loaded(printer)
    spool_ids = set(loaded_ids)
    printing = printing_reserved(spool_ids)
    return [(run, why_not(run, printer, loaded_by_material, loaded_ids, printing)) for run in runs]


def fitting_window(printer: Printer) -> list[tuple[ProductionRun, str | None]]:
    """The first `DISPATCH_WINDOW` queued runs, each with why it does not fit `printer` now (None: fits)."""
    return fitting(printer, _queue_window(printer))


def dispatch(*, printer: Printer, user: Actor) -> ProductionRun:
    """Start the first queued run that fits `printer` now (every line fed by a spool loaded in it).

    409 `printer_busy` while it prints; 409 `no_run_fits` naming the first queued runs and why each
    does not fit. A run another dispatch started meanwhile is passed over, never started twice.
    """
    with transaction.atomic():
        printer = _lock_printer(printer.pk)
        _ensure_idle(printer)
        reasons = []
        for run, reason in fitting_window(printer):
            if reason is None:
                locked = lock_run(run)
                if locked.status not in QUEUED_STATUSES or locked.deleted_at is not None:
                    reasons.append((run, "It was started or changed by another request."))
                    continue
                try:
                    # Every refusal of a start comes before its first write: nothing to roll back here.
                    return _start_locked(run=locked, printer=printer, user=user, started_at=None, loaded_only=True)
                except (InsufficientStock, SpoolRequired, InvalidInput) as refused:
                    reason = refused.detail
            reasons.append((run, reason))
        listed = [{"id": str(run.pk), "run_number": run.run_number, "reason": reason} for run, reason in reasons]
        raise NoRunFits(
            f"No queued run fits printer {printer.name} now."
            if listed
            else f"The queue is empty: no planned run for printer {printer.name}.",
            runs=listed[:NO_FIT_LISTED],
        )
