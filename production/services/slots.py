"""Loading spools into printer slots (SPEC 8.3): the one write path of `PrinterSlot`.

A slot holds at most one spool and a spool sits in at most one slot of its tenant, so loading
a spool moves it out of wherever it was and pushes out whatever the slot held. The printer's
row is locked first (its slots change one request at a time), then the spool's: a spool
loaded into two printers at once is moved by one request after the other. Each change is in
the events feed: `printer.slot_changed` for each printer whose slot changed, and
`spool.loaded` / `spool.unloaded` in each moved spool's own history.
"""

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.errors import ErrorCode, InvalidInput, NotFound
from core.locking import lock_rows
from events.services import NewEvent, record_events
from inventory.models import Spool
from inventory.services import spool_payload
from production.models import Printer, PrinterSlot
from tenants.contracts import Actor, ensure_same_tenant

__all__ = ["SlotLoad", "check_slot", "ensure_slots_fit", "load_slot", "slot_entry"]


@dataclass(frozen=True, kw_only=True)
class SlotLoad:
    """What slot `slot` (0-based) of a printer should hold: `spool`, or nothing (None unloads)."""

    slot: int
    spool: Spool | None


def check_slot(printer: Printer, slot: int) -> None:
    """A slot outside `0..slot_count-1` does not exist: 404, as for any path that names nothing."""
    if not 0 <= slot < printer.slot_count:
        raise NotFound(
            f"Printer {printer.name} has slots 0 to {printer.slot_count - 1}; there is no slot {slot}.",
            slot_count=printer.slot_count,
        )


def ensure_slots_fit(*, printer: Printer, slot_count: int) -> None:
    """A printer cannot shrink below a loaded slot: 400 naming it (unload it first)."""
    loaded = (
        PrinterSlot.objects.filter(tenant_id=printer.tenant_id, printer=printer, slot__gte=slot_count)
        .order_by("slot")
        .values_list("slot", flat=True)
    )
    if loaded:
        raise InvalidInput(
            f"Slot {loaded[0]} of printer {printer.name} holds a spool; unload it before setting "
            f"slot_count to {slot_count}.",
            code=ErrorCode.SLOT_LOADED,
            slots=list(loaded),
        )


def slot_entry(printer: Printer, slot: int, row: PrinterSlot | None) -> dict:
    """One slot as the API shows it (`GET printers/{id}/slots/`): the spool it holds, or null.

    `row.spool` carries `reserved_g`/`available_g` when it was read `with_reservations()`.
    """
    spool = row.spool if row is not None else None
    return {
        "printer": printer.pk,
        "printer_name": printer.name,
        "slot": slot,
        "spool": None if spool is None else slot_spool(spool),
        "loaded_at": row.loaded_at if row is not None else None,
        "loaded_by": (row.loaded_by.get_username() if row.loaded_by is not None else None) if row else None,
    }


def slot_spool(spool: Spool) -> dict:
    """The loaded spool's part of a slot entry; `spool` was read `with_reservations()`."""
    return {
        "id": spool.pk,
        "code": spool.code,
        "number": spool.number,
        "material": spool.material_id,
        "material_name": spool.material.name,
        "material_kind": spool.material.kind,
        "color_hex": spool.material.color_hex,
        "current_weight_g": spool.current_weight_g,
        "available_g": spool.available_g,
    }


def _lock_spool(spool: Spool) -> Spool:
    spools = Spool.objects.filter(pk=spool.pk).with_material().with_reservations()
    locked = lock_rows(spools, of=("self",))
    if not locked:
        raise InvalidInput(f"Spool {spool.code} was deleted by another request.", code=ErrorCode.DOES_NOT_EXIST)
    return locked[0]


def _lock_printer(printer: Printer) -> Printer:
    (locked,) = lock_rows(Printer.objects.filter(pk=printer.pk), pks=[printer.pk])
    return locked


def load_slot(*, printer: Printer, user: Actor, load: SlotLoad, actor_label: str | None = None) -> dict:
    """Put `load.spool` into slot `load.slot` of `printer` (None empties it); return the slot's entry.

    Refused, writing nothing: a slot outside the printer (404), another tenant's spool (400), an
    inactive spool (400). Loading the spool the slot already holds changes nothing and records nothing.
    `actor_label` names an integration acting without a user (a printer's own report of its trays).
    """
    ensure_same_tenant(printer.tenant_id, load.spool)
    with transaction.atomic():
        printer = _lock_printer(printer)
        check_slot(printer, load.slot)
        spool = None
        if load.spool is not None:
            spool = _lock_spool(load.spool)
            if not spool.is_active:
                raise InvalidInput(
                    f"Spool {spool.code} is inactive; it cannot be loaded.", code=ErrorCode.SPOOL_INACTIVE
                )
        rows = PrinterSlot.objects.filter(tenant_id=printer.tenant_id).select_related("printer", "spool__material")
        current = rows.filter(printer=printer, slot=load.slot).first()
        if (current.spool_id if current else None) == (spool.pk if spool else None):
            if current is not None:
                assert spool is not None  # the slot holds it: a slot's spool is never null
                current.spool = spool  # as locked, with its reservations
            return slot_entry(printer, load.slot, current)
        events = []
        moved_from = rows.filter(spool=spool).first() if spool is not None else None
        if current is not None:
            current.delete()
            events.append(_spool_event("spool.unloaded", current.spool, None))
        if moved_from is not None:
            moved_from.delete()
            events.append(_slot_event(moved_from.printer, moved_from.slot, None, previous=spool))
        row = None
        if spool is not None:
            row = PrinterSlot.objects.create(
                tenant_id=printer.tenant_id,
                printer=printer,
                slot=load.slot,
                spool=spool,
                loaded_at=timezone.now(),
                loaded_by=user if user is not None and user.is_authenticated else None,
            )
            events.append(_spool_event("spool.loaded", spool, row))
        entry = slot_entry(printer, load.slot, row)
        previous = current.spool if current is not None else None
        events.append(NewEvent("printer.slot_changed", printer.pk, {**entry, "previous_spool": _brief(previous)}))
        record_events(tenant=printer.tenant_id, actor=user, actor_label=actor_label, events=events)
    return entry


def _brief(spool: Spool | None) -> dict[str, Any] | None:
    return None if spool is None else {"id": spool.pk, "code": spool.code, "number": spool.number}


def _slot_event(printer: Printer, slot: int, row: PrinterSlot | None, *, previous: Spool | None) -> NewEvent:
    return NewEvent(
        "printer.slot_changed", printer.pk, {**slot_entry(printer, slot, row), "previous_spool": _brief(previous)}
    )


def _spool_event(event_type: str, spool: Spool, row: PrinterSlot | None) -> NewEvent:
    """The spool as the API shows it, with where it sits now (`loaded_in`)."""
    if row is not None:
        spool.loaded_printer_id, spool.loaded_printer_name, spool.loaded_slot = (
            row.printer_id,
            row.printer.name,
            row.slot,
        )
    else:
        spool.loaded_printer_id = spool.loaded_printer_name = spool.loaded_slot = None
    return NewEvent(event_type, spool.pk, spool_payload(spool))
