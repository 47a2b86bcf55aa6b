"""Runs as ProductionRunSerializer shows them, written for the run list's page: `.values()` rows to JSON data.

A page of 20 runs is about 4,000 fields. Through the serializer each is a DRF field's
`get_attribute` and `to_representation` on a model instance, and the instances themselves
(runs, items, products, materials, spools, catalogue materials, printers, users) cost more
than the fields. Here the page reads the columns it shows and nothing else, in the statements
the serializer's prefetch runs (the page of runs with their printer and creator, then the
items with their products, the materials with their spools and catalogue materials), and
writes each value as the serializer's field would:

- keys in the serializer's order, values of the same types (an `id` as text, a foreign key as
  a UUID, integers, text, null);
- decimals as DRF's `DecimalField` writes them (quantized to the field's places, then `:f`);
- date-times as `core.api.fields.DateTimeField` writes them, in the current (the tenant's) time
  zone, `Z` for UTC; the rare value that field treats specially (naive, or near the calendar's
  ends) is handed to the field itself;
- the totals from production.totals, the arithmetic the models' properties use.

`tests/production/test_run_pages.py` renders varied runs both ways and compares the JSON bytes.
Writes, the browsable API, CSV export and the schema still use the serializer.
"""

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.utils import timezone

from core.api.pages import PER_GRAM, moment, places, two_places
from production import totals
from production.models import ProductionRunItem, ProductionRunMaterial
from production.variance import difference, percent_of

# The run's own columns, and its printer's name and creator's username (the serializer's sources).
RUN_COLUMNS = (
    "id", "run_number", "status", "priority", "planned_start", "printer_id", "printer__name", "started_at",
    "completed_at", "duration_hours", "estimated_print_time_hours", "slicer_software", "bed_temperature_c",
    "nozzle_temperature_c", "quality_rating", "quality_notes", "failure_reason", "notes", "original_run_id",
    "created_by__username", "created_at", "updated_at",
)  # fmt: skip
ITEM_COLUMNS = (
    "run_id", "id", "product_id", "product__sku", "product__name", "quantity", "successful_quantity",
    "failed_quantity", "bed_position", "notes",
)  # fmt: skip
# A line's catalogue material is its spool's, else the one it names (ProductionRunMaterial.line_material).
MATERIAL_COLUMNS = (
    "run_id", "id", "spool_id", "spool__code", "material_id",
    "spool__material__name", "spool__material__kind", "spool__material__color_name", "spool__material__color_hex",
    "material__name", "material__kind", "material__color_name", "material__color_hex",
    "estimated_model_g", "estimated_flushed_g", "estimated_tower_g", "spool_weight_before_g", "spool_weight_after_g",
    "actual_model_g", "actual_flushed_g", "actual_tower_g", "cost_per_gram",
)  # fmt: skip


def represent(runs: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """ProductionRunSerializer's data for `runs` (rows of RUN_COLUMNS), in their order.

    Reads their items and their materials: two statements, none without runs.
    """
    runs = list(runs)
    if not runs:
        return []
    zone = timezone.get_current_timezone()
    items: dict[Any, list[dict[str, Any]]] = {run["id"]: [] for run in runs}
    materials: dict[Any, list[dict[str, Any]]] = {run_id: [] for run_id in items}
    # The children in their model's order (created_at, id), as the serializer's prefetch reads them.
    units = dict.fromkeys(items, 0)
    first_name: dict[Any, str] = {}
    for (
        run_id, pk, product_id, sku, name, quantity, successful, failed, bed_position, notes,
    ) in ProductionRunItem.objects.filter(run_id__in=items).values_list(*ITEM_COLUMNS):  # fmt: skip
        items[run_id].append(
            {
                "id": str(pk),
                "product": product_id,
                "product_sku": sku,
                "product_name": name,
                "quantity": quantity,
                "successful_quantity": successful,
                "failed_quantity": failed,
                "bed_position": bed_position,
                "notes": notes,
            }
        )
        units[run_id] += successful or 0
        first_name.setdefault(run_id, name)
    estimates: dict[Any, list[Decimal]] = {run_id: [] for run_id in items}
    actuals: dict[Any, list[Decimal | None]] = {run_id: [] for run_id in items}
    costs: dict[Any, list[Decimal | None]] = {run_id: [] for run_id in items}
    for (
        run_id, pk, spool_id, spool_code, material_id,
        spool_material_name, spool_material_kind, spool_color_name, spool_color_hex,
        material_name, material_kind, color_name, color_hex,
        model_g, flushed_g, tower_g, before_g, after_g, actual_model_g, actual_flushed_g, actual_tower_g, per_gram,
    ) in ProductionRunMaterial.objects.filter(run_id__in=items).values_list(*MATERIAL_COLUMNS):  # fmt: skip
        if spool_id is not None:
            material_name, material_kind = spool_material_name, spool_material_kind
            color_name, color_hex = spool_color_name, spool_color_hex
        estimate = totals.line_estimate(model_g, flushed_g, tower_g)
        actual = totals.line_actual(before_g, after_g, actual_model_g, actual_flushed_g, actual_tower_g)
        variance = difference(actual, estimate)
        estimates[run_id].append(estimate)
        actuals[run_id].append(actual)
        costs[run_id].append(totals.line_cost(actual, per_gram))
        materials[run_id].append(
            {
                "id": str(pk),
                "spool": spool_id,
                "spool_code": spool_code,
                "material": material_id,
                "material_name": material_name,
                "material_kind": material_kind,
                "color_name": color_name,
                "color_hex": color_hex,
                "estimated_model_g": two_places(model_g),
                "estimated_flushed_g": two_places(flushed_g),
                "estimated_tower_g": two_places(tower_g),
                "estimated_total_g": two_places(estimate),
                "spool_weight_before_g": two_places(before_g),
                "spool_weight_after_g": two_places(after_g),
                "actual_model_g": two_places(actual_model_g),
                "actual_flushed_g": two_places(actual_flushed_g),
                "actual_tower_g": two_places(actual_tower_g),
                "actual_total_g": two_places(actual),
                "cost_per_gram": places(per_gram, PER_GRAM),
                "variance_g": two_places(variance),
                "variance_percent": two_places(percent_of(variance, estimate)),
            }
        )
    page = []
    for run in runs:
        run_id = run["id"]
        run_items = items[run_id]
        estimate = totals.run_estimate(estimates[run_id])
        actual = totals.run_actual(actuals[run_id])
        variance = difference(actual, estimate)
        cost = totals.run_cost(costs[run_id])
        count = len(run_items)
        page.append(
            {
                "id": str(run_id),
                "run_number": run["run_number"],
                "status": run["status"],
                "priority": run["priority"],
                "planned_start": moment(run["planned_start"], zone),
                "printer": run["printer_id"],
                "printer_name": run["printer__name"],
                "started_at": moment(run["started_at"], zone),
                "completed_at": moment(run["completed_at"], zone),
                "duration_hours": two_places(run["duration_hours"]),
                "estimated_print_time_hours": two_places(run["estimated_print_time_hours"]),
                "slicer_software": run["slicer_software"],
                "bed_temperature_c": run["bed_temperature_c"],
                "nozzle_temperature_c": run["nozzle_temperature_c"],
                "quality_rating": run["quality_rating"],
                "quality_notes": run["quality_notes"],
                "failure_reason": run["failure_reason"],
                "notes": run["notes"],
                "original_run": run["original_run_id"],
                "is_reprint": run["original_run_id"] is not None,
                "created_by": run["created_by__username"],
                "created_at": moment(run["created_at"], zone),
                "updated_at": moment(run["updated_at"], zone),
                "items_summary": totals.items_summary(
                    count, first_name.get(run_id), run_items[0]["quantity"] if count == 1 else None
                ),
                "items": run_items,
                "materials": materials[run_id],
                "estimated_total_g": two_places(estimate),
                "actual_total_g": two_places(actual),
                "variance_g": two_places(variance),
                "variance_percent": two_places(percent_of(variance, estimate)),
                "material_cost": two_places(cost),
                "cost_per_successful_unit": two_places(totals.cost_per_unit(cost, run["status"], units[run_id])),
            }
        )
    return page
