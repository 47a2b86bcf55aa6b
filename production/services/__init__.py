"""Every state change of a production run, its items and its materials, and of the products they print.

The package, by concern (each module reads in one sitting):

- `runs`: a run's number, its creation with its items and materials, its edits, its soft delete.
- `children`: a run's items and materials added, changed, removed (one skeleton for both).
- `transitions`: complete, fail, cancel, reopen.
- `products`: the catalogue of products.
- `rules` and `history`: what those share: the run's lock and checks; its history row and event.

Each operation takes its input as a frozen dataclass, refuses references to another tenant's
records before it writes anything, locks the run row first (so it sees the run's current status
and no two operations on one run interleave), asks `production.status_codes` whether the run's
status allows it, and records who did what in the run's history (`ProductionRunEvent`) in the
same transaction. Inventory moves only through `inventory.services.record_movements`.

PATCH-style inputs (`RunChanges`, `ItemChanges`, `MaterialChanges`, and the optional fields of
`Completion`, `Failure`, `ItemOutcome`, `MaterialActuals`) default every field to `UNSET`: a field
left `UNSET` was not sent and keeps its value, while `None` was sent as null and is written.

Callers import from here (`from production.services import complete_run`); the modules are the
package's own layout.
"""

from production.services.children import (
    ItemChanges,
    ItemDraft,
    MaterialChanges,
    MaterialDraft,
    add_item,
    add_material,
    remove_item,
    remove_material,
    update_item,
    update_material,
)
from production.services.products import ProductChanges, ProductFields, create_product, delete_product, update_product
from production.services.rules import DuplicateSpool, RunHasInventory, RunLocked
from production.services.runs import (
    RunChanges,
    RunDraft,
    create_run,
    delete_run,
    next_run_number,
    restore_run,
    update_run,
)
from production.services.transitions import (
    Completion,
    Failure,
    ItemOutcome,
    MaterialActuals,
    cancel_run,
    complete_run,
    fail_run,
    reopen_run,
)
from production.status_codes import InvalidTransition

__all__ = [
    "Completion",
    "DuplicateSpool",
    "Failure",
    "InvalidTransition",
    "ItemChanges",
    "ItemDraft",
    "ItemOutcome",
    "MaterialActuals",
    "MaterialChanges",
    "MaterialDraft",
    "ProductChanges",
    "ProductFields",
    "RunChanges",
    "RunDraft",
    "RunHasInventory",
    "RunLocked",
    "add_item",
    "add_material",
    "cancel_run",
    "complete_run",
    "create_product",
    "create_run",
    "delete_product",
    "delete_run",
    "fail_run",
    "next_run_number",
    "remove_item",
    "remove_material",
    "reopen_run",
    "restore_run",
    "update_item",
    "update_material",
    "update_product",
    "update_run",
]
