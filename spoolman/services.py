"""Printer integration keys, and the filament use printers report through the Spoolman-compatible API.

A report is one `printer_use` ledger row (inventory.services.record_movements), carrying the
printer and the client that sent it. When a run on that printer is in progress and uses the
spool, the row is attributed to that run's material: completing or failing the run then
charges only the rest (production.services), so no gram is charged twice.
"""

import secrets
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone

from core.errors import ErrorCode, InvalidInput
from core.locking import lock_rows
from events.services import NewEvent, record_events
from inventory.models import ZERO, InventoryTransaction, Spool, TransactionType
from inventory.services import MAX_WEIGHT_G, Movement, lock_spools, record_movements
from production.models import Printer, ProductionRun, ProductionRunMaterial
from production.status_codes import RunStatus
from spoolman.models import KEY_PREFIX, IntegrationKey, key_digest
from tenants.contracts import Actor, ensure_same_tenant
from tenants.models import Tenant
from tenants.scoping import all_tenants

CENTS = Decimal("0.01")
# The precision of a spool's carried sub-cent use (`Spool.unbooked_use_g`).
MICROGRAMS = Decimal("0.000001")


@dataclass(frozen=True, kw_only=True)
class KeyDraft:
    printer: Printer
    name: str = ""


@dataclass(frozen=True, kw_only=True)
class IssuedKey:
    """A new key and its secret: the only moment the secret exists outside the client."""

    key: IntegrationKey
    secret: str


def create_key(*, tenant: Tenant, user: Actor, draft: KeyDraft) -> IssuedKey:
    """A new key for `draft.printer`; only its digest is stored."""
    ensure_same_tenant(tenant, draft.printer)
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = IntegrationKey.objects.create(
        tenant=tenant,
        printer=draft.printer,
        name=draft.name,
        prefix=secret[: len(KEY_PREFIX) + 4],
        digest=key_digest(secret),
        created_by=user if user is not None and user.is_authenticated else None,
    )
    return IssuedKey(key=key, secret=secret)


def revoke_key(*, key: IntegrationKey) -> IntegrationKey:
    """From now on the key authenticates nothing; revoking twice keeps the first moment."""
    with transaction.atomic():
        (key,) = lock_rows(IntegrationKey.objects.filter(pk=key.pk))
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])
    return key


def authenticate(secret: str) -> IntegrationKey | None:
    """The active key with this secret (its printer and tenant loaded), else None.

    Looked up across tenants by digest, before any tenant is known: the one query the
    integration API runs outside its tenant's scope.
    """
    if not secret.startswith(KEY_PREFIX) or len(secret) > 100:
        return None
    with all_tenants():
        return (
            IntegrationKey.objects.select_related("printer", "tenant")
            .filter(digest=key_digest(secret), revoked_at__isnull=True)
            .first()
        )


@dataclass(frozen=True, kw_only=True)
class UseReport:
    """`grams` of `spool` the key's printer says it used; `source` names the client (Moonraker...)."""

    spool: Spool
    grams: Decimal
    source: str = ""


@dataclass(frozen=True, kw_only=True)
class Measurement:
    """A weighing of `spool` on its reel: `gross_weight_g` includes the empty spool."""

    spool: Spool
    gross_weight_g: Decimal
    source: str = ""


def grams(value: Decimal) -> Decimal:
    return value.quantize(CENTS, rounding=ROUND_HALF_UP)


def _run_material_in_progress(printer: Printer, spool: Spool) -> ProductionRunMaterial | None:
    """The material of the in-progress run on `printer` that uses `spool` (the latest started), locked with its run."""
    candidate = (
        ProductionRunMaterial.objects.filter(
            spool=spool,
            run__printer=printer,
            run__status=RunStatus.IN_PROGRESS,
            run__deleted_at__isnull=True,
        )
        .order_by("-run__started_at", "-run__pk")
        .first()
    )
    if candidate is None:
        return None
    # The run's lock first (as every run operation takes it), then the spool's in record_movements:
    # a completion of this run waits for this report, and then charges only the rest.
    (run,) = lock_rows(ProductionRun.all_objects.filter(pk=candidate.run_id))
    if run.status != RunStatus.IN_PROGRESS or run.deleted_at is not None:
        return None
    return candidate


def report_use(*, key: IntegrationKey, report: UseReport) -> InventoryTransaction | None:
    """Book `report.grams` off the spool as one `printer_use` row, attributed to the printer's run if one uses it.

    The ledger books whole cents of a gram; what a report leaves below a cent is carried on the
    spool (`unbooked_use_g`) into its next report. Moonraker reports every 5 s, often a few
    hundredths of a gram: rounding each report on its own would book a steady print's use
    wrong by up to half a cent per report, always the same way. Carried, the booked total
    never trails the reported total by a cent or more. A report that does not complete a cent
    writes no row (None).
    """
    ensure_same_tenant(key.tenant_id, report.spool)
    if report.grams < ZERO:
        raise InvalidInput("The use must not be negative.", code=ErrorCode.INVALID)
    with transaction.atomic():
        material = _run_material_in_progress(key.printer, report.spool)
        spool = lock_spools({report.spool.pk})[report.spool.pk]
        reported = report.grams + spool.unbooked_use_g
        used = reported.quantize(CENTS, rounding=ROUND_DOWN)
        carried = (reported - used).quantize(MICROGRAMS, rounding=ROUND_HALF_UP)
        if carried != spool.unbooked_use_g:
            Spool.objects.filter(pk=spool.pk).update(unbooked_use_g=carried)
        if used == ZERO:
            return None
        taken = min(used, spool.current_weight_g)
        where = f" during run {material.run.run_number}" if material is not None else ""
        events: list[NewEvent] = []
        (row,) = record_movements(
            movements=[
                Movement(
                    spool_id=spool.pk,
                    type=TransactionType.PRINTER_USE,
                    change_g=-taken,
                    description=f"Reported by printer {key.printer.name}{where}",
                    production_run_id=material.run_id if material is not None else None,
                    production_run_material_id=material.pk if material is not None else None,
                    printer_id=key.printer_id,
                    source=report.source[:100],
                    excess_g=used - taken,
                )
            ],
            user=None,
            event_type="spool.adjusted",
            events=events,
        )
        _record_printer_events(key, events)
    return row


def _record_printer_events(key: IntegrationKey, events: list[NewEvent]) -> None:
    """The write's events (`spool.adjusted`, and `spool.low_stock`/`spool.empty` on crossing), by the printer.

    They feed the events API, the webhooks and the Spoolman websockets (spoolman.consumers).
    """
    record_events(tenant=key.tenant, actor=None, actor_label=f"printer:{key.printer.name}", events=events)


def record_measurement(*, key: IntegrationKey, measurement: Measurement) -> InventoryTransaction:
    """A printer-side weighing: the spool's weight becomes gross minus its empty reel, as a `count` row."""
    ensure_same_tenant(key.tenant_id, measurement.spool)
    with transaction.atomic():
        spool = lock_spools({measurement.spool.pk})[measurement.spool.pk]
        if spool.empty_spool_weight_g is None:
            raise InvalidInput(
                f"Spool {spool.number} has no empty spool weight, so a gross weight cannot be converted.",
                code=ErrorCode.INVALID,
            )
        net = grams(measurement.gross_weight_g) - spool.empty_spool_weight_g
        if spool.unbooked_use_g:
            # The weighing is the truth: use below a cent reported before it is in it.
            Spool.objects.filter(pk=spool.pk).update(unbooked_use_g=ZERO)
        if net < ZERO or net > MAX_WEIGHT_G:
            raise InvalidInput(
                f"A gross weight of {measurement.gross_weight_g} g is less than spool {spool.number}'s empty "
                f"spool ({spool.empty_spool_weight_g} g), or more than can be recorded.",
                code=ErrorCode.INVALID,
            )
        events: list[NewEvent] = []
        (row,) = record_movements(
            movements=[
                Movement(
                    spool_id=spool.pk,
                    type=TransactionType.COUNT,
                    new_weight_g=net,
                    description=f"Weighed on printer {key.printer.name}",
                    printer_id=key.printer_id,
                    source=measurement.source[:100],
                )
            ],
            user=None,
            event_type="spool.adjusted",
            events=events,
        )
        _record_printer_events(key, events)
    return row
