"""Inventory operations. `record_movements` is the only writer of spool weights and of the ledger."""

import datetime
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from core.errors import Conflict, ErrorCode, InvalidInput, NotFound
from core.locking import lock_rows, write_step
from inventory.models import ZERO, InventoryTransaction, Material, Spool, TransactionType
from tenants.contracts import UNSET, Unset, ensure_same_tenant, sent
from tenants.models import Tenant


class InsufficientStock(Conflict):
    default_code = ErrorCode.INSUFFICIENT_STOCK


class BelowZero(InvalidInput):
    """A manual adjustment that would leave a spool below 0 g: bad input, not a stock conflict."""

    default_code = ErrorCode.BELOW_ZERO


# The most a grams column holds (10 digits, 2 decimals); a heavier result would overflow it.
MAX_WEIGHT_G = Decimal("99999999.99")


@dataclass
class Movement:
    """One intended change of a spool's weight: by `change_g`, or to `new_weight_g`."""

    spool_id: object
    type: str
    change_g: Decimal | None = None
    new_weight_g: Decimal | None = None
    description: str = ""
    production_run_id: object = None
    production_run_material_id: object = None
    reversal_of_id: object = None


def lock_spools(ids):
    """The spools of `ids`, locked (see `lock_rows`), by id; a spool deleted meanwhile is a 404."""
    spools = {spool.pk: spool for spool in lock_rows(Spool.objects.filter(pk__in=ids), pks=ids)}
    if len(spools) < len(ids):
        raise NotFound("The spool was deleted by another request.")
    return spools


def record_movements(*, movements, user, occurred_at=None, below_zero_error=InsufficientStock):
    """Apply `movements` atomically and return their ledger rows.

    The spools are locked in id order in one statement, every result is checked
    before anything is written, and each spool's new weight is computed from its
    locked value, so concurrent callers can neither lose an update nor deadlock.
    A fixed number of queries, whatever the number of movements.
    """
    occurred_at = occurred_at or timezone.now()
    with write_step():
        spools = lock_spools({m.spool_id for m in movements})
        rows = []
        for movement in movements:
            spool = spools[movement.spool_id]
            before = spool.current_weight_g
            change = movement.change_g if movement.new_weight_g is None else movement.new_weight_g - before
            after = before + change
            if after < ZERO:
                raise below_zero_error(
                    f"Spool {spool.code} holds {before} g; {-change} g cannot be taken from it.",
                    spool=spool.code,
                    available_g=str(before),
                    required_g=str(-change),
                )
            if after > MAX_WEIGHT_G:
                raise InvalidInput(
                    f"Spool {spool.code} would hold {after} g; at most {MAX_WEIGHT_G} g can be recorded.",
                    code=ErrorCode.TOO_HEAVY,
                )
            spool.current_weight_g = after
            spool.ledger_version += 1
            spool.updated_at = occurred_at
            rows.append(
                InventoryTransaction(
                    tenant_id=spool.tenant_id,
                    spool=spool,
                    sequence=spool.ledger_version,
                    type=movement.type,
                    weight_before_g=before,
                    weight_change_g=change,
                    weight_after_g=after,
                    production_run_id=movement.production_run_id,
                    production_run_material_id=movement.production_run_material_id,
                    user=user,
                    description=movement.description,
                    occurred_at=occurred_at,
                    reversal_of_id=movement.reversal_of_id,
                )
            )
        if len(rows) == 1:
            # One movement (`adjust/`, a purchase): a plain INSERT and UPDATE build in a third of
            # the CPU of the bulk forms (whose UPDATE is a CASE per column), same two statements.
            (row,) = rows
            row.save(force_insert=True)
            Spool.objects.filter(pk=row.spool_id).update(
                current_weight_g=row.weight_after_g, ledger_version=row.sequence, updated_at=occurred_at
            )
        else:
            InventoryTransaction.objects.bulk_create(rows)
            Spool.objects.bulk_update(spools.values(), ["current_weight_g", "ledger_version", "updated_at"])
    return rows


def record_movement(*, spool, type, user, change_g=None, new_weight_g=None, description="", occurred_at=None):
    """One manual movement of one spool (a result below zero is a 400); see `record_movements`."""
    (row,) = record_movements(
        movements=[
            Movement(
                spool_id=spool.pk, type=type, change_g=change_g, new_weight_g=new_weight_g, description=description
            )
        ],
        user=user,
        occurred_at=occurred_at,
        below_zero_error=BelowZero,
    )
    # The locked row as written (the same instance when the view locked `spool` on its read).
    locked = row.spool
    spool.current_weight_g, spool.ledger_version, spool.updated_at = (
        locked.current_weight_g,
        locked.ledger_version,
        locked.updated_at,
    )
    return row


@dataclass(frozen=True, kw_only=True)
class SpoolDraft:
    """A spool to buy. `id` is for callers that must know it beforehand (the admin's add form)."""

    code: str
    material: Material
    initial_weight_g: Decimal
    empty_spool_weight_g: Decimal | None = None
    purchase_price: Decimal | None = None
    purchased_at: datetime.date | None = None
    supplier: str = ""
    location: str = ""
    is_active: bool = True
    id: uuid.UUID | None = None


@dataclass(frozen=True, kw_only=True)
class SpoolChanges:
    """A PUT/PATCH of a spool: a field left `UNSET` was not sent and keeps its value.

    `None` is a value (a price or date sent as null clears it). `initial_weight_g` may be sent
    only with the value the spool has: the purchase row recorded it.
    """

    code: str | Unset = UNSET
    material: Material | Unset = UNSET
    initial_weight_g: Decimal | Unset = UNSET
    empty_spool_weight_g: Decimal | Unset | None = UNSET
    purchase_price: Decimal | Unset | None = UNSET
    purchased_at: datetime.date | Unset | None = UNSET
    supplier: str | Unset = UNSET
    location: str | Unset = UNSET
    is_active: bool | Unset = UNSET


@dataclass(frozen=True, kw_only=True)
class Adjustment:
    """A manual correction: set the weight (`new_weight_g`) or change it (`delta_g`), exactly one.

    `occurred_at` (default now) lets imports and the demo seed record past corrections.
    """

    type: str
    reason: str = ""
    new_weight_g: Decimal | None = None
    delta_g: Decimal | None = None
    occurred_at: datetime.datetime | None = None


def create_spool(*, tenant: Tenant, user, draft: SpoolDraft, occurred_at=None) -> Spool:
    """A new spool and its `purchase` ledger row (at `occurred_at`, default now), or neither."""
    ensure_same_tenant(tenant, draft.material)
    fields = {name: value for name, value in vars(draft).items() if not (name == "id" and value is None)}
    with transaction.atomic():
        spool = Spool.objects.create(tenant=tenant, **fields)
        record_movement(
            spool=spool,
            type=TransactionType.PURCHASE,
            change_g=spool.initial_weight_g,
            user=user,
            description="Initial weight on purchase",
            occurred_at=occurred_at,
        )
    return spool


def update_spool(*, spool: Spool, changes: SpoolChanges) -> Spool:
    """Change a spool's own fields (code, location, price...) and return it as now stored.

    `spool` may have been read before another request moved its weight: only the
    fields sent are written, so its weight and ledger position stay the ledger's.
    """
    fields = sent(changes)
    ensure_same_tenant(spool.tenant_id, fields.get("material"))
    with transaction.atomic():
        spool = lock_spools({spool.pk})[spool.pk]
        if "initial_weight_g" in fields:
            if fields["initial_weight_g"] != spool.initial_weight_g:
                raise InvalidInput(
                    f"Spool {spool.code}'s initial weight ({spool.initial_weight_g} g) was recorded on purchase; "
                    "correct its weight with an adjustment instead.",
                    code=ErrorCode.INITIAL_WEIGHT_FIXED,
                )
            del fields["initial_weight_g"]
        for name, value in fields.items():
            setattr(spool, name, value)
        spool.save(update_fields=[*fields, "updated_at"])
    return spool


ADJUSTMENT_TYPES = (TransactionType.ADJUSTMENT, TransactionType.COUNT, TransactionType.WASTE)


def adjust_spool(*, spool: Spool, user, adjustment: Adjustment) -> InventoryTransaction:
    """Apply a manual correction; its ledger row records `user` and when it happened."""
    if adjustment.type not in ADJUSTMENT_TYPES:
        raise InvalidInput(f"type must be one of {', '.join(ADJUSTMENT_TYPES)}.", code=ErrorCode.INVALID_ADJUSTMENT)
    if (adjustment.new_weight_g is None) == (adjustment.delta_g is None):
        raise InvalidInput("Give exactly one of new_weight_g and delta_g.", code=ErrorCode.INVALID_ADJUSTMENT)
    return record_movement(
        spool=spool,
        type=adjustment.type,
        user=user,
        new_weight_g=adjustment.new_weight_g,
        change_g=adjustment.delta_g,
        description=adjustment.reason,
        occurred_at=adjustment.occurred_at,
    )


def delete_spool(*, spool: Spool) -> None:
    """Delete a spool whose only ledger row is its purchase; anything else is history to keep."""
    with transaction.atomic():
        lock_spools({spool.pk})
        if spool.transactions.exclude(type=TransactionType.PURCHASE).exists() or spool.run_materials.exists():
            raise Conflict(
                f"Spool {spool.code} has inventory history or is used by production runs; deactivate it instead.",
                code=ErrorCode.PROTECTED,
            )
        spool.transactions.all().delete()
        spool.delete()
