"""Each report on the demo seed equals an independent Python computation over the ORM rows.

The reports aggregate in SQL; these tests recompute the same figures from the models'
Python properties (`actual_total_g`, `actual_cost`, `cost_per_gram`, `is_low_stock`) row by
row, so the SQL is checked by a second implementation on data nobody chose by hand.
"""

import datetime
from collections import defaultdict
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from inventory.models import InventoryTransaction, Spool, TransactionType
from production.models import ProductionRun, ProductionRunItem, ProductionRunMaterial, RunStatus
from production.selectors import cents, percent
from tenants.models import Tenant
from tenants.scoping import all_tenants
from tests.conftest import client_for

ZERO = Decimal(0)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """One demo seed for the module, rolled back after it (each test still runs in its own savepoint)."""
    with django_db_blocker.unblock(), transaction.atomic(), all_tenants():
        call_command("seed_demo", stdout=StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo(seeded, db):
    return Tenant.objects.get(slug="demo")


@pytest.fixture
def demo_api(demo):
    return client_for(get_user_model().objects.get(username="demo-viewer"), demo)


@pytest.fixture
def history(demo):
    """The whole seeded history, in the demo tenant's days."""
    end = timezone.localdate(timezone=demo.zone)
    return {"start": (end - datetime.timedelta(days=70)).isoformat(), "end": end.isoformat()}


def local_day(moment, tenant):
    return timezone.localtime(moment, tenant.zone).date()


def period_of(day, period):
    if period is None:
        return None
    if period == "week":
        day -= datetime.timedelta(days=day.weekday())
    elif period == "month":
        day = day.replace(day=1)
    return day.isoformat()


def in_range(day, history):
    return history["start"] <= day.isoformat() <= history["end"]


def shares(items):
    """Each item's share of its run, by units: (product id, share)."""
    units = sum(item.quantity for item in items)
    return [(str(item.product_id), Decimal(item.quantity) / units) for item in items]


def get_results(api, url, parameters):
    response = api.get(url, parameters)
    assert response.status_code == 200, response.json()
    return response.json()["results"]


# --- usage ---------------------------------------------------------------------------------


def expected_usage(tenant, history, group_by, period):
    rows = InventoryTransaction.objects.for_tenant(tenant).select_related(
        "spool__material", "production_run", "production_run_material"
    )
    undone = {row.reversal_of_id for row in rows if row.reversal_of_id}
    items = defaultdict(list)
    for item in ProductionRunItem.objects.for_tenant(tenant):
        items[item.run_id].append(item)
    totals = defaultdict(lambda: [ZERO, ZERO, ZERO])
    for row in rows:
        if row.type not in (TransactionType.USAGE, TransactionType.WASTE) or row.pk in undone:
            continue
        day = local_day(row.occurred_at, tenant)
        if not in_range(day, history):
            continue
        grams = -row.weight_change_g
        if row.production_run_material_id:
            cost_per_gram = row.production_run_material.cost_per_gram
        elif row.spool.purchase_price is not None:
            cost_per_gram = row.spool.purchase_price / row.spool.initial_weight_g
        else:
            cost_per_gram = None
        run = row.production_run
        if group_by == "product":
            keys = shares(items[row.production_run_id]) if items.get(row.production_run_id) else [(None, 1)]
        else:
            key = {
                "material": row.spool.material_id,
                "spool": row.spool_id,
                "printer": run.printer_id if run else None,
            }[group_by]
            keys = [(str(key) if key else None, 1)]
        for key, share in keys:
            total = totals[(period_of(day, period), key)]
            total[0] += grams * share
            if cost_per_gram is None:
                total[2] += grams * share
            else:
                total[1] += grams * share * cost_per_gram
    return {key: tuple(str(cents(figure)) for figure in total) for key, total in totals.items()}


@pytest.mark.parametrize("group_by", ["material", "product", "printer", "spool"])
@pytest.mark.parametrize("period", [None, "week"])
def test_usage_report_equals_the_ledger_recomputed(demo, demo_api, history, group_by, period):
    parameters = {**history, "group_by": group_by, **({"period": period} if period else {})}

    results = get_results(demo_api, "/api/v1/reports/usage/", parameters)

    reported = {(row["period"], row["id"]): (row["grams"], row["cost"], row["unpriced_g"]) for row in results}
    assert reported == expected_usage(demo, history, group_by, period)
    assert len(reported) > 1


# --- variance and cost per unit ------------------------------------------------------------


def completed_runs(tenant, history):
    runs = ProductionRun.objects.for_tenant(tenant).filter(status=RunStatus.COMPLETED).with_details()
    return [run for run in runs if in_range(local_day(run.completed_at, tenant), history)]


def expected_variance(tenant, history, group_by, period):
    totals = defaultdict(lambda: [ZERO, ZERO, set()])
    for run in completed_runs(tenant, history):
        items = list(run.items.all())
        for material in run.materials.all():
            keys = [(str(material.spool.material_id), 1)] if group_by == "material" else shares(items)
            for key, share in keys:
                total = totals[(period_of(local_day(run.completed_at, tenant), period), key)]
                total[0] += material.estimated_total_g * share
                total[1] += material.actual_total_g * share
                total[2].add(run.pk)
    expected = {}
    for key, (estimated, actual, runs) in totals.items():
        estimated, actual = cents(estimated), cents(actual)
        variance = actual - estimated
        percent_ = percent(variance, estimated)
        expected[key] = (
            len(runs),
            str(estimated),
            str(actual),
            str(variance),
            None if percent_ is None else str(percent_),
        )
    return expected


@pytest.mark.parametrize("group_by", ["product", "material"])
@pytest.mark.parametrize("period", [None, "week"])
def test_variance_report_equals_the_runs_recomputed(demo, demo_api, history, group_by, period):
    parameters = {**history, "group_by": group_by, **({"period": period} if period else {})}

    results = get_results(demo_api, "/api/v1/reports/variance/", parameters)

    reported = {
        (row["period"], row["id"]): (
            row["runs"],
            row["estimated_g"],
            row["actual_g"],
            row["variance_g"],
            row["variance_percent"],
        )
        for row in results
    }
    assert reported == expected_variance(demo, history, group_by, period)
    assert len(reported) > 1


def test_cost_per_unit_report_equals_the_runs_recomputed(demo, demo_api, history):
    totals = defaultdict(lambda: {"runs": set(), "ok": 0, "failed": 0, "g": ZERO, "cost": ZERO, "unpriced": ZERO})
    for run in completed_runs(demo, history):
        materials = list(run.materials.all())
        cost = sum((m.actual_cost for m in materials if m.actual_cost is not None), ZERO)
        grams = sum((m.actual_total_g for m in materials), ZERO)
        unpriced = sum((m.actual_total_g for m in materials if m.cost_per_gram is None), ZERO)
        items = list(run.items.all())
        for item, (product, share) in zip(items, shares(items), strict=True):
            total = totals[product]
            total["runs"].add(run.pk)
            total["ok"] += item.successful_quantity or 0
            total["failed"] += item.failed_quantity or 0
            total["g"] += grams * share
            total["cost"] += cost * share
            total["unpriced"] += unpriced * share
    expected = {
        product: (
            len(t["runs"]),
            t["ok"],
            t["failed"],
            str(cents(t["g"])),
            str(cents(t["cost"])),
            str(cents(t["unpriced"])),
            str(cents(t["cost"] / t["ok"])) if t["ok"] else None,
        )
        for product, t in totals.items()
    }

    results = get_results(demo_api, "/api/v1/reports/cost-per-unit/", history)

    reported = {
        row["id"]: (
            row["runs"],
            row["successful_units"],
            row["failed_units"],
            row["material_g"],
            row["material_cost"],
            row["unpriced_g"],
            row["cost_per_unit"],
        )
        for row in results
    }
    assert reported == expected
    assert len(reported) > 1


# --- low stock -----------------------------------------------------------------------------


def test_low_stock_report_equals_the_spools_recomputed(demo, demo_api):
    spools = [spool for spool in Spool.objects.for_tenant(demo).with_material() if spool.is_active]
    since = timezone.now() - datetime.timedelta(days=30)
    rows = InventoryTransaction.objects.for_tenant(demo).select_related("spool")
    undone = {row.reversal_of_id for row in rows if row.reversal_of_id}
    consumed = defaultdict(lambda: ZERO)
    for row in rows:
        if (
            row.type in (TransactionType.USAGE, TransactionType.WASTE)
            and row.pk not in undone
            and row.occurred_at > since
        ):
            consumed[row.spool.material_id] -= row.weight_change_g
    # Judged by available grams: the weight less what planned and in-progress runs reserve (each line's
    # estimate less what its printer reported, never below 0).
    reserved = defaultdict(lambda: ZERO)
    reported = defaultdict(lambda: ZERO)
    for row in rows.filter(type=TransactionType.PRINTER_USE, production_run_material__isnull=False):
        reported[row.production_run_material_id] -= row.weight_change_g
    lines = ProductionRunMaterial.objects.for_tenant(demo).filter(
        run__status__in=["planned", "in_progress"], run__deleted_at__isnull=True, spool__isnull=False
    )
    for line in lines:
        reserved[line.spool_id] += max(line.estimated_total_g - reported[line.pk], ZERO)
    available = {spool.pk: spool.current_weight_g - reserved[spool.pk] for spool in spools}
    expected = {}
    for spool in sorted(spools, key=lambda s: (available[s.pk], s.code)):
        if not available[spool.pk] < spool.low_stock_threshold_g:
            continue
        material = spool.material_id
        stock = sum(s.current_weight_g for s in spools if s.material_id == material)
        days = str(cents(stock * 30 / consumed[material])) if consumed[material] else None
        entry = expected.setdefault(str(material), [str(cents(stock)), str(cents(consumed[material])), days, []])
        entry[3].append(spool.code)

    results = get_results(demo_api, "/api/v1/reports/low-stock/", {})

    reported = {
        row["id"]: [
            row["stock_g"],
            row["consumed_last_30_days_g"],
            row["days_left"],
            [s["code"] for s in row["spools"]],
        ]
        for row in results
    }
    assert reported == expected
    assert reported  # the demo farm has spools to reorder
