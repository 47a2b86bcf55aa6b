"""Inventory operations. `record_movements` is the only writer of spool weights and of the ledger."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from core.errors import Conflict, ErrorCode, InvalidInput, NotFound
from core.locking import lock_rows
from inventory.models import ZERO, InventoryTransaction, Spool, TransactionType


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
    spools = {spool.pk: spool for spool in lock_rows(Spool.objects.filter(pk__in=ids))}
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
    with transaction.atomic():
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
    spool.refresh_from_db(fields=["current_weight_g", "ledger_version", "updated_at"])
    return row


def create_spool(*, tenant, user, data, occurred_at=None):
    """A new spool and its `purchase` ledger row (at `occurred_at`, default now), or neither."""
    with transaction.atomic():
        spool = Spool.objects.create(tenant=tenant, **data)
        record_movement(
            spool=spool,
            type=TransactionType.PURCHASE,
            change_g=spool.initial_weight_g,
            user=user,
            description="Initial weight on purchase",
            occurred_at=occurred_at,
        )
    return spool


def update_spool(*, spool, data):
    """Change a spool's own fields (code, location, price...) and return it as now stored.

    `spool` may have been read before another request moved its weight: only the
    fields in `data` are written, so its weight and ledger position stay the ledger's.
    """
    with transaction.atomic():
        spool = lock_spools({spool.pk})[spool.pk]
        for name, value in data.items():
            setattr(spool, name, value)
        spool.save(update_fields=[*data, "updated_at"])
    return spool


ADJUSTMENT_TYPES = (TransactionType.ADJUSTMENT, TransactionType.COUNT, TransactionType.WASTE)


def adjust_spool(*, spool, user, type, reason="", new_weight_g=None, delta_g=None, occurred_at=None):
    """A manual correction: set the weight (`new_weight_g`) or change it (`delta_g`).

    `occurred_at` (default now) lets imports and the demo seed record past corrections.
    """
    if type not in ADJUSTMENT_TYPES:
        raise InvalidInput(f"type must be one of {', '.join(ADJUSTMENT_TYPES)}.", code=ErrorCode.INVALID_ADJUSTMENT)
    if (new_weight_g is None) == (delta_g is None):
        raise InvalidInput("Give exactly one of new_weight_g and delta_g.", code=ErrorCode.INVALID_ADJUSTMENT)
    return record_movement(
        spool=spool,
        type=type,
        user=user,
        new_weight_g=new_weight_g,
        change_g=delta_g,
        description=reason,
        occurred_at=occurred_at,
    )


def delete_spool(*, spool):
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
