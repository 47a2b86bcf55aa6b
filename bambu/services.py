"""Writes of the Bambu Lab integration: an admin's connection settings, and what the bridge hears.

The bridge (bambu/bridge.py) calls the `record_*` and `book_*` functions for one printer at a
time, inside that printer's tenant scope (and, on PostgreSQL, its row-level security), with
the `Link` it connected with: a report that arrives over a connection whose settings have
since changed (another `version`) or been deleted is dropped.

Use is booked as `printer_use` ledger rows (source `bambu`), attributed to the printer's
in-progress run exactly like the Spoolman API's reports (spoolman.services.report_use), so
`complete/` and `fail/` charge only the difference (production.services._reported_grams) and
`reopen/` reverses only what completion wrote.
"""

import re
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from bambu import credentials
from bambu.models import (
    ConnectionKind,
    ConnectionState,
    PrinterConnection,
    PrinterStatus,
    RunLineProgress,
    TrayRemainMark,
)
from bambu.reports import Snapshot, Tray, farm_state
from core.errors import ErrorCode, InvalidInput
from core.locking import lock_rows
from events.services import NewEvent, record_events
from inventory.models import ZERO, InventoryTransaction, Spool, TransactionType
from inventory.services import Movement, lock_spools, record_movements
from production.models import Printer, ProductionRun, ProductionRunMaterial
from production.status_codes import RunStatus
from tenants.contracts import ensure_same_tenant
from tenants.models import Tenant

SOURCE = "bambu"
CENTS = Decimal("0.01")
HUNDRED = Decimal("100")
ACCESS_CODE_PATTERN = re.compile(r"^[!-~]{1,64}$")  # printable ASCII, no spaces


# --- connection settings (the API) -------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ConnectionSettings:
    """A PUT of a printer's connection. `access_code` None keeps the stored one (required the first time)."""

    host: str
    serial: str
    port: int = 8883
    kind: str = ConnectionKind.BAMBU_LAN
    access_code: str | None = field(default=None, repr=False)


def save_connection(*, tenant: Tenant, printer: Printer, user, settings: ConnectionSettings) -> PrinterConnection:
    """Create or replace `printer`'s connection; the bridge picks the change up on its next look (a few seconds).

    A change of anything the bridge connects with starts the connection's status afresh.
    """
    ensure_same_tenant(tenant, printer)
    code = settings.access_code
    if code is not None and not ACCESS_CODE_PATTERN.match(code):
        raise InvalidInput("The access code is 1 to 64 printable characters without spaces.", code=ErrorCode.INVALID)
    with transaction.atomic():
        existing = lock_rows(PrinterConnection.objects.filter(tenant=tenant, printer=printer))
        if not existing and code is None:
            raise InvalidInput("A new connection needs the printer's access_code.", code=ErrorCode.INVALID)
        values = {"kind": settings.kind, "host": settings.host, "port": settings.port, "serial": settings.serial}
        if not existing:
            connection = PrinterConnection.objects.create(
                tenant=tenant,
                printer=printer,
                created_by=user if user is not None and user.is_authenticated else None,
                access_code_encrypted=credentials.encrypt(code),
                **values,
            )
            PrinterStatus.objects.create(tenant=tenant, connection=connection)
            return connection
        (connection,) = existing
        changed = any(getattr(connection, name) != value for name, value in values.items())
        if code is not None and code != credentials.decrypt(connection.access_code_encrypted):
            connection.access_code_encrypted = credentials.encrypt(code)
            changed = True
        if changed:
            for name, value in values.items():
                setattr(connection, name, value)
            connection.version += 1
            connection.save()
            PrinterStatus.objects.filter(connection=connection).update(
                connection_state=ConnectionState.DISCONNECTED, error="", changed_at=timezone.now()
            )
        return connection


def delete_connection(*, connection: PrinterConnection) -> None:
    """Forget the printer's connection (its status with it); the bridge disconnects within seconds."""
    with transaction.atomic():
        connection.delete()


def rotate_credentials() -> int:
    """Re-encrypt every stored access code with the first key of PRINTER_CREDENTIAL_KEYS; the number rewritten.

    Spans tenants: called by the `rotate_printer_credentials` command inside `all_tenants()`.
    """
    rewritten = 0
    with transaction.atomic():
        for connection in lock_rows(PrinterConnection.objects.all()):
            rotated = credentials.rotate(connection.access_code_encrypted)
            PrinterConnection.objects.filter(pk=connection.pk).update(access_code_encrypted=rotated)
            rewritten += 1
    return rewritten


# --- what the bridge hears ---------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Link:
    """The connection a report came over: its printer and tenant, and the settings' `version`."""

    tenant_id: UUID
    printer_id: UUID
    printer_name: str
    connection_id: UUID
    version: int

    @property
    def actor_label(self):
        return f"printer:{self.printer_name}"


def _current_status(link: Link) -> PrinterStatus | None:
    """The link's status row, locked; None when its connection changed or went meanwhile."""
    rows = lock_rows(
        PrinterStatus.objects.filter(
            tenant_id=link.tenant_id, connection_id=link.connection_id, connection__version=link.version
        ),
        of=("self",),
    )
    return rows[0] if rows else None


def record_connection_state(*, link: Link, state: str, error: str = "") -> None:
    """The bridge connected, lost the connection, or had its login refused (`auth_failed`)."""
    with transaction.atomic():
        status = _current_status(link)
        if status is None or (status.connection_state, status.error) == (state, error[:255]):
            return
        status.connection_state, status.error = state, error[:255]
        status.save(update_fields=["connection_state", "error", "changed_at"])


@dataclass(frozen=True, kw_only=True)
class StatusChange:
    old: str
    new: str


def record_snapshot(*, link: Link, snapshot: Snapshot, reported_at=None) -> StatusChange | None:
    """Store what the printer reports; a change of `gcode_state` records `printer.status_changed`.

    Returns the change of `gcode_state`, if any.
    """
    reported_at = reported_at or timezone.now()
    with transaction.atomic():
        status = _current_status(link)
        if status is None:
            return None
        old = status.gcode_state
        status.connection_state = ConnectionState.CONNECTED
        status.error = ""
        status.gcode_state = snapshot.gcode_state or old
        status.progress_percent = snapshot.progress_percent
        status.remaining_minutes = snapshot.remaining_minutes
        status.layer = snapshot.layer
        status.total_layers = snapshot.total_layers
        status.nozzle_temperature_c = snapshot.nozzle_temperature_c
        status.bed_temperature_c = snapshot.bed_temperature_c
        status.job_name = snapshot.job_name
        status.trays = [tray.as_json() for tray in snapshot.trays]
        status.reported_at = reported_at
        status.save()
        if not snapshot.gcode_state or snapshot.gcode_state == old:
            return None
        change = StatusChange(old=old, new=snapshot.gcode_state)
        payload = {
            "printer": str(link.printer_id),
            "printer_name": link.printer_name,
            "old": old or None,
            "new": change.new,
            "state": farm_state(change.new),
            "progress_percent": snapshot.progress_percent,
            "job_name": snapshot.job_name,
        }
        record_events(
            tenant=link.tenant_id,
            actor=None,
            actor_label=link.actor_label,
            events=[NewEvent("printer.status_changed", link.printer_id, payload)],
        )
    return change


def in_progress_run(printer_id) -> ProductionRun | None:
    """The printer's in-progress run (the latest started, should there be several)."""
    return (
        ProductionRun.objects.filter(printer_id=printer_id, status=RunStatus.IN_PROGRESS)
        .order_by("-started_at", "-pk")
        .first()
    )


def share_of(grams: Decimal, percent: int) -> Decimal:
    """`percent` % of `grams`, rounded down to the cent: the booked total at that percent.

    Each step books the difference of two such totals, so the steps add up to exactly the
    total at the last percent (100 % of a line is its whole estimate), whatever the steps were.
    """
    return (grams * percent / HUNDRED).quantize(CENTS, rounding=ROUND_DOWN)


def _printer_use(*, spool: Spool, grams: Decimal, link: Link, description: str, material=None) -> Movement:
    taken = min(grams, spool.current_weight_g)
    return Movement(
        spool_id=spool.pk,
        type=TransactionType.PRINTER_USE,
        change_g=-taken,
        description=description,
        production_run_id=material.run_id if material is not None else None,
        production_run_material_id=material.pk if material is not None else None,
        printer_id=link.printer_id,
        source=SOURCE,
        excess_g=grams - taken,
    )


def _book(link: Link, movements) -> list[InventoryTransaction]:
    if not movements:
        return []
    events: list[NewEvent] = []
    rows = record_movements(movements=movements, user=None, event_type="spool.adjusted", events=events)
    record_events(tenant=link.tenant_id, actor=None, actor_label=link.actor_label, events=events)
    return rows


def book_progress(*, link: Link, percent: int) -> list[InventoryTransaction]:
    """The printer's in-progress run has printed `percent` %: book each line's estimate times the advance.

    Exactly once: the run is locked first (as every run operation locks it, so a completion
    waits for this booking and then charges only the rest), then the lines' spools, and each
    line's booked percent is read and advanced under them. A report at or below the booked
    percent (repeated, older, or seen by a second bridge) books nothing.
    """
    if not 0 < percent <= 100:
        return []
    with transaction.atomic():
        run = in_progress_run(link.printer_id)
        if run is None:
            return []
        (run,) = lock_rows(ProductionRun.objects.filter(pk=run.pk))
        if run.status != RunStatus.IN_PROGRESS:
            return []
        materials = list(ProductionRunMaterial.objects.filter(run=run).order_by("pk"))
        if not materials:
            return []
        spools = lock_spools({material.spool_id for material in materials})
        progress = {
            row.run_material_id: row
            for row in lock_rows(RunLineProgress.objects.filter(run_material__in=[m.pk for m in materials]))
        }
        movements, advanced = [], []
        for material in materials:
            line = progress.get(material.pk)
            if line is None:
                line = RunLineProgress(tenant_id=run.tenant_id, run_material=material, booked_percent=0)
            if percent <= line.booked_percent:
                continue
            grams = share_of(material.estimated_total_g, percent) - share_of(
                material.estimated_total_g, line.booked_percent
            )
            line.booked_percent = percent
            advanced.append(line)
            if grams > ZERO:
                movements.append(
                    _printer_use(
                        spool=spools[material.spool_id],
                        grams=grams,
                        link=link,
                        material=material,
                        description=f"Printed by {link.printer_name} to {percent} % of run {run.run_number}",
                    )
                )
        for line in advanced:
            line.save()
        return _book(link, movements)


def book_tray_remains(*, link: Link, trays: tuple[Tray, ...]) -> list[InventoryTransaction]:
    """Tagged trays' `remain`: without a run in progress on the printer, a drop books that share of the spool.

    Each spool's mark (`TrayRemainMark`) is read and lowered under the spool's lock, so a drop
    is booked once whoever reports it; while a run is in progress the mark is lowered without
    booking (the run's progress books that use). The first sighting of a spool only sets the mark.
    """
    remains = {
        tray.tray_uuid: tray.remain_percent for tray in trays if tray.is_tagged and tray.remain_percent is not None
    }
    if not remains:
        return []
    with transaction.atomic():
        found = {
            spool.rfid_uid: spool.pk
            for spool in Spool.objects.filter(tenant_id=link.tenant_id, rfid_uid__in=list(remains)).only(
                "pk", "rfid_uid"
            )
        }
        if not found:
            return []
        booking = in_progress_run(link.printer_id) is None
        spools = lock_spools(set(found.values()))
        marks = {mark.spool_id: mark for mark in lock_rows(TrayRemainMark.objects.filter(spool_id__in=list(spools)))}
        movements = []
        for uid, spool_id in sorted(found.items(), key=lambda pair: str(pair[1])):
            spool, remain = spools[spool_id], remains[uid]
            mark = marks.get(spool_id)
            if mark is None:
                TrayRemainMark.objects.create(
                    tenant_id=link.tenant_id, spool=spool, printer_id=link.printer_id, remain_percent=remain
                )
                continue
            if remain >= mark.remain_percent:
                continue
            grams = share_of(spool.initial_weight_g, mark.remain_percent) - share_of(spool.initial_weight_g, remain)
            TrayRemainMark.objects.filter(pk=mark.pk).update(
                remain_percent=remain, printer_id=link.printer_id, updated_at=timezone.now()
            )
            if booking and grams > ZERO:
                movements.append(
                    _printer_use(
                        spool=spool,
                        grams=grams,
                        link=link,
                        description=f"{link.printer_name}'s AMS: {mark.remain_percent} % -> {remain} % remaining",
                    )
                )
        return _book(link, movements)
