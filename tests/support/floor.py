"""The farm floor in tests: spools loaded in printer slots through the service."""

from production.services.slots import SlotLoad, load_slot


def load_first_spool(run, slot=0):
    """Load the spool of `run`'s first material into slot `slot` of its printer."""
    spool = run.materials.order_by("created_at", "id").first().spool
    return load_slot(printer=run.printer, user=None, load=SlotLoad(slot=slot, spool=spool))
