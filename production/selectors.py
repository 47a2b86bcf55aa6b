"""Read paths of the production reports: each is ONE query, aggregated in the database.

Conventions shared by the reports:

- Dates are whole days in the tenant's time zone, both bounds inclusive; `period` (`day`,
  `week` from Monday, `month`) truncates in that zone too, and a row's `period` is the
  period's first day. Without a period a report has one row per group over the range.
- Consumption is the ledger's `usage` and `waste` rows that no reversal undid
  (`InventoryTransactionQuerySet.consumption`): a reopened run's grams count once it ends
  again, in the period it ends.
- A run with several items splits its grams and cost among them by units: each item's
  share is its `quantity` over the run's total quantity (every printed unit, successful or
  failed, consumed filament; failed units' cost is borne by the successful ones).
- A cost is grams x cost per gram: a run material's `cost_per_gram` (its spool's at
  assignment), a manual waste row's spool's purchase price / initial weight. Grams without
  a known price (a spool bought without a price) add no cost and are reported as `unpriced_g`.
- Figures are quantized to cents (ROUND_HALF_UP) after aggregation, never per row.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Case,
    Count,
    DateField,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, NullIf, Trunc

from core.api.filters import in_utc
from core.expressions import ToDecimal
from inventory.models import ZERO, InventoryTransaction
from production.models import ProductionRun, ProductionRunItem, ProductionRunMaterial, RunStatus
from tenants.models import Tenant

CENTS = Decimal("0.01")
HUNDRED = Decimal("100")
PERIODS = ("day", "week", "month")
USAGE_GROUPS = ("material", "product", "printer", "spool")
VARIANCE_GROUPS = ("product", "material")
DECIMAL = DecimalField()


def cents(value):
    return None if value is None else Decimal(value).quantize(CENTS, rounding=ROUND_HALF_UP)


def percent(part, whole):
    return None if part is None or not whole else cents(Decimal(part) / Decimal(whole) * HUNDRED)


@dataclass(frozen=True)
class DayRange:
    """`start`..`end`, inclusive local days of `zone`."""

    start: datetime.date
    end: datetime.date
    zone: datetime.tzinfo

    @classmethod
    def ever(cls, zone=datetime.UTC):
        """Every day there is: the whole history."""
        return cls(start=datetime.date.min, end=datetime.date.max, zone=zone)

    @classmethod
    def last_days(cls, tenant, days, today=None):
        """The `days` local days of `tenant` up to `today` (default: today there), inclusive."""
        zone = tenant.zone
        today = today or datetime.datetime.now(zone).date()
        return cls(start=today - datetime.timedelta(days=days - 1), end=today, zone=zone)

    def filter(self, field):
        """A Q of `field` (a datetime) within the range."""
        lower = datetime.datetime.combine(self.start, datetime.time.min, tzinfo=self.zone)
        condition = Q(**{f"{field}__gte": in_utc(lower)})
        if self.end < datetime.date.max:
            upper = datetime.datetime.combine(self.end + datetime.timedelta(days=1), datetime.time.min, self.zone)
            condition &= Q(**{f"{field}__lt": in_utc(upper)})
        return condition


def _period(field, period, zone):
    return Trunc(field, period, output_field=DateField(), tzinfo=zone) if period else Value(None, DateField())


def _item_share(item="", run="run"):
    """An item's share of its run (`item` is the path to the item): its quantity over the run's units."""
    units = (
        ProductionRunItem.objects.filter(run=OuterRef(run))
        .values("run")
        .annotate(units=Sum("quantity"))
        .values("units")
    )
    return ToDecimal(F(f"{item}quantity")) / Subquery(units)


def _run_material_actual_g():
    """`ProductionRunMaterial.actual_total_g` in SQL: the weighings, else the sum of the recorded parts."""
    parts = sum(
        (Coalesce(F(name), ZERO) for name in ("actual_flushed_g", "actual_tower_g")), Coalesce("actual_model_g", ZERO)
    )
    return Case(
        When(
            spool_weight_before_g__isnull=False,
            spool_weight_after_g__isnull=False,
            then=F("spool_weight_before_g") - F("spool_weight_after_g"),
        ),
        default=parts,
        output_field=DECIMAL,
    )


def _run_material_estimated_g():
    return ExpressionWrapper(
        F("estimated_model_g") + F("estimated_flushed_g") + F("estimated_tower_g"), output_field=DECIMAL
    )


# --- runs by status ------------------------------------------------------------------------


def runs_by_status(*, tenant: Tenant, days: DayRange | None = None) -> dict[str, int]:
    """How many runs (not soft-deleted) are in each status, every status named (0 when none);
    with `days`, only the runs started within them. One query."""
    runs = ProductionRun.objects.for_tenant(tenant)
    if days is not None:
        runs = runs.filter(days.filter("started_at"))
    counts = dict(runs.order_by().values_list("status").annotate(count=Count("pk")))
    return {status: counts.get(status, 0) for status in RunStatus.values}


# --- usage ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class UsageRow:
    period: datetime.date | None
    id: object
    name: str | None
    grams: Decimal
    cost: Decimal
    unpriced_g: Decimal


USAGE_KEYS = {
    "material": ("spool__material", "spool__material__name"),
    "spool": ("spool", "spool__code"),
    "printer": ("production_run__printer", "production_run__printer__name"),
    "product": ("production_run__items__product", "production_run__items__product__name"),
}


def usage_report(*, tenant: Tenant, days: DayRange, group_by: str, period: str | None = None) -> list[UsageRow]:
    """Grams and cost consumed per group (and period), from the ledger. Rows of runs without a
    printer, and manual waste (no run, so no printer or product), form a group with id null."""
    key, name = USAGE_KEYS[group_by]
    grams = -F("weight_change_g")
    if group_by == "product":
        # A manual waste row, or a failed run without items, has no item to share with: all of it.
        grams = grams * Coalesce(_item_share("production_run__items__", run="production_run"), Decimal(1))
    # A run's row is priced at its material's cost at assignment; a manual one at its spool's price.
    cost_per_gram = Case(
        When(production_run_material__isnull=False, then=F("production_run_material__cost_per_gram")),
        # Not rounded to the 4 decimals `Spool.cost_per_gram` shows: SQL rounds ties otherwise than Python.
        # A spool whose initial weight is not known (0, registered through Spoolman) has no price per gram.
        default=ToDecimal(F("spool__purchase_price")) / NullIf(F("spool__initial_weight_g"), Decimal(0)),
        output_field=DECIMAL,
    )
    rows = (
        InventoryTransaction.objects.for_tenant(tenant)
        .consumption()
        .filter(days.filter("occurred_at"))
        .alias(row_g=grams, row_cost_per_gram=cost_per_gram)
        .annotate(report_period=_period("occurred_at", period, days.zone))
        .values("report_period", key, name)
        .annotate(
            grams=Sum("row_g", output_field=DECIMAL),
            cost=Sum(F("row_g") * F("row_cost_per_gram"), output_field=DECIMAL),
            unpriced_g=Sum(Case(When(row_cost_per_gram__isnull=True, then="row_g"), output_field=DECIMAL)),
        )
        .order_by("report_period", F(name).asc(nulls_last=True), key)
    )
    return [
        UsageRow(
            period=row["report_period"],
            id=row[key],
            name=row[name],
            grams=cents(row["grams"] or ZERO),
            cost=cents(row["cost"] or ZERO),
            unpriced_g=cents(row["unpriced_g"] or ZERO),
        )
        for row in rows
    ]


# --- variance ------------------------------------------------------------------------------


@dataclass(frozen=True)
class VarianceRow:
    period: datetime.date | None
    id: object
    name: str
    runs: int
    estimated_g: Decimal
    actual_g: Decimal
    variance_g: Decimal
    variance_percent: Decimal | None


VARIANCE_KEYS = {
    "material": ("spool__material", "spool__material__name"),
    "product": ("run__items__product", "run__items__product__name"),
}


def _completed_runs_filter(days, run="run"):
    """Completed, not soft-deleted runs that ended within `days`."""
    return Q(**{f"{run}__status": RunStatus.COMPLETED, f"{run}__deleted_at__isnull": True}) & days.filter(
        f"{run}__completed_at"
    )


def variance_report(*, tenant: Tenant, days: DayRange, group_by: str, period: str | None = None) -> list[VarianceRow]:
    """Estimated vs actual grams of the completed runs that ended within `days`, per group (and
    period of their end): `variance_g` = actual - estimated, `variance_percent` of the estimate."""
    key, name = VARIANCE_KEYS[group_by]
    share = _item_share("run__items__") if group_by == "product" else Value(Decimal(1))
    rows = (
        ProductionRunMaterial.objects.for_tenant(tenant)
        .filter(_completed_runs_filter(days))
        .alias(row_estimated_g=_run_material_estimated_g() * share, row_actual_g=_run_material_actual_g() * share)
        .annotate(report_period=_period("run__completed_at", period, days.zone))
        .values("report_period", key, name)
        .annotate(
            runs=Count("run", distinct=True),
            estimated_g=Sum("row_estimated_g", output_field=DECIMAL),
            actual_g=Sum("row_actual_g", output_field=DECIMAL),
        )
        .order_by("report_period", name, key)
    )
    report = []
    for row in rows:
        estimated, actual = cents(row["estimated_g"] or ZERO), cents(row["actual_g"] or ZERO)
        variance = actual - estimated
        report.append(
            VarianceRow(
                period=row["report_period"],
                id=row[key],
                name=row[name],
                runs=row["runs"],
                estimated_g=estimated,
                actual_g=actual,
                variance_g=variance,
                variance_percent=percent(variance, estimated),
            )
        )
    return report


# --- cost per unit -------------------------------------------------------------------------


@dataclass(frozen=True)
class CostPerUnitRow:
    id: object
    sku: str
    name: str
    runs: int
    successful_units: int
    failed_units: int
    material_g: Decimal
    material_cost: Decimal
    unpriced_g: Decimal
    cost_per_unit: Decimal | None


def cost_per_unit_report(*, tenant: Tenant, days: DayRange) -> list[CostPerUnitRow]:
    """Per product, over the completed runs that ended within `days`: the material cost (each run
    material's actual grams x its cost per gram at assignment, shared among the run's items by
    units) divided by the successful units. `cost_per_unit` is null without successful units."""
    run_materials = ProductionRunMaterial.objects.filter(run=OuterRef("run")).values("run")

    def run_total(queryset, expression):
        total = queryset.annotate(total=Sum(expression, output_field=DECIMAL)).values("total")
        return Coalesce(Subquery(total, output_field=DECIMAL), ZERO, output_field=DECIMAL)

    actual_g = _run_material_actual_g()
    rows = (
        ProductionRunItem.objects.for_tenant(tenant)
        .filter(_completed_runs_filter(days))
        .alias(share=_item_share())
        .values("product", "product__sku", "product__name")
        .annotate(
            runs=Count("run", distinct=True),
            successful_units=Sum(Coalesce("successful_quantity", 0)),
            failed_units=Sum(Coalesce("failed_quantity", 0)),
            material_g=Sum(F("share") * run_total(run_materials, actual_g), output_field=DECIMAL),
            material_cost=Sum(
                F("share") * run_total(run_materials, actual_g * F("cost_per_gram")), output_field=DECIMAL
            ),
            unpriced_g=Sum(
                F("share") * run_total(run_materials.filter(cost_per_gram__isnull=True), actual_g),
                output_field=DECIMAL,
            ),
        )
        .order_by("product__sku", "product")
    )
    report = []
    for row in rows:
        cost = cents(row["material_cost"] or ZERO)
        units = row["successful_units"] or 0
        report.append(
            CostPerUnitRow(
                id=row["product"],
                sku=row["product__sku"],
                name=row["product__name"],
                runs=row["runs"],
                successful_units=units,
                failed_units=row["failed_units"] or 0,
                material_g=cents(row["material_g"] or ZERO),
                material_cost=cost,
                unpriced_g=cents(row["unpriced_g"] or ZERO),
                # From the unrounded total, so that the per-unit figure is not off by a rounded cent.
                cost_per_unit=cents(Decimal(row["material_cost"] or ZERO) / units) if units else None,
            )
        )
    return report
