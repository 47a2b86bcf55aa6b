"""Low stock: the per-material threshold, `?low_stock=`, `reports/low-stock/` and the admin."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory.models import Material, Spool
from inventory.services import Adjustment, adjust_spool
from production.services import Completion, complete_run, reopen_run
from tests.support.queries import row_security_statements

pytestmark = pytest.mark.django_db
SPOOLS = "/api/v1/spools/"
REPORT = "/api/v1/reports/low-stock/"


def days_ago(days):
    return timezone.now() - datetime.timedelta(days=days)


def waste(spool, grams, days):
    adjust_spool(
        spool=spool, user=None, adjustment=Adjustment(type="waste", delta_g=-Decimal(grams), occurred_at=days_ago(days))
    )


def count(spool, weight):
    adjust_spool(spool=spool, user=None, adjustment=Adjustment(type="count", new_weight_g=Decimal(weight)))


@pytest.fixture
def shelves(tenant, member, make_material, make_spool, make_run):
    """
    PLA (default 20 %): L1 1000 -> 150 (15 %, low; 850 g wasted 40 days ago, too old for the rate),
      L2 1000 -> 400 (600 g wasted 10 days ago; a run used 50 g 5 days ago but was reopened).
    PETG (400 g): L3 1000 -> 350 by a count (35 %, yet low: grams win); L4 the same, inactive.
    TPU (50 %): L5 500 -> 240 (260 g wasted 2 days ago).
    """
    pla = make_material(tenant, name="PLA Basic", kind="PLA")
    petg = make_material(tenant, name="PETG HF", kind="PETG", low_stock_threshold_g=Decimal("400"))
    tpu = make_material(tenant, name="TPU 95A", kind="TPU", low_stock_threshold_percent=Decimal("50"))
    spools = {
        "L1": make_spool(tenant, pla, code="L1"),
        "L2": make_spool(tenant, pla, code="L2"),
        "L3": make_spool(tenant, petg, code="L3"),
        "L4": make_spool(tenant, petg, code="L4", is_active=False),
        "L5": make_spool(tenant, tpu, code="L5", initial_weight_g=Decimal("500")),
    }
    waste(spools["L1"], 850, 40)
    waste(spools["L2"], 600, 10)
    run = make_run(
        tenant, started_at=days_ago(6), materials=[{"spool": spools["L2"], "estimated_model_g": Decimal("50")}]
    )
    complete_run(run=run, user=member, completion=Completion(completed_at=days_ago(5), use_estimates=True))
    reopen_run(run=run, user=member)
    count(spools["L3"], 350)
    count(spools["L4"], 350)
    waste(spools["L5"], 260, 2)
    return spools


def codes(response):
    assert response.status_code == 200, response.json()
    return [spool["code"] for spool in response.json()["results"]]


def test_low_stock_filter_honours_each_materials_threshold(api, shelves):
    assert codes(api.get(SPOOLS, {"low_stock": "true"})) == ["L1", "L3", "L4", "L5"]
    assert codes(api.get(SPOOLS, {"low_stock": "false"})) == ["L2"]


def test_a_threshold_in_grams_wins_over_the_percentage(api, shelves):
    petg = shelves["L3"].material
    petg.low_stock_threshold_percent = Decimal("10")  # 35 % would not be low by it
    petg.save()

    assert "L3" in codes(api.get(SPOOLS, {"low_stock": "true"}))
    assert Spool.objects.get(code="L3").low_stock_threshold_g == Decimal("400")


def test_exactly_at_the_threshold_is_not_low(api, tenant, make_spool):
    spool = make_spool(tenant, code="EDGE", initial_weight_g=Decimal("333"))
    material = spool.material
    material.low_stock_threshold_percent = Decimal("15")  # 49.95 g: a fraction, not an integer division
    material.save()
    count(spool, "49.95")
    assert codes(api.get(SPOOLS, {"low_stock": "true"})) == []

    count(spool, "49.94")
    assert codes(api.get(SPOOLS, {"low_stock": "true"})) == ["EDGE"]


def test_materials_take_and_validate_their_threshold(api):
    body = {"name": "PLA", "kind": "PLA"}

    created = api.post("/api/v1/materials/", body, format="json")
    assert created.status_code == 201, created.json()
    assert (created.json()["low_stock_threshold_percent"], created.json()["low_stock_threshold_g"]) == ("20.00", None)

    assert api.post("/api/v1/materials/", {**body, "low_stock_threshold_percent": "100.01"}).status_code == 400
    assert api.post("/api/v1/materials/", {**body, "low_stock_threshold_percent": "-1"}).status_code == 400
    assert api.post("/api/v1/materials/", {**body, "low_stock_threshold_g": "-0.01"}).status_code == 400
    grams = api.post("/api/v1/materials/", {**body, "low_stock_threshold_g": "250"}, format="json")
    assert grams.json()["low_stock_threshold_g"] == "250.00"


def test_the_database_refuses_a_threshold_out_of_range(tenant):
    with pytest.raises(IntegrityError), transaction.atomic():
        Material.objects.create(tenant=tenant, name="X", kind="PLA", low_stock_threshold_percent=Decimal("101"))


def test_low_stock_report_groups_active_low_spools_by_material(api, shelves):
    response = api.get(REPORT)

    assert response.status_code == 200, response.json()
    report = {
        row["name"]: (
            row["stock_g"],
            row["consumed_last_30_days_g"],
            row["daily_rate_g"],
            row["days_left"],
            [(s["code"], s["current_weight_g"], s["low_stock_threshold_g"]) for s in row["spools"]],
        )
        for row in response.json()["results"]
    }
    assert report == {
        # PETG: 350 g active (L4 is inactive), nothing consumed (counts are not consumption).
        "PETG HF": ("350.00", "0.00", "0.00", None, [("L3", "350.00", "400.00")]),
        # PLA: 150 + 400 g; 600 g in 30 days (the 850 g are older, the reopened run's 50 g undone):
        # 20 g a day, 550 / 20 = 27.5 days.
        "PLA Basic": ("550.00", "600.00", "20.00", "27.50", [("L1", "150.00", "200.00")]),
        # TPU: 240 g; 260 g in 30 days: 8.67 g a day, 240 x 30 / 260 = 27.69 days.
        "TPU 95A": ("240.00", "260.00", "8.67", "27.69", [("L5", "240.00", "250.00")]),
    }
    assert list(report) == ["PETG HF", "PLA Basic", "TPU 95A"]


def test_low_stock_report_is_one_query(api, shelves):
    with CaptureQueriesContext(connection) as queries:
        response = api.get(REPORT)

    assert response.status_code == 200
    # The member's tenant membership, then the report.
    assert len(queries) == 2 + row_security_statements(), [q["sql"] for q in queries]


def test_low_stock_report_is_for_viewers_and_one_tenant(viewer_api, other_api, shelves):
    assert len(viewer_api.get(REPORT).json()["results"]) == 3
    assert other_api.get(REPORT).json()["results"] == []


def test_admin_lists_low_stock_with_a_badge_and_a_filter(tenant, shelves, django_user_model, client):
    staff = django_user_model.objects.create_superuser("root", password="pw-long-enough-1")
    client.force_login(staff)

    page = client.get("/admin/inventory/spool/").content.decode()
    low = client.get("/admin/inventory/spool/", {"low_stock": "yes"}).content.decode()
    ok = client.get("/admin/inventory/spool/", {"low_stock": "no"}).content.decode()

    assert page.count('class="stock-badge stock-low"') == 4
    assert page.count('class="stock-badge stock-ok"') == 1
    assert "By low stock" in page
    assert ">L1<" in low and ">L2<" not in low
    assert ">L2<" in ok and ">L1<" not in ok
