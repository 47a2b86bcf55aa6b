"""Spools as SpoolSerializer shows them, written for the spool list and detail: `.values()` rows to JSON data.

The spool endpoints are the ones printers and scripts poll. Through the serializer a page of 20
spools is 20 spool and 20 material instances and about 600 DRF field calls; here the page reads
the columns it shows (`SPOOL_COLUMNS`, from a `SpoolQuerySet.for_floor()` queryset) and writes
each value as the serializer's field would (core/api/pages.py), keys in the serializer's order.
`tests/inventory/test_spool_pages.py` renders varied spools both ways and compares the JSON bytes.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils import timezone
from rest_framework.fields import DateField

from core.api.pages import PER_GRAM, moment, places, two_places
from inventory.models import ZERO, Spool, cost_per_gram, remaining_percent

# The spool's columns, its material's and what `for_floor` annotates (SPOOL_FLOOR_ANNOTATIONS).
SPOOL_COLUMNS = (
    "id", "number", "code", "material_id", "material__name", "material__kind", "material__color_name",
    "material__color_hex", "initial_weight_g", "current_weight_g", "reserved_g", "empty_spool_weight_g",
    "purchase_price", "purchased_at", "supplier", "location", "is_active", "loaded_printer_id",
    "loaded_printer_name", "loaded_slot", "rfid_uid", "lot_nr", "comment", "extra", "first_used", "last_used",
    "created_at", "updated_at",
)  # fmt: skip

MATERIAL_COLUMNS = tuple(column for column in SPOOL_COLUMNS if column.startswith("material__"))
_DATE = DateField(read_only=True)


def represent(spools: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """SpoolSerializer's data for `spools` (rows of SPOOL_COLUMNS), in their order."""
    zone = timezone.get_current_timezone()
    page = []
    for spool in spools:
        initial, current, reserved = spool["initial_weight_g"], spool["current_weight_g"], spool["reserved_g"]
        price, purchased_at, slot = spool["purchase_price"], spool["purchased_at"], spool["loaded_slot"]
        page.append(
            {
                "id": str(spool["id"]),
                "number": spool["number"],
                "code": spool["code"],
                "material": spool["material_id"],
                "material_name": spool["material__name"],
                "material_kind": spool["material__kind"],
                "color_name": spool["material__color_name"],
                "color_hex": spool["material__color_hex"],
                "initial_weight_g": two_places(initial),
                "current_weight_g": two_places(current),
                "reserved_g": two_places(reserved),
                "available_g": two_places(current - reserved),
                "remaining_percent": two_places(remaining_percent(current, initial)),
                "empty_spool_weight_g": two_places(spool["empty_spool_weight_g"]),
                "purchase_price": two_places(price),
                "cost_per_gram": places(cost_per_gram(price, initial), PER_GRAM),
                "purchased_at": None if purchased_at is None else _DATE.to_representation(purchased_at),
                "supplier": spool["supplier"],
                "location": spool["location"],
                "is_active": spool["is_active"],
                "loaded_in": None
                if slot is None
                else {
                    "printer": spool["loaded_printer_id"],
                    "printer_name": spool["loaded_printer_name"],
                    "slot": slot,
                },
                "rfid_uid": spool["rfid_uid"],
                "lot_nr": spool["lot_nr"],
                "comment": spool["comment"],
                "extra": spool["extra"],
                "first_used": moment(spool["first_used"], zone),
                "last_used": moment(spool["last_used"], zone),
                "created_at": moment(spool["created_at"], zone),
                "updated_at": moment(spool["updated_at"], zone),
            }
        )
    return page


def represent_spool(spool: Spool) -> dict[str, Any]:
    """SpoolSerializer's data for one spool, its material loaded (an adjusted spool, an event's payload).

    What the spool was read without is left out, as the serializer leaves it out: `reserved_g` and
    `available_g` without `with_reservations()`, `loaded_in` without `with_slot()` (both: `for_floor()`).
    """
    row = {column: getattr(spool, column, None) for column in SPOOL_COLUMNS if "__" not in column}
    row.update({column: getattr(spool.material, column[len("material__") :]) for column in MATERIAL_COLUMNS})
    reserved = hasattr(spool, "reserved_g")
    if not reserved:
        row["reserved_g"] = ZERO  # written below, then left out
    data = represent([row])[0]
    if not reserved:
        del data["reserved_g"], data["available_g"]
    if not hasattr(spool, "loaded_slot"):
        del data["loaded_in"]
    return data
