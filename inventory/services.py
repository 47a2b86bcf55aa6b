"""Inventory operations. `record_movements` is the only writer of spool weights and of the ledger."""

import datetime
import functools
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import router, transaction
from django.utils import timezone

from core.changes import UNSET, Unset, sent
from core.errors import Conflict, DomainError, ErrorCode, InvalidInput, NotFound
from core.locking import held_rows, lock_rows, write_step
from core.prepared import PreparedUpdate, Slot, insert_rows
from events.services import NewEvent, create_recorded, delete_recorded, record_events, update_recorded
from inventory.models import (
    ADJUSTMENT_TYPES,
    CONSUMPTION_TYPES,
    DEFAULT_LOW_STOCK_PERCENT,
    SPOOL_FLOOR_ANNOTATIONS,
    ZERO,
    InventoryTransaction,
    Material,
    Spool,
    TransactionType,
    Vendor,
    as_new_on_the_floor,
    normalize_rfid_uid,
    take_numbers,
)
from inventory.payloads import material_payload, spool_payload, vendor_payload
from tenants.contracts import Actor, acting_user, ensure_same_tenant
from tenants.models import Tenant
from tenants.scoping import ScopedQuery


class InsufficientStock(Conflict):
    default_code = ErrorCode.INSUFFICIENT_STOCK


class AmbiguousVendor(InvalidInput):
    default_code = ErrorCode.AMBIGUOUS_VENDOR


class BelowZero(InvalidInput):
    """A manual adjustment that would leave a spool below 0 g: bad input, not a stock conflict."""

    default_code = ErrorCode.BELOW_ZERO


# The most a grams column holds (10 digits, 2 decimals); a heavier result would overflow it.
MAX_WEIGHT_G = Decimal("99999999.99")


@dataclass
class Movement:
    """One intended change of a spool's weight: by `change_g`, or to `new_weight_g`."""

    spool_id: uuid.UUID
    type: str
    change_g: Decimal | None = None
    new_weight_g: Decimal | None = None
    description: str = ""
    production_run_id: uuid.UUID | None = None
    production_run_material_id: uuid.UUID | None = None
    reversal_of_id: uuid.UUID | None = None
    # A printer's report (`printer_use`, `count`): which printer, which client, grams beyond the stock.
    printer_id: uuid.UUID | None = None
    source: str = ""
    excess_g: Decimal = ZERO

    def change_by(self, before: Decimal) -> Decimal:
        """The change of a spool holding `before`: `change_g`, or what reaches `new_weight_g`."""
        if self.new_weight_g is not None:
            return self.new_weight_g - before
        if self.change_g is None:
            raise ValueError("A movement needs change_g or new_weight_g.")
        return self.change_g


def lock_spools(ids: Collection[Any], *, with_material: bool = False) -> dict[Any, Spool]:
    """The spools of `ids`, locked (see `lock_rows`), by id; a spool deleted meanwhile is a 404.

    `with_material` reads each spool's material in the same statement (joined, not locked).
    """
    # The view's locked read of them (`adjust/`), handed over before any queryset is built.
    rows = held_rows(Spool, ids)
    if rows is None:
        queryset = Spool.objects.filter(pk__in=ids)
        if with_material:
            queryset = queryset.with_material()
        rows = lock_rows(queryset, of=("self",) if with_material else ())
    spools = {spool.pk: spool for spool in rows}
    if len(spools) < len(ids):
        raise NotFound("The spool was deleted by another request.")
    return spools


def spool_events(spool: Spool, event_type: str | None, *, before_g: Decimal) -> list[NewEvent]:
    """`event_type` for `spool`, plus `spool.low_stock` / `spool.empty` when its weight just crossed into them.

    Low stock: below the material's threshold (`Material.low_stock_threshold_for`), having been at
    or above it before; empty: at 0 g, having held something before. `event_type` None: only those.
    """
    payload = spool_payload(spool)
    after_g = spool.current_weight_g
    threshold = spool.material.low_stock_threshold_for(spool.initial_weight_g)
    events = [] if event_type is None else [NewEvent(event_type, spool.pk, payload)]
    if after_g < threshold <= before_g:
        events.append(NewEvent("spool.low_stock", spool.pk, payload))
    if after_g == ZERO < before_g:
        events.append(NewEvent("spool.empty", spool.pk, payload))
    return events


def record_movements(
    *,
    movements: Sequence[Movement],
    user: Actor,
    occurred_at: datetime.datetime | None = None,
    below_zero_error: type[DomainError] = InsufficientStock,
    event_type: str | None = None,
    events: list[NewEvent] | None = None,
    locked: dict[uuid.UUID, Spool] | None = None,
    also_save: Sequence[str] = (),
    webhooks_active: bool | None = None,
) -> list[InventoryTransaction]:
    """Apply `movements` atomically and return their ledger rows.

    The spools are locked in id order in one statement, every result is checked
    before anything is written, and each spool's new weight is computed from its
    locked value, so concurrent callers can neither lose an update nor deadlock.
    A fixed number of queries, whatever the number of movements.

    `locked`: {id: spool} of spools the caller already locked in this transaction, their
    material loaded (a printer's report reads its spool once, locked): they are not read
    again, and their new weights are set on them. `also_save`: fields of those spools the
    caller changed, written by the same UPDATE as the weight.

    Events: `event_type` (e.g. `spool.adjusted`) for each spool moved, and `spool.low_stock` /
    `spool.empty` for a spool that crossed into them (`spool_events`). They are appended to
    `events` when the caller records them with its own (one INSERT for the whole write), else
    recorded here; `webhooks_active`: whether the tenant has an active webhook, when the caller read
    it in this transaction (else `record_events` reads it).
    """
    occurred_at = occurred_at or timezone.now()
    with write_step():
        ids = {m.spool_id for m in movements}
        if locked is not None and ids <= locked.keys():
            spools = {spool_id: locked[spool_id] for spool_id in ids}
        else:
            spools = lock_spools(ids, with_material=True)
        weights_before = {spool_id: spool.current_weight_g for spool_id, spool in spools.items()}
        rows = []
        uses = False
        for movement in movements:
            spool = spools[movement.spool_id]
            before = spool.current_weight_g
            change = movement.change_by(before)
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
            if movement.type in CONSUMPTION_TYPES:
                used_at(spool, occurred_at)
                uses = True
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
                    user=acting_user(user),
                    description=movement.description,
                    occurred_at=occurred_at,
                    reversal_of_id=movement.reversal_of_id,
                    printer_id=movement.printer_id,
                    source=movement.source,
                    excess_g=movement.excess_g,
                )
            )
        # One INSERT; for one row, compiled once per process (core.prepared).
        insert_rows(InventoryTransaction, rows)
        fields = ("current_weight_g", "ledger_version", "updated_at", *also_save, *use_dates(uses))
        if len(rows) == 1:
            # One movement (`adjust/`, a printer's report, a purchase): a plain UPDATE, compiled once per
            # process and set of columns, where the bulk form's is a CASE per column built per call.
            (spool,) = spools.values()
            spool_update(fields).run(spool=spool.pk, **{name: getattr(spool, name) for name in fields})
        else:
            Spool.objects.bulk_update(spools.values(), fields)
        new_events = [
            event
            for spool_id, spool in sorted(spools.items(), key=lambda pair: str(pair[0]))
            for event in spool_events(spool, event_type, before_g=weights_before[spool_id])
        ]
        if events is not None:
            events.extend(new_events)
        elif new_events:
            record_events(
                tenant=next(iter(spools.values())).tenant_id,
                actor=user,
                events=new_events,
                webhooks_active=webhooks_active,
            )
    return rows


@functools.cache
def spool_update(fields: tuple[str, ...]) -> ScopedQuery:
    """`Spool.objects.filter(pk=spool).update(**{name: ...})` for `fields`, built and compiled once per
    process (tenants.scoping.ScopedQuery, core.prepared.PreparedUpdate): building and compiling it cost
    each one-movement write about 0.15 ms of CPU. Its slots: `spool` (the id), and each field's value.

    Written where writes go (the router's `db_for_write`, as `update` writes), in the scope's tenant.
    """
    spool = Slot("spool", Spool._meta.get_field("id"))
    return ScopedQuery(
        lambda: Spool.objects.using(router.db_for_write(Spool)).filter(pk=spool),
        functools.partial(PreparedUpdate, fields=fields),
    )


def use_dates(uses: bool) -> tuple[str, ...]:
    """The spool columns a write of use rows also sets (none when it has no use row)."""
    return ("first_used", "last_used") if uses else ()


def used_at(spool: Spool, moment: datetime.datetime) -> None:
    """`spool`'s use dates once a use row (printer_use, usage, waste) at `moment` is booked on it.

    A row dated in the past (an import's, the demo seed's) moves `first_used` back, not `last_used`.
    """
    if spool.first_used is None or moment < spool.first_used:
        spool.first_used = moment
    if spool.last_used is None or moment > spool.last_used:
        spool.last_used = moment


def record_movement(
    *,
    spool: Spool,
    type: str,
    user: Actor,
    change_g: Decimal | None = None,
    new_weight_g: Decimal | None = None,
    description: str = "",
    occurred_at: datetime.datetime | None = None,
    event_type: str | None = None,
    events: list[NewEvent] | None = None,
    webhooks_active: bool | None = None,
) -> InventoryTransaction:
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
        event_type=event_type,
        events=events,
        webhooks_active=webhooks_active,
    )
    # The ledger row holds what the locked spool now holds: no need to read it again.
    spool.current_weight_g = row.weight_after_g
    spool.ledger_version = row.sequence
    spool.updated_at = row.occurred_at
    if type in CONSUMPTION_TYPES:
        used_at(spool, row.occurred_at)
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
    rfid_uid: str = ""
    lot_nr: str = ""
    comment: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    first_used: datetime.datetime | None = None
    last_used: datetime.datetime | None = None
    id: uuid.UUID | None = None
    # Its per-tenant number, for callers that took it beforehand (Spoolman's API names its code by it).
    number: int | None = None


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
    rfid_uid: str | Unset = UNSET
    lot_nr: str | Unset = UNSET
    comment: str | Unset = UNSET
    extra: dict[str, str] | Unset = UNSET
    first_used: datetime.datetime | Unset | None = UNSET
    last_used: datetime.datetime | Unset | None = UNSET


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


def _new_spool_fields(draft: SpoolDraft) -> dict[str, Any]:
    """A new spool's columns from its draft: its id only when the draft names one, its RFID identity normalized."""
    fields = {name: value for name, value in vars(draft).items() if not (name in ("id", "number") and value is None)}
    fields["rfid_uid"] = normalize_rfid_uid(draft.rfid_uid)
    return fields


def create_spool(
    *,
    tenant: Tenant,
    user: Actor,
    draft: SpoolDraft,
    occurred_at: datetime.datetime | None = None,
    opening_weight_g: Decimal | None = None,
) -> Spool:
    """A new spool and its `purchase` ledger row (at `occurred_at`, default now), or neither; event `spool.created`.

    The purchase row books its initial weight, or `opening_weight_g` when given: what a spool
    registered part-used (Spoolman's `remaining_weight`/`used_weight` on creation) holds. Its one
    row is then its opening balance, so the spool weighs what its ledger sums to from the start.
    """
    ensure_same_tenant(tenant, draft.material)
    opening = draft.initial_weight_g if opening_weight_g is None else opening_weight_g
    if opening < ZERO or opening > max(draft.initial_weight_g, ZERO):
        raise InvalidInput(
            f"A spool cannot open with {opening} g: between 0 and its initial weight ({draft.initial_weight_g} g).",
            code=ErrorCode.INVALID,
        )
    description = "Initial weight on purchase"
    if opening != draft.initial_weight_g:
        before = draft.initial_weight_g - opening
        description = f"Opening balance: {opening} g of {draft.initial_weight_g} g ({before} g used before)"
    with transaction.atomic():
        spool = as_new_on_the_floor(Spool.objects.create(tenant=tenant, **_new_spool_fields(draft)))
        events: list[NewEvent] = []
        record_movement(
            spool=spool,
            type=TransactionType.PURCHASE,
            change_g=opening,
            user=user,
            description=description,
            occurred_at=occurred_at,
            events=events,
        )
        record_events(
            tenant=tenant, actor=user, events=[NewEvent("spool.created", spool.pk, spool_payload(spool)), *events]
        )
    return spool


def create_spools(
    *, tenant: Tenant, user: Actor, drafts: list[SpoolDraft], occurred_at: datetime.datetime | None = None
) -> list[Spool]:
    """Many new spools (an import's batch), each with its `purchase` row and `spool.created` event, or none.

    What `create_spool` does for one, in a fixed number of statements whatever the count: the
    numbers, the spools, their purchase rows and weights (`record_movements`), the events.
    """
    if not drafts:
        return []
    for draft in drafts:
        ensure_same_tenant(tenant, draft.material)
    with transaction.atomic():
        first = take_numbers(tenant_id=tenant.pk, kind=Spool.number_kind, count=len(drafts))
        spools = [
            Spool(tenant=tenant, number=first + offset, **_new_spool_fields(draft))
            for offset, draft in enumerate(drafts)
        ]
        Spool.objects.bulk_create(spools)
        events: list[NewEvent] = []
        rows = record_movements(
            movements=[
                Movement(
                    spool_id=spool.pk,
                    type=TransactionType.PURCHASE,
                    change_g=spool.initial_weight_g,
                    description="Initial weight on purchase",
                )
                for spool in spools
            ],
            user=user,
            occurred_at=occurred_at,
            events=events,
        )
        for spool, row in zip(spools, rows, strict=True):
            spool.current_weight_g, spool.ledger_version = row.weight_after_g, row.sequence
        record_events(
            tenant=tenant,
            actor=user,
            events=[*(NewEvent("spool.created", spool.pk, spool_payload(spool)) for spool in spools), *events],
        )
    return spools


def _keep_material(locked: Spool, read: Spool) -> None:
    """Give the freshly locked spool the material `read` (the caller's copy) already loaded, if it is the same."""
    if locked.material_id == read.material_id and Spool._meta.get_field("material").is_cached(read):
        locked.material = read.material


def update_spool(*, spool: Spool, changes: SpoolChanges, user: Actor = None) -> Spool:
    """Change a spool's own fields (code, location, price...) and return it as now stored; event `spool.updated`.

    `spool` may have been read before another request moved its weight: only the
    fields sent are written, so its weight and ledger position stay the ledger's.
    """
    fields = sent(changes)
    ensure_same_tenant(spool.tenant_id, fields.get("material"))
    if "rfid_uid" in fields:
        fields["rfid_uid"] = normalize_rfid_uid(fields["rfid_uid"] or "")
    with transaction.atomic():
        read, spool = spool, lock_spools({spool.pk})[spool.pk]
        _keep_material(spool, read)
        # What runs reserve on it and where it is loaded do not change with its own fields: as read.
        for name in SPOOL_FLOOR_ANNOTATIONS:
            if hasattr(read, name) and not hasattr(spool, name):
                setattr(spool, name, getattr(read, name))
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
        record_events(
            tenant=spool.tenant_id, actor=user, events=[NewEvent("spool.updated", spool.pk, spool_payload(spool))]
        )
    return spool


def adjust_spool(
    *, spool: Spool, user: Actor, adjustment: Adjustment, webhooks_active: bool | None = None
) -> InventoryTransaction:
    """Apply a manual correction; its ledger row records `user` and when it happened. `webhooks_active`:
    see `record_movements`."""
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
        event_type="spool.adjusted",
        webhooks_active=webhooks_active,
    )


# The reason a weigh-in's ledger row carries (`weigh_in`).
WEIGH_IN = "weigh-in"


@dataclass(frozen=True, kw_only=True)
class WeighIn:
    """What the scale says: the spool on its reel (`gross_weight_g`); the empty reel is subtracted."""

    gross_weight_g: Decimal
    occurred_at: datetime.datetime | None = None


def weigh_in(
    *, spool: Spool, user: Actor, weighing: WeighIn, webhooks_active: bool | None = None
) -> InventoryTransaction:
    """A floor operator's weighing, as Spoolman's `measure`: the spool now holds the gross weight minus its
    empty reel (`empty_spool_weight_g`), booked as one `adjustment` row with the reason `weigh-in`;
    event `spool.adjusted`. A spool without an empty weight, or a gross weight below it, is a 400.
    `webhooks_active`: see `record_movements`."""
    if spool.empty_spool_weight_g is None:
        raise InvalidInput(
            f"Spool {spool.code} has no empty spool weight, so the scale's gross weight cannot be converted; "
            "set its empty_spool_weight_g first.",
            code=ErrorCode.NO_EMPTY_WEIGHT,
        )
    net = weighing.gross_weight_g - spool.empty_spool_weight_g
    if net < ZERO:
        raise InvalidInput(
            f"A gross weight of {weighing.gross_weight_g} g is less than spool {spool.code}'s empty reel "
            f"({spool.empty_spool_weight_g} g).",
            code=ErrorCode.BELOW_ZERO,
        )
    return record_movement(
        spool=spool,
        type=TransactionType.ADJUSTMENT,
        user=user,
        new_weight_g=net,
        description=WEIGH_IN,
        occurred_at=weighing.occurred_at,
        event_type="spool.adjusted",
        webhooks_active=webhooks_active,
    )


@dataclass(frozen=True, kw_only=True)
class Reweighing:
    """Spoolman's weights of a spool set at once (a PATCH, a weighing above what it started with):
    its initial weight (None: kept) and what it holds now (None: kept); `reason` is the ledger row's."""

    initial_weight_g: Decimal | None = None
    new_weight_g: Decimal | None = None
    reason: str = ""
    # Spoolman's use beyond the initial weight the spool keeps (`Spool.overused_g`; None: kept), and
    # whether its carried sub-cent use (`unbooked_use_g`) is dropped (the weight now sent is the truth).
    overused_g: Decimal | None = None
    clear_unbooked: bool = False


def reweigh_spool(*, spool: Spool, user: Actor, reweighing: Reweighing) -> InventoryTransaction | None:
    """Set a spool's initial weight and/or its weight now: the initial weight is its column (event
    `spool.updated`), a change of its weight one `adjustment` row by `user` (event `spool.adjusted`),
    so it still weighs what its ledger sums to. None when its weight did not change."""
    initial = reweighing.initial_weight_g
    if initial is not None and (initial < ZERO or initial > MAX_WEIGHT_G):
        raise InvalidInput(f"An initial weight of {initial} g cannot be recorded.", code=ErrorCode.INVALID)
    with transaction.atomic():
        locked = lock_spools({spool.pk}, with_material=True)[spool.pk]
        row = None
        if reweighing.new_weight_g is not None and reweighing.new_weight_g != locked.current_weight_g:
            row = record_movement(
                spool=locked,
                type=TransactionType.ADJUSTMENT,
                user=user,
                new_weight_g=reweighing.new_weight_g,
                description=reweighing.reason,
                event_type="spool.adjusted",
            )
        if initial is not None and initial != locked.initial_weight_g:
            locked.initial_weight_g = initial
            Spool.objects.filter(pk=locked.pk).update(initial_weight_g=initial, updated_at=timezone.now())
            record_events(
                tenant=locked.tenant_id,
                actor=user,
                events=[NewEvent("spool.updated", locked.pk, spool_payload(locked))],
            )
        use = {}
        if reweighing.overused_g is not None and reweighing.overused_g != locked.overused_g:
            use["overused_g"] = reweighing.overused_g
        if reweighing.clear_unbooked and locked.unbooked_use_g:
            use["unbooked_use_g"] = ZERO
        if use:
            Spool.objects.filter(pk=locked.pk).update(**use)
            for name, value in use.items():
                setattr(locked, name, value)
        for name in (
            "initial_weight_g",
            "current_weight_g",
            "ledger_version",
            "updated_at",
            "overused_g",
            "unbooked_use_g",
        ):
            setattr(spool, name, getattr(locked, name))
    return row


def remove_spool(*, spool: Spool, user: Actor = None) -> bool:
    """Spoolman's DELETE: a spool whose only ledger row is its opening one, used by no run, is deleted
    (`delete_spool`, True); one with history is archived and marked removed (`removed_at`: Spoolman's
    API no longer shows it), its ledger kept whole (False), event `spool.archived`."""
    with transaction.atomic():
        locked = lock_spools({spool.pk}, with_material=True)[spool.pk]
        history = locked.transactions.exclude(type=TransactionType.PURCHASE).exists() or locked.run_materials.exists()
        if not history:
            delete_spool(spool=locked, user=user)
            return True
        locked.is_active = False
        locked.removed_at = timezone.now()
        locked.save(update_fields=["is_active", "removed_at", "updated_at"])
        record_events(
            tenant=locked.tenant_id, actor=user, events=[NewEvent("spool.archived", locked.pk, spool_payload(locked))]
        )
    return False


def delete_spool(*, spool: Spool, user: Actor = None) -> None:
    """Delete a spool whose only ledger row is its purchase; anything else is history to keep. Event `spool.deleted`."""
    with transaction.atomic():
        lock_spools({spool.pk})
        if spool.transactions.exclude(type=TransactionType.PURCHASE).exists() or spool.run_materials.exists():
            raise Conflict(
                f"Spool {spool.code} has inventory history or is used by production runs; deactivate it instead.",
                code=ErrorCode.PROTECTED,
            )
        payload = spool_payload(spool)
        spool_id = spool.pk
        spool.transactions.all().delete()
        spool.delete()
        record_events(tenant=spool.tenant_id, actor=user, events=[NewEvent("spool.deleted", spool_id, payload)])


# --- vendors and materials ------------------------------------------------------------------
# One row and its event: the caller's transaction (the API write's) is joined without a savepoint;
# called alone, they get a transaction of their own.


@dataclass(frozen=True, kw_only=True)
class VendorFields:
    """A new vendor: its writable fields (the model's defaults where optional)."""

    name: str = ""
    comment: str = ""
    empty_spool_weight_g: Decimal | None = None
    external_id: str = ""
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class VendorChanges:
    """A PUT/PATCH of a vendor: a field left `UNSET` was not sent and keeps its value."""

    name: str | Unset = UNSET
    comment: str | Unset = UNSET
    empty_spool_weight_g: Decimal | Unset | None = UNSET
    external_id: str | Unset = UNSET
    extra: dict[str, str] | Unset = UNSET


def create_vendor(*, tenant: Tenant, user: Actor, fields: VendorFields) -> Vendor:
    """A new vendor; event `vendor.created`."""
    vendor = Vendor(tenant=tenant, **vars(fields))
    return create_recorded(vendor, user=user, event_type="vendor.created", represent=vendor_payload)


def update_vendor(*, vendor: Vendor, user: Actor, changes: VendorChanges) -> Vendor:
    """Change a vendor's fields; event `vendor.updated`."""
    return update_recorded(
        vendor, user=user, event_type="vendor.updated", represent=vendor_payload, fields=sent(changes)
    )


def delete_vendor(*, vendor: Vendor, user: Actor) -> None:
    """Delete a vendor; its materials stay, without a vendor (as Spoolman's delete does). Event `vendor.deleted`."""
    delete_recorded(vendor, user=user, event_type="vendor.deleted", represent=vendor_payload)


def vendor_by_name(*, tenant: Tenant | uuid.UUID, name: str) -> Vendor | None:
    """The tenant's one vendor named `name` (exactly), None when none is; two or more: a 400 `ambiguous_vendor`."""
    tenant_id = tenant.pk if isinstance(tenant, Tenant) else tenant
    found = list(Vendor.objects.filter(tenant_id=tenant_id, name=name).order_by("number")[:2])
    if len(found) > 1:
        raise AmbiguousVendor(
            f"More than one vendor is named {name!r}: name the vendor by its id (`vendor`) instead.",
            name=name,
        )
    return found[0] if found else None


def _resolve_vendor(
    *, tenant_id: uuid.UUID, user: Actor, vendor: Vendor | Unset | None, vendor_name: str | Unset | None
) -> Vendor | Unset | None:
    """The material's vendor from what was sent: `vendor` (a row), or `vendor_name` (the REST API's `brand`):
    "" is no vendor, a name the one vendor of that name, a new vendor when none has it (event `vendor.created`).
    Both sent must agree (a null `vendor` beside a name: the name's). `UNSET`: neither sent."""
    if vendor_name is None or isinstance(vendor_name, Unset):
        if isinstance(vendor, Vendor):
            ensure_same_tenant(tenant_id, vendor)
        return vendor
    if isinstance(vendor, Vendor):
        if vendor_name != vendor.name:
            raise InvalidInput(
                f"brand {vendor_name!r} is not the name of the vendor given ({vendor.name!r}); send one of them.",
                code=ErrorCode.INVALID,
            )
        ensure_same_tenant(tenant_id, vendor)
        return vendor
    if vendor_name == "":
        return None
    longest = Vendor._meta.get_field("name").max_length or 0
    if len(vendor_name) > longest:
        raise InvalidInput(f"A vendor's name (brand) has at most {longest} characters.", code=ErrorCode.INVALID)
    found = vendor_by_name(tenant=tenant_id, name=vendor_name)
    if found is not None:
        return found
    new = Vendor(tenant_id=tenant_id, name=vendor_name)
    return create_recorded(new, user=user, event_type="vendor.created", represent=vendor_payload)


@dataclass(frozen=True, kw_only=True)
class MaterialFields:
    """A new material: its writable fields (the model's defaults where optional).

    Its vendor is `vendor`, or `vendor_name` (the REST API's `brand`): the tenant's one vendor of that
    name, created when none has it (`_resolve_vendor`).
    """

    name: str = ""
    kind: str
    vendor: Vendor | None = None
    vendor_name: str | None = None
    material_name: str = ""
    color_name: str = ""
    color_hex: str = ""
    diameter_mm: Decimal = Decimal("1.75")
    density_g_cm3: Decimal | None = None
    notes: str = ""
    low_stock_threshold_percent: Decimal = DEFAULT_LOW_STOCK_PERCENT
    low_stock_threshold_g: Decimal | None = None
    price: Decimal | None = None
    weight_g: Decimal | None = None
    spool_weight_g: Decimal | None = None
    article_number: str = ""
    settings_extruder_temp: int | None = None
    settings_bed_temp: int | None = None
    multi_color_hexes: str = ""
    multi_color_direction: str = ""
    external_id: str = ""
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class MaterialFieldChanges:
    """A PUT/PATCH of a material: a field left `UNSET` was not sent and keeps its value (`vendor_name`: as
    in `MaterialFields`)."""

    name: str | Unset = UNSET
    kind: str | Unset = UNSET
    vendor: Vendor | Unset | None = UNSET
    vendor_name: str | Unset = UNSET
    material_name: str | Unset = UNSET
    color_name: str | Unset = UNSET
    color_hex: str | Unset = UNSET
    diameter_mm: Decimal | Unset = UNSET
    density_g_cm3: Decimal | Unset | None = UNSET
    notes: str | Unset = UNSET
    low_stock_threshold_percent: Decimal | Unset = UNSET
    low_stock_threshold_g: Decimal | Unset | None = UNSET
    price: Decimal | Unset | None = UNSET
    weight_g: Decimal | Unset | None = UNSET
    spool_weight_g: Decimal | Unset | None = UNSET
    article_number: str | Unset = UNSET
    settings_extruder_temp: int | Unset | None = UNSET
    settings_bed_temp: int | Unset | None = UNSET
    multi_color_hexes: str | Unset = UNSET
    multi_color_direction: str | Unset = UNSET
    external_id: str | Unset = UNSET
    extra: dict[str, str] | Unset = UNSET


def create_material(*, tenant: Tenant, user: Actor, fields: MaterialFields) -> Material:
    """A new material; event `material.created` (and `vendor.created` for a new vendor name)."""
    values = vars(fields).copy()
    vendor_name = values.pop("vendor_name")
    with transaction.atomic(savepoint=False):
        values["vendor"] = _resolve_vendor(
            tenant_id=tenant.pk, user=user, vendor=fields.vendor, vendor_name=vendor_name
        )
        material = Material(tenant=tenant, **values)
        # A new material has no spools and no plan yet: nothing reserved, nothing available.
        material.reserved_g = material.available_g = ZERO
        return create_recorded(material, user=user, event_type="material.created", represent=material_payload)


# A material's fields that move its spools' low-stock line.
THRESHOLD_FIELDS = frozenset({"low_stock_threshold_percent", "low_stock_threshold_g"})


def update_material(*, material: Material, user: Actor, changes: MaterialFieldChanges) -> Material:
    """Change a material's fields; event `material.updated`, and `spool.low_stock` for each of its
    spools that a new threshold puts below the line (as a weight crossing it does)."""
    fields = sent(changes)
    vendor_name = fields.pop("vendor_name", UNSET)
    with transaction.atomic(savepoint=False):
        vendor = _resolve_vendor(
            tenant_id=material.tenant_id, user=user, vendor=fields.pop("vendor", UNSET), vendor_name=vendor_name
        )
        if not isinstance(vendor, Unset):
            fields["vendor"] = vendor
        if not THRESHOLD_FIELDS & fields.keys():
            return update_recorded(
                material, user=user, event_type="material.updated", represent=material_payload, fields=fields
            )
        spools = Spool.objects.filter(material=material)
        low_before = set(spools.low_stock().values_list("pk", flat=True))
        update_recorded(material, user=user, event_type="material.updated", represent=material_payload, fields=fields)
        newly_low = spools.low_stock().exclude(pk__in=low_before).select_related("material").order_by("pk")
        events = [NewEvent("spool.low_stock", spool.pk, spool_payload(spool)) for spool in newly_low]
        if events:
            record_events(tenant=material.tenant_id, actor=user, events=events)
    return material


def remove_material(*, material: Material, user: Actor) -> bool:
    """Spoolman's DELETE of a filament: a material no spool names is deleted (`delete_material`, True).
    One whose spools were all removed through Spoolman's API (`remove_spool`: kept for their ledger)
    cannot be erased; it is marked removed (`removed_at`: Spoolman's API no longer shows it, ours
    still does), event `material.removed` (False). A spool not removed still using it: a 409 `protected`."""
    with transaction.atomic():
        found = lock_rows(Material.objects.filter(pk=material.pk))
        if not found:
            raise NotFound("The material was deleted by another request.")
        (locked,) = found
        spools = Spool.objects.filter(material=locked)
        if not spools.exists():
            delete_material(material=locked, user=user)
            return True
        if spools.filter(removed_at__isnull=True).exists():
            raise Conflict(f"Material {locked} is used by spools; it cannot be removed.", code=ErrorCode.PROTECTED)
        if locked.removed_at is None:
            locked.removed_at = timezone.now()
            locked.save(update_fields=["removed_at", "updated_at"])
            record_events(
                tenant=locked.tenant_id,
                actor=user,
                events=[NewEvent("material.removed", locked.pk, material_payload(locked))],
            )
    return False


def delete_material(*, material: Material, user: Actor) -> None:
    """Delete a material no spool uses (else Django's ProtectedError: a 409 `protected`); event `material.deleted`."""
    delete_recorded(material, user=user, event_type="material.deleted", represent=material_payload)
