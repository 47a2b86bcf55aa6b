"""Read paths of the farm floor (SPEC 8.1-8.3): a printer's slots and the queue of planned runs."""

from decimal import Decimal

from django.db.models import OuterRef, Subquery, Sum

from inventory.models import ZERO, Spool
from production.models import Printer, PrinterSlot, ProductionRun, ProductionRunMaterial
from production.services.dispatch import queued_runs
from production.services.slots import slot_entry
from production.status_codes import PRINTING_STATUSES


def printer_slots(printer: Printer) -> list[dict]:
    """One entry per slot of `printer` (0 .. slot_count-1), loaded or not, in one query: the loaded
    slots with their spools, materials and the spools' reservations."""
    spools = Spool.objects.with_reservations()
    rows = (
        PrinterSlot.objects.filter(tenant_id=printer.tenant_id, printer=printer)
        .select_related("spool__material", "loaded_by")
        .annotate(spool_reserved_g=Subquery(spools.filter(pk=OuterRef("spool_id")).values("reserved_g")[:1]))
    )
    by_slot = {}
    for row in rows:
        row.spool.reserved_g = row.spool_reserved_g
        by_slot[row.slot] = row
    return [slot_entry(printer, slot, by_slot.get(slot)) for slot in range(printer.slot_count)]


class QueueState:
    """Each planned line's shortage and each planned run's readiness, for the whole queue, in five queries.

    Walking the queue in dispatch order, a line draws on its spool (or, naming only a material, on
    its material's active spools): what the in-progress runs reserve is gone first, then what the
    runs ahead of it reserve. Its `shortage_g` is what is left of its reservation after that (0:
    fed). A run is `ready` when no line is short and its printer, if it has one, is idle.
    """

    def __init__(self, tenant):
        order = {run_id: position for position, run_id in enumerate(queued_runs(tenant).values_list("pk", flat=True))}
        lines = list(
            ProductionRunMaterial.objects.for_tenant(tenant)
            .reserving()
            .values("pk", "run_id", "run__status", "spool_id", "material_id", "spool__material_id", "reserved_g")
        )
        spool_ids = {line["spool_id"] for line in lines if line["spool_id"]}
        material_ids = {line["material_id"] or line["spool__material_id"] for line in lines}
        spools = {
            row["pk"]: row
            for row in Spool.objects.for_tenant(tenant)
            .filter(pk__in=spool_ids)
            .values("pk", "current_weight_g", "is_active", "material_id")
        }
        stock = dict(
            Spool.objects.for_tenant(tenant)
            .filter(material__in=material_ids, is_active=True)
            .order_by()
            .values("material")
            .annotate(total=Sum("current_weight_g"))
            .values_list("material", "total")
        )
        self.busy_printers = set(
            ProductionRun.objects.for_tenant(tenant)
            .filter(status__in=PRINTING_STATUSES, printer__isnull=False)
            .values_list("printer_id", flat=True)
        )
        spool_free = {pk: row["current_weight_g"] if row["is_active"] else ZERO for pk, row in spools.items()}
        material_free = {pk: grams or ZERO for pk, grams in stock.items()}
        self.shortages, self.short_runs = {}, set()
        printing = [line for line in lines if line["run_id"] not in order]
        planned = sorted((line for line in lines if line["run_id"] in order), key=lambda line: order[line["run_id"]])
        for position, line in enumerate([*printing, *planned]):
            need = line["reserved_g"] or ZERO
            material = line["material_id"] or line["spool__material_id"]
            if line["spool_id"]:
                free = spool_free.get(line["spool_id"], ZERO)
                spool_free[line["spool_id"]] = free - need
                if spools.get(line["spool_id"], {}).get("is_active"):
                    material_free[material] = material_free.get(material, ZERO) - need
            else:
                free = material_free.get(material, ZERO)
                material_free[material] = free - need
            if position < len(printing):
                continue  # an in-progress line only draws first: the queue shows the planned lines' shortages
            short = min(max(need - max(free, ZERO), ZERO), need)
            self.shortages[str(line["pk"])] = short
            if short > ZERO:
                self.short_runs.add(line["run_id"])

    def shortage(self, line_id) -> Decimal:
        return self.shortages.get(str(line_id), ZERO)

    def ready(self, run) -> bool:
        return self.run_ready(run.pk, run.printer_id)

    def run_ready(self, run_id, printer_id) -> bool:
        """`ready` of the run `run_id` on `printer_id` (its printer's id, or None)."""
        return run_id not in self.short_runs and (printer_id is None or printer_id not in self.busy_printers)
