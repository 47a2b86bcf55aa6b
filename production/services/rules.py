"""The checks every run write shares: the run's lock, its status, and the rules its items and materials obey.

Each check raises the domain error the API answers with (core.errors) and writes nothing.
"""

from collections.abc import Collection, Iterable
from typing import Any
from uuid import UUID

from core.errors import Conflict, ErrorCode, InvalidInput, NotFound
from core.locking import lock_rows
from inventory.models import Spool
from inventory.services import InsufficientStock, lock_spools
from production.models import (
    MAX_UNITS_PER_RUN,
    ProductionRun,
    ProductionRunItem,
    ProductionRunMaterial,
    RunHistoryAction,
)
from production.status_codes import (
    INITIAL_STATUS,
    MATERIAL_ONLY_LINE_STATUSES,
    QUEUED_STATUSES,
    InvalidTransition,
    RunAction,
    ensure_transition,
)


class RunLocked(Conflict):
    default_code = ErrorCode.RUN_LOCKED


class DuplicateSpool(Conflict):
    default_code = ErrorCode.DUPLICATE_SPOOL


class RunHasInventory(Conflict):
    default_code = ErrorCode.RUN_HAS_INVENTORY


def lock_run(run: ProductionRun) -> ProductionRun:
    """The run, locked; its printer and creator read in the same statement (for the event's payload)."""
    runs = ProductionRun.all_objects.filter(pk=run.pk).select_related("printer", "created_by")
    (locked,) = lock_rows(runs, of=("self",))
    return locked


def transition(run: ProductionRun, action: RunAction) -> str:
    """`ensure_transition`; a refusal of a finished run also says when and by whom it ended,
    so a client retrying its own request can tell "mine" from "someone else's"."""
    try:
        return ensure_transition(run, action)
    except InvalidTransition as refused:
        refused.extra.update(_ended_by(run))
        raise


def _ended_by(run: ProductionRun) -> dict[str, Any]:
    if run.completed_at is None:
        return {}
    ending = (
        run.history.filter(action__in=[RunHistoryAction.COMPLETED, RunHistoryAction.FAILED])
        .select_related("user")
        .order_by("-occurred_at")
        .first()
    )
    user = ending.user if ending is not None else None
    return {"completed_at": run.completed_at, "completed_by": user.get_username() if user is not None else None}


def run_items(run: ProductionRun) -> list[ProductionRunItem]:
    """The run's items, each with its product (what the rules and the payload read)."""
    return list(run.items.select_related("product"))


def run_materials(run: ProductionRun) -> list[ProductionRunMaterial]:
    """The run's materials, each with its spool and the spool's material, and its catalogue material."""
    return list(run.materials.select_related("spool__material", "material"))


def ensure_editable(run: ProductionRun) -> None:
    if run.is_locked:
        raise RunLocked(f"Run {run.run_number} is {run.status}; its items and materials can no longer change.")


def check_outcomes(item: ProductionRunItem) -> None:
    successful = item.successful_quantity or 0
    failed = item.failed_quantity or 0
    if successful + failed > item.quantity:
        raise InvalidInput(
            f"successful_quantity + failed_quantity ({successful + failed}) exceeds quantity ({item.quantity}).",
            code=ErrorCode.INVALID_QUANTITIES,
        )


def check_total_units(items: Iterable[ProductionRunItem]) -> None:
    total = sum(item.quantity for item in items)
    if total > MAX_UNITS_PER_RUN:
        raise InvalidInput(
            f"A run may print at most {MAX_UNITS_PER_RUN} units; these items add up to {total}.",
            code=ErrorCode.TOO_MANY_UNITS,
        )


def check_kinds(items: Iterable[ProductionRunItem], materials: Collection[ProductionRunMaterial]) -> None:
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


def check_line(material: ProductionRunMaterial, run_status: str) -> None:
    """A line names a spool, or (on a planned run) only a catalogue material; a spool of the line's material."""
    if material.spool_id is None:
        if material.material_id is None:
            raise InvalidInput("A material line needs a spool or a catalogue material.", code=ErrorCode.INVALID)
        if run_status not in MATERIAL_ONLY_LINE_STATUSES:
            raise InvalidInput(
                f"Only a planned run's line may name a material without a spool; this run is {run_status}.",
                code=ErrorCode.INVALID,
            )
        return
    if material.material_id is None:
        return
    spool = material.spool
    assert spool is not None  # its spool_id is set
    if spool.material_id != material.material_id:
        assert material.material is not None  # its material_id is set
        raise InvalidInput(
            f"Spool {spool.code} is {spool.material.name}, not the line's material {material.material.name}.",
            code=ErrorCode.INVALID,
        )


def check_assignable(
    material: ProductionRunMaterial, *, other_spool_ids: Collection[UUID], run_status: str = INITIAL_STATUS
) -> None:
    """A line's spool may be used: active, not twice on the run, and (unless the run is only planned,
    which may over-book: the queue shows the shortage) holding the line's estimate."""
    check_line(material, run_status)
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


def check_weighings(material: ProductionRunMaterial) -> None:
    before, after = material.spool_weight_before_g, material.spool_weight_after_g
    if before is not None and after is not None and after > before:
        raise InvalidInput(
            f"{material.label}: the weight after ({after} g) exceeds the weight before ({before} g).",
            code=ErrorCode.INVALID_WEIGHING,
        )


def check_original_run(run: ProductionRun, original_run: ProductionRun | None) -> None:
    if original_run is not None and original_run.pk == run.pk:
        raise InvalidInput("A run cannot be a reprint of itself.", code=ErrorCode.INVALID_ORIGINAL_RUN)


def lock_named_spools(spool_ids: Collection[UUID]) -> dict[UUID, Spool]:
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
