"""A Bambu Lab printer's MQTT reports: merging the partial ones, and reading the fields the API shows.

The printer publishes JSON on `device/{serial}/report`; its state is under `print`. X1 printers
send the full state every second; P1 and A1 printers send it once when asked (`pushall`) and
then only what changed, so the bridge keeps the last full state and merges each report into it
(`merge`): objects merge key by key, anything else (a number, a string, a list: the AMS units
come whole) replaces what was there.

Field meanings (as the printers send them): `gcode_state` IDLE, PREPARE, SLICING, RUNNING,
PAUSE, FINISH, FAILED; `mc_percent` 0-100; `mc_remaining_time` minutes; `layer_num`,
`total_layer_num`; `nozzle_temper`, `bed_temper` in °C; `subtask_name` the job; `ams.ams[u].tray[t]`
the AMS trays (`tray_type`, `tray_color` RRGGBBAA, `remain` percent or -1, `tag_uid`,
`tray_uuid` the spool's RFID identity, both zeros when untagged; a tray with only its `id` is
empty); `vt_tray` the external spool holder.
"""

from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

TRAYS_PER_AMS = 4
# What the printers send for "no tag".
UNTAGGED = frozenset({"", "0" * 16, "0" * 32})


def merge(state: dict[str, Any], report: dict[str, Any]) -> dict[str, Any]:
    """`state` with `report` merged in (a new dict; neither argument is changed)."""
    merged = dict(state)
    for key, value in report.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


@dataclass(frozen=True, kw_only=True)
class Tray:
    """One AMS tray or the external holder, as reported. `slot` is u*4+t, or None for the external holder
    (which is the printer's last slot: bambu.services places it)."""

    slot: int | None
    ams_unit: int | None
    tray: int | None
    type: str
    color_hex: str
    remain_percent: int | None
    tag_uid: str
    tray_uuid: str

    @property
    def is_tagged(self):
        return bool(self.tray_uuid)

    def as_json(self):
        return asdict(self)


@dataclass(frozen=True, kw_only=True)
class Snapshot:
    """The fields of a printer's state that the API shows and the bookings read."""

    gcode_state: str = ""
    progress_percent: int | None = None
    remaining_minutes: int | None = None
    layer: int | None = None
    total_layers: int | None = None
    nozzle_temperature_c: Decimal | None = None
    bed_temperature_c: Decimal | None = None
    job_name: str = ""
    trays: tuple[Tray, ...] = ()


def _int(value, *, low=0, high=None):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    if number < low or (high is not None and number > high):
        return None
    return number


def _temperature(value):
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        return None
    return number if Decimal("-100") < number < Decimal("1000") else None


def _text(value, limit=255):
    return value[:limit] if isinstance(value, str) else ""


def _color(value):
    text = _text(value, 8)
    if len(text) >= 6 and all(c in "0123456789abcdefABCDEF" for c in text[:6]):
        return "#" + text[:6].upper()
    return ""


def normalize_uid(value) -> str:
    """An RFID identity as stored and compared: upper-case hex without separators; '' for none."""
    if not isinstance(value, str):
        return ""
    uid = value.replace(":", "").replace("-", "").replace(" ", "").upper()[:64]
    return "" if uid in UNTAGGED or not all(c in "0123456789ABCDEF" for c in uid) else uid


def _tray(raw, *, slot, ams_unit, tray):
    remain = _int(raw.get("remain"), high=100)
    return Tray(
        slot=slot,
        ams_unit=ams_unit,
        tray=tray,
        type=_text(raw.get("tray_type"), 32),
        color_hex=_color(raw.get("tray_color")),
        remain_percent=remain,
        tag_uid=normalize_uid(raw.get("tag_uid")),
        tray_uuid=normalize_uid(raw.get("tray_uuid")),
    )


def trays(state: dict[str, Any]) -> tuple[Tray, ...]:
    """The trays that hold something (a tray with only its id is empty), AMS first, then the external holder."""
    found = []
    ams = state.get("ams")
    units = ams.get("ams") if isinstance(ams, dict) else None
    for unit in units if isinstance(units, list) else []:
        if not isinstance(unit, dict):
            continue
        unit_id = _int(unit.get("id"), high=15)
        for raw in unit.get("tray") or []:
            if not isinstance(raw, dict) or unit_id is None:
                continue
            tray_id = _int(raw.get("id"), high=TRAYS_PER_AMS - 1)
            if tray_id is None or not raw.get("tray_type"):
                continue
            found.append(_tray(raw, slot=unit_id * TRAYS_PER_AMS + tray_id, ams_unit=unit_id, tray=tray_id))
    external = state.get("vt_tray")
    if isinstance(external, dict) and external.get("tray_type"):
        found.append(_tray(external, slot=None, ams_unit=None, tray=None))
    return tuple(sorted(found, key=lambda t: (t.slot is None, t.slot or 0)))


def snapshot(report: dict[str, Any]) -> Snapshot:
    """What the API shows of a merged report (the whole message, whose state is under `print`)."""
    state = report.get("print")
    if not isinstance(state, dict):
        return Snapshot()
    return Snapshot(
        gcode_state=_text(state.get("gcode_state"), 16).upper(),
        progress_percent=_int(state.get("mc_percent"), high=100),
        remaining_minutes=_int(state.get("mc_remaining_time")),
        layer=_int(state.get("layer_num")),
        total_layers=_int(state.get("total_layer_num")),
        nozzle_temperature_c=_temperature(state.get("nozzle_temper")),
        bed_temperature_c=_temperature(state.get("bed_temper")),
        job_name=_text(state.get("subtask_name")) or _text(state.get("gcode_file")),
        trays=trays(state),
    )


# What the printer's state means for the farm (the status's `state`); connection trouble is `offline`.
PRINTING_STATES = frozenset({"PREPARE", "SLICING", "RUNNING"})
FARM_STATES = {"IDLE": "idle", "PAUSE": "paused", "FINISH": "finished", "FAILED": "failed"}


def farm_state(gcode_state: str) -> str:
    if gcode_state in PRINTING_STATES:
        return "printing"
    return FARM_STATES.get(gcode_state, "idle")
