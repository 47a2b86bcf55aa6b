"""The event types: `<resource>.<what happened>`. A new type is a line here (no migration)."""

RUN_TYPES = (
    "created",
    "planned",
    "started",
    "updated",
    "completed",
    "failed",
    "cancelled",
    "reopened",
    "deleted",
    "restored",
)
SPOOL_TYPES = ("created", "updated", "adjusted", "low_stock", "empty", "deleted", "archived", "loaded", "unloaded")
CATALOG_TYPES = ("created", "updated", "deleted")
# A printer's slot got or lost a spool (production.services.slots); a connected printer's own state
# changed (bambu/: its `gcode_state`, with the old and new one).
PRINTER_TYPES = ("slot_changed", "status_changed")
# Spoolman's catalogue of a tenant (spoolman.catalogue): an extra field's definition, a setting.
FIELD_TYPES = ("created", "updated", "deleted")
SETTING_TYPES = ("updated", "deleted")

EVENT_TYPES = frozenset(
    [f"run.{what}" for what in RUN_TYPES]
    + [f"spool.{what}" for what in SPOOL_TYPES]
    + [f"vendor.{what}" for what in CATALOG_TYPES]
    + [f"material.{what}" for what in CATALOG_TYPES]
    # A material deleted through Spoolman's API while spools it removed keep it (inventory.services.remove_material).
    + ["material.removed"]
    + [f"product.{what}" for what in CATALOG_TYPES]
    + [f"printer.{what}" for what in PRINTER_TYPES]
    + [f"field.{what}" for what in FIELD_TYPES]
    + [f"setting.{what}" for what in SETTING_TYPES]
)

RESOURCES = frozenset(event_type.split(".", 1)[0] for event_type in EVENT_TYPES)
