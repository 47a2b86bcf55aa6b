"""Read paths of the inventory reports: one query each, aggregated in the database."""

import datetime
from dataclasses import dataclass, replace
from decimal import Decimal

from django.db.models import Count, DecimalField, F, OuterRef, Subquery, Sum
from django.utils import timezone

from inventory.models import ZERO, InventoryTransaction, Material, Spool, TransactionType, spool_low_stock_threshold
from tenants.models import Tenant

CENTS = Decimal("0.01")
RATE_WINDOW_DAYS = 30


@dataclass(frozen=True)
class LowSpool:
    id: object
    code: str
    current_weight_g: Decimal
    reserved_g: Decimal
    available_g: Decimal
    initial_weight_g: Decimal
    remaining_percent: Decimal
    low_stock_threshold_g: Decimal
    location: str


@dataclass(frozen=True)
class LowStockMaterial:
    """A material with low spools: its stock, its consumption and how long the stock lasts at that rate."""

    material: Material
    stock_g: Decimal
    consumed_last_30_days_g: Decimal
    daily_rate_g: Decimal
    days_left: Decimal | None
    spools: tuple[LowSpool, ...]


def low_stock_report(*, tenant: Tenant, now: datetime.datetime | None = None) -> list[LowStockMaterial]:
    """Active spools whose available grams (current weight less what planned and in-progress runs
    reserve: `SpoolQuerySet.with_reservations`) are below their material's threshold, grouped by
    material, in one query.

    Per material: `stock_g`, what its active spools hold (low or not: they are used up in
    turn); `consumed_last_30_days_g`, its usage and waste rows of the last 30 days (24 h
    each, back from now) that no reversal undid; and `days_left`, stock / (consumed / 30),
    null when nothing was consumed.
    """
    now = now or timezone.now()
    active = Spool.objects.for_tenant(tenant).filter(is_active=True)
    stock = active.filter(material=OuterRef("material")).values("material").annotate(total=Sum("current_weight_g"))
    consumed = (
        InventoryTransaction.objects.for_tenant(tenant)
        .consumption()
        .filter(spool__material=OuterRef("material"), occurred_at__gt=now - datetime.timedelta(days=RATE_WINDOW_DAYS))
        .values("spool__material")
        .annotate(total=Sum(-F("weight_change_g")))
    )
    spools = (
        active.available_below(spool_low_stock_threshold())
        .select_related("material")
        .annotate(
            threshold_g=spool_low_stock_threshold(),
            material_stock_g=Subquery(stock.values("total"), output_field=DecimalField()),
            material_consumed_g=Subquery(consumed.values("total"), output_field=DecimalField()),
        )
        .order_by("material__name", "material_id", "available", "code")
    )
    report: dict[object, LowStockMaterial] = {}
    for spool in spools:
        entry = report.get(spool.material_id)
        if entry is None:
            stock_g = spool.material_stock_g or ZERO
            consumed_g = spool.material_consumed_g or ZERO
            entry = report[spool.material_id] = LowStockMaterial(
                material=spool.material,
                stock_g=stock_g.quantize(CENTS),
                consumed_last_30_days_g=consumed_g.quantize(CENTS),
                daily_rate_g=(consumed_g / RATE_WINDOW_DAYS).quantize(CENTS),
                days_left=(stock_g * RATE_WINDOW_DAYS / consumed_g).quantize(CENTS) if consumed_g > 0 else None,
                spools=(),
            )
        low = LowSpool(
            id=spool.pk,
            code=spool.code,
            current_weight_g=spool.current_weight_g,
            reserved_g=spool.reserved_g.quantize(CENTS),
            available_g=spool.available_g.quantize(CENTS),
            initial_weight_g=spool.initial_weight_g,
            remaining_percent=spool.remaining_percent,
            low_stock_threshold_g=spool.threshold_g.quantize(CENTS),
            location=spool.location,
        )
        report[spool.material_id] = replace(entry, spools=(*entry.spools, low))
    return list(report.values())


def ledger_rows_by_type(*, tenant: Tenant) -> dict[str, int]:
    """How many ledger rows the tenant has written, per type (every type named). The ledger is
    append-only, so these only grow: a counter. One query."""
    counts = dict(
        InventoryTransaction.objects.for_tenant(tenant).order_by().values_list("type").annotate(count=Count("pk"))
    )
    return {kind: counts.get(kind, 0) for kind in TransactionType.values}


@dataclass(frozen=True)
class WeightPoint:
    occurred_at: datetime.datetime
    weight_g: Decimal
    type: str


def spool_weight_history(*, spool: Spool) -> list[WeightPoint]:
    """The spool's weight after each of its ledger rows, in ledger order. One query."""
    rows = InventoryTransaction.objects.filter(tenant_id=spool.tenant_id, spool=spool).order_by("sequence")
    return [
        WeightPoint(occurred_at=at, weight_g=weight, type=kind)
        for at, weight, kind in rows.values_list("occurred_at", "weight_after_g", "type")
    ]
