"""Spoolman's exports under `/spoolman/<key>/api/v1/export/`: `vendors` and `filaments`, `?fmt=csv|json`.

As Spoolman's: each row is its database row flattened (a filament's vendor as `vendor.<column>`,
extra fields as `extra.<key>` holding their JSON text), `registered` as `YYYY-MM-DD HH:MM:SS`
(UTC), missing values empty (CSV) or null (JSON). CSV columns are every row's names, sorted; a
text cell a spreadsheet would take for a formula gets a leading `'`. Offered as a download.
"""

import csv
import datetime
import io
import json
from collections.abc import Callable, Iterable
from typing import Any

from django.http import HttpResponse

from inventory.models import Material, Vendor
from spoolman import shapes
from spoolman.api import endpoint
from spoolman.errors import SpoolmanError

FORMATS = {"csv": "text/csv", "json": "application/json"}
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def registered(moment: datetime.datetime) -> str:
    return str(moment.astimezone(datetime.UTC).replace(tzinfo=None, microsecond=0))


def or_none(text: str) -> str | None:
    return text or None


def with_extra(row: dict[str, Any], values: dict[str, str], prefix: str = "") -> dict[str, Any]:
    row.update({f"{prefix}extra.{key}": value for key, value in (values or {}).items()})
    return row


def vendor_row(vendor: Vendor, prefix: str = "") -> dict[str, Any]:
    columns = {
        "id": vendor.number,
        "registered": registered(vendor.created_at),
        "name": vendor.name,
        "empty_spool_weight": shapes.number(vendor.empty_spool_weight_g),
        "comment": or_none(vendor.comment),
        "external_id": or_none(vendor.external_id),
    }
    return with_extra({f"{prefix}{name}": value for name, value in columns.items()}, vendor.extra, prefix)


def filament_row(material: Material) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": material.number,
        "registered": registered(material.created_at),
        "name": or_none(material.name),
        "vendor_id": material.vendor.number if material.vendor_id is not None else None,
        "material": shapes.material_text(material),
        "price": shapes.number(material.price),
        "density": shapes.number(shapes.density_of(material)),
        "diameter": shapes.number(material.diameter_mm),
        "weight": shapes.number(material.weight_g),
        "spool_weight": shapes.number(material.spool_weight_g),
        "article_number": or_none(material.article_number),
        "comment": or_none(material.notes),
        "settings_extruder_temp": material.settings_extruder_temp,
        "settings_bed_temp": material.settings_bed_temp,
        "color_hex": or_none(material.color_hex.lstrip("#")),
        "multi_color_hexes": or_none(material.multi_color_hexes),
        "multi_color_direction": or_none(material.multi_color_direction),
        "external_id": or_none(material.external_id),
    }
    if material.vendor_id is not None:
        row.update(vendor_row(material.vendor, "vendor."))
    else:
        row["vendor"] = None
    return with_extra(row, material.extra)


def cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def exported(request, rows: Iterable[Any], flatten: Callable[[Any], dict[str, Any]], name: str) -> HttpResponse:
    fmt = request.GET.get("fmt")
    if fmt not in FORMATS:
        raise SpoolmanError(422, "fmt must be one of: csv, json.")
    flat = [flatten(row) for row in rows]
    buffer = io.StringIO()
    if fmt == "csv":
        writer = csv.DictWriter(buffer, fieldnames=sorted({key for row in flat for key in row}))
        writer.writeheader()
        for row in flat:
            writer.writerow({key: cell(value) for key, value in row.items()})
    else:
        json.dump(flat, buffer, default=str)
    response = HttpResponse(buffer.getvalue(), content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@endpoint("GET")
def export_vendors(request):
    rows = Vendor.objects.for_tenant(request.integration_key.tenant_id).order_by("number")
    return exported(request, rows, vendor_row, "vendors")


@endpoint("GET")
def export_filaments(request):
    rows = Material.objects.for_tenant(request.integration_key.tenant_id).filter(removed_at__isnull=True)
    rows = rows.select_related("vendor").order_by("number")
    return exported(request, rows, filament_row, "filaments")
