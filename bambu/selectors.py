"""The status of a printer as the API shows it: what the bridge stored, with the spools its tags name."""

from bambu.models import ConnectionState, PrinterStatus
from bambu.reports import farm_state
from inventory.models import Spool
from production.models import Printer, ProductionRun
from production.status_codes import RunStatus


def external_slot(printer: Printer) -> int:
    """The external spool holder is the printer's last slot (slot 0 on a printer of one slot)."""
    return max(getattr(printer, "slot_count", 1) - 1, 0)


def printer_status(printer: Printer) -> dict:
    """The status of `printer` (its tenant's scope active): two queries, a third when a tray is tagged."""
    # Every connection has its status row (bambu.services.save_connection): none means no connection.
    status = PrinterStatus.objects.filter(connection__printer=printer).first()
    run = (
        ProductionRun.objects.filter(printer=printer, status=RunStatus.IN_PROGRESS)
        .order_by("-started_at", "-pk")
        .values_list("pk", flat=True)
        .first()
    )
    trays = [dict(tray) for tray in (status.trays if status is not None else [])]
    uids = {tray["tray_uuid"] for tray in trays if tray.get("tray_uuid")}
    spools = {}
    if uids:
        spools = {
            spool.rfid_uid: {"id": spool.pk, "code": spool.code, "number": spool.number}
            for spool in Spool.objects.filter(tenant_id=printer.tenant_id, rfid_uid__in=uids).only(
                "pk", "code", "number", "rfid_uid"
            )
        }
    for tray in trays:
        if tray.get("slot") is None:
            tray["slot"] = external_slot(printer)
        tray["spool"] = spools.get(tray.get("tray_uuid"))
    if status is None:
        connection_state, state = ConnectionState.NOT_CONFIGURED, None
    else:
        connection_state = status.connection_state
        connected = connection_state == ConnectionState.CONNECTED and status.gcode_state
        state = farm_state(status.gcode_state) if connected else "offline"
    return {
        "printer": printer.pk,
        "printer_name": printer.name,
        "connection_state": connection_state,
        "error": status.error if status is not None else "",
        "state": state,
        "run_state": "printing" if run is not None else "idle",
        "current_run": run,
        "gcode_state": (status.gcode_state or None) if status is not None else None,
        "progress_percent": getattr(status, "progress_percent", None),
        "remaining_minutes": getattr(status, "remaining_minutes", None),
        "layer": getattr(status, "layer", None),
        "total_layers": getattr(status, "total_layers", None),
        "nozzle_temperature_c": getattr(status, "nozzle_temperature_c", None),
        "bed_temperature_c": getattr(status, "bed_temperature_c", None),
        "job_name": (status.job_name or None) if status is not None else None,
        "trays": trays,
        "reported_at": getattr(status, "reported_at", None),
    }
