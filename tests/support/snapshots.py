"""What a refused request must leave untouched, captured before and compared after."""

from inventory.models import InventoryTransaction, Spool
from production.models import ProductionRun, ProductionRunItem, ProductionRunMaterial


def run_snapshot(run):
    """A run with its items and materials, every spool's weight and every ledger row (reversals included)."""
    return {
        "ledger": list(InventoryTransaction.objects.order_by("pk").values("pk", "reversal_of")),
        "spools": dict(Spool.objects.values_list("pk", "current_weight_g")),
        "run": ProductionRun.all_objects.filter(pk=run.pk)
        .values(
            "status", "completed_at", "duration_hours", "failure_reason", "quality_rating", "quality_notes", "notes"
        )
        .get(),
        "items": list(ProductionRunItem.objects.filter(run=run).values("pk", "successful_quantity", "failed_quantity")),
        "materials": list(
            ProductionRunMaterial.objects.filter(run=run).values(
                "pk",
                "actual_model_g",
                "actual_flushed_g",
                "actual_tower_g",
                "spool_weight_before_g",
                "spool_weight_after_g",
            )
        ),
    }
