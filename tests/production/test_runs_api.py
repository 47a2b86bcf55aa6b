"""The run resource: create with nested parts, read, PUT/PATCH, and the status rules (SPEC 5, 5.3, 5.5)."""

import datetime
import re
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.models import InventoryTransaction, Spool
from production import services
from production.models import ProductionRun, ProductionRunItem, ProductionRunMaterial, RunNumberCounter, RunStatus
from production.services import Completion, Failure

RUNS = "/api/v1/production-runs/"


def run_url(run, action=None):
    return f"{RUNS}{run.pk}/" + (f"{action}/" if action else "")


def db_state():
    """Everything a refused request must leave untouched."""
    return {
        "runs": ProductionRun.all_objects.count(),
        "items": ProductionRunItem.objects.count(),
        "materials": ProductionRunMaterial.objects.count(),
        "ledger": InventoryTransaction.objects.count(),
        "weights": dict(Spool.objects.values_list("pk", "current_weight_g")),
    }


def payload(items=(), materials=(), **fields):
    return {
        "items": [{**item, "product": str(item["product"].pk)} for item in items],
        "materials": [{**material, "spool": str(material["spool"].pk)} for material in materials],
        **fields,
    }


def set_status(run, status, user=None):
    """Bring a fresh in_progress run (with one material) into `status` through the services."""
    if status == RunStatus.COMPLETED:
        services.complete_run(run=run, user=user, completion=Completion.from_data({"use_estimates": True}))
    elif status == RunStatus.FAILED:
        services.fail_run(run=run, user=user, failure=Failure.from_data({"failure_reason": "adhesion"}))
    elif status == RunStatus.CANCELLED:
        services.cancel_run(run=run, user=user)
    run.refresh_from_db()
    assert run.status == status
    return run


# --- create ----------------------------------------------------------------------------------


def test_create_run_with_items_and_materials_returns_the_full_run(api, tenant, member, make_product, make_spool):
    product = make_product(tenant, name="Axolotl")
    spool = make_spool(tenant, purchase_price=Decimal("25.00"))  # 1000 g -> 0.0250 per gram
    body = payload(
        items=[{"product": product, "quantity": 9, "bed_position": "A1"}],
        materials=[{"spool": spool, "estimated_model_g": "100.00", "estimated_flushed_g": "10.50"}],
        notes="first batch",
        slicer_software="PrusaSlicer",
    )

    response = api.post(RUNS, body)

    assert response.status_code == 201, response.data
    data = response.json()
    run = ProductionRun.objects.get(pk=data["id"])
    local_day = timezone.localtime(run.created_at, tenant.zone).date()
    assert data["run_number"] == f"ACME-{local_day:%Y%m%d}-001"
    assert data["status"] == "in_progress"
    assert data["items_summary"] == "Axolotl x9"
    assert data["created_by"] == member.username
    assert data["is_reprint"] is False
    assert data["original_run"] is None
    assert data["notes"] == "first batch"
    assert data["estimated_total_g"] == "110.50"
    assert data["actual_total_g"] is None
    assert data["variance_g"] is None
    assert data["variance_percent"] is None
    assert data["material_cost"] is None
    assert data["cost_per_successful_unit"] is None
    assert data["completed_at"] is None
    assert data["duration_hours"] is None
    (item,) = data["items"]
    assert item["product"] == str(product.pk)
    assert (item["product_sku"], item["product_name"]) == (product.sku, "Axolotl")
    assert (item["quantity"], item["bed_position"]) == (9, "A1")
    (material,) = data["materials"]
    assert material["spool"] == str(spool.pk)
    assert material["spool_code"] == spool.code
    assert material["material_kind"] == "PLA"
    assert material["estimated_total_g"] == "110.50"
    assert material["cost_per_gram"] == "0.0250"
    assert ProductionRunItem.objects.filter(run=run, tenant=tenant).count() == 1
    assert ProductionRunMaterial.objects.filter(run=run, tenant=tenant).count() == 1


def test_create_run_starts_in_progress_and_now(api):
    before = timezone.now()
    data = api.post(RUNS, {}).json()
    after = timezone.now()

    assert data["status"] == "in_progress"
    assert before <= datetime.datetime.fromisoformat(data["started_at"]) <= after
    assert data["items"] == [] and data["materials"] == []
    assert data["items_summary"] == ""


def test_items_summary_counts_products_when_several(api, tenant, make_product):
    body = payload(items=[{"product": make_product(tenant), "quantity": 2} for _ in range(3)])

    response = api.post(RUNS, body)

    assert response.status_code == 201, response.data
    assert response.json()["items_summary"] == "3 products"


def test_run_totals_add_up_the_materials(api, tenant, make_spool, make_run):
    spools = [make_spool(tenant), make_spool(tenant)]
    run = make_run(
        tenant,
        materials=[
            {"spool": spools[0], "estimated_model_g": Decimal("100.00"), "actual_model_g": Decimal("110.00")},
            {"spool": spools[1], "estimated_model_g": Decimal("50.00"), "actual_model_g": Decimal("40.00")},
        ],
    )

    data = api.get(run_url(run)).json()

    assert data["estimated_total_g"] == "150.00"
    assert data["actual_total_g"] == "150.00"
    assert data["variance_g"] == "0.00"
    assert data["variance_percent"] == "0.00"
    # 150 g at 0.0250 per gram; a cost per unit only once the run is completed.
    assert data["material_cost"] == "3.75"
    assert data["cost_per_successful_unit"] is None


def test_run_actual_total_is_null_while_a_material_lacks_actuals(api, tenant, make_spool, make_run):
    spools = [make_spool(tenant), make_spool(tenant)]
    run = make_run(
        tenant,
        materials=[
            {"spool": spools[0], "estimated_model_g": Decimal("100.00"), "actual_model_g": Decimal("110.00")},
            {"spool": spools[1], "estimated_model_g": Decimal("50.00")},
        ],
    )

    data = api.get(run_url(run)).json()

    assert data["estimated_total_g"] == "150.00"
    assert data["actual_total_g"] is None
    assert data["variance_percent"] is None


def test_run_numbers_count_up_per_tenant_and_day(api, other_api):
    first = api.post(RUNS, {}).json()["run_number"]
    second = api.post(RUNS, {}).json()["run_number"]
    elsewhere = other_api.post(RUNS, {}).json()["run_number"]

    assert re.fullmatch(r"ACME-\d{8}-001", first)
    assert second == first[:-3] + "002"
    assert re.fullmatch(r"GLX-\d{8}-001", elsewhere)


def test_run_number_uses_the_tenants_local_day(make_tenant):
    tokyo = make_tenant("tokyo", run_prefix="TKY", timezone="Asia/Tokyo")
    late_evening_utc = datetime.datetime(2024, 3, 31, 20, 0, tzinfo=datetime.UTC)  # 1 April, 05:00 in Tokyo

    number = services.next_run_number(tenant=tokyo, now=late_evening_utc)

    assert number == "TKY-20240401-001"
    assert RunNumberCounter.objects.get(tenant=tokyo).day == datetime.date(2024, 4, 1)


def test_run_number_grows_a_fourth_digit_after_999(tenant):
    now = timezone.now()
    day = timezone.localtime(now, tenant.zone).date()
    RunNumberCounter.objects.create(tenant=tenant, day=day, last_number=999)

    assert services.next_run_number(tenant=tenant, now=now) == f"ACME-{day:%Y%m%d}-1000"


def test_create_ignores_read_only_fields(api, tenant, make_run):
    other = make_run(tenant)
    body = {
        "run_number": "HACK-1",
        "is_reprint": True,
        "created_by": "somebody",
        "completed_at": "2024-01-01T00:00:00Z",
        "duration_hours": "5.00",
        "failure_reason": "adhesion",
        "estimated_total_g": "999.00",
        "items_summary": "lots",
        "id": str(other.pk),
    }

    response = api.post(RUNS, body)

    assert response.status_code == 201, response.data
    data = response.json()
    assert data["id"] != str(other.pk)
    assert data["run_number"].startswith("ACME-")
    assert data["is_reprint"] is False
    assert data["created_by"] == "member-acme"
    assert data["completed_at"] is None and data["duration_hours"] is None
    assert data["failure_reason"] == ""
    assert data["estimated_total_g"] == "0.00"


def test_create_refuses_a_status_other_than_in_progress(api):
    response = api.post(RUNS, {"status": "completed"})

    assert response.status_code == 400
    assert "status" in response.data
    assert ProductionRun.all_objects.count() == 0


# --- create refusals: nothing is written -------------------------------------------------------


@pytest.fixture
def scenario(tenant, other_tenant, make_product, make_spool, make_material):
    """Valid parts for one run, and every kind of invalid part."""
    return {
        "product": make_product(tenant, name="Axolotl"),
        "pla_product": make_product(tenant, material_kind="PLA"),
        "spool": make_spool(tenant),
        "spool2": make_spool(tenant),
        "petg_spool": make_spool(tenant, make_material(tenant, name="PETG Basic", kind="PETG")),
        "inactive_spool": make_spool(tenant, is_active=False),
        "foreign_spool": make_spool(other_tenant),
        "foreign_product": make_product(other_tenant),
    }


def test_create_with_unknown_product_writes_nothing(api, scenario):
    before = db_state()
    body = payload(materials=[{"spool": scenario["spool"], "estimated_model_g": "10"}])
    body["items"] = [{"product": str(uuid.uuid4()), "quantity": 1}]

    response = api.post(RUNS, body)

    assert response.status_code == 400
    assert "product" in response.data["items"][0]
    assert db_state() == before


def test_create_with_another_tenants_product_writes_nothing(api, scenario):
    before = db_state()
    body = payload(items=[{"product": scenario["foreign_product"], "quantity": 1}])

    response = api.post(RUNS, body)

    assert response.status_code == 400
    assert "product" in response.data["items"][0]
    assert db_state() == before


def test_create_with_another_tenants_spool_writes_nothing(api, scenario):
    before = db_state()
    body = payload(
        items=[{"product": scenario["product"], "quantity": 1}],
        materials=[{"spool": scenario["foreign_spool"], "estimated_model_g": "10"}],
    )

    response = api.post(RUNS, body)

    assert response.status_code == 400
    assert "spool" in response.data["materials"][0]
    assert db_state() == before


def test_create_with_an_inactive_spool_writes_nothing(api, scenario):
    before = db_state()
    body = payload(
        items=[{"product": scenario["product"], "quantity": 1}],
        materials=[
            {"spool": scenario["spool"], "estimated_model_g": "10"},
            {"spool": scenario["inactive_spool"], "estimated_model_g": "10"},
        ],
    )

    response = api.post(RUNS, body)

    assert response.status_code == 400
    assert response.data["code"] == "spool_inactive"
    assert scenario["inactive_spool"].code in response.data["detail"]
    assert db_state() == before


def test_create_with_the_same_spool_twice_is_a_duplicate_spool_conflict(api, scenario):
    before = db_state()
    body = payload(
        items=[{"product": scenario["product"], "quantity": 1}],
        materials=[
            {"spool": scenario["spool"], "estimated_model_g": "10"},
            {"spool": scenario["spool"], "estimated_model_g": "20"},
        ],
    )

    response = api.post(RUNS, body)

    assert response.status_code == 409
    assert response.data["code"] == "duplicate_spool"
    assert db_state() == before


def test_create_with_a_spool_below_its_estimate_is_insufficient_stock(api, scenario):
    before = db_state()
    body = payload(
        items=[{"product": scenario["product"], "quantity": 1}],
        materials=[
            {"spool": scenario["spool2"], "estimated_model_g": "10"},
            {"spool": scenario["spool"], "estimated_model_g": "990.00", "estimated_flushed_g": "10.01"},
        ],
    )

    response = api.post(RUNS, body)

    assert response.status_code == 409
    assert response.data["code"] == "insufficient_stock"
    assert response.data["spool"] == scenario["spool"].code
    assert Decimal(response.data["available_g"]) == Decimal("1000.00")
    assert Decimal(response.data["required_g"]) == Decimal("1000.01")
    assert db_state() == before


def test_create_accepts_a_spool_holding_exactly_the_estimate(api, scenario):
    body = payload(
        items=[{"product": scenario["product"], "quantity": 1}],
        materials=[{"spool": scenario["spool"], "estimated_model_g": "1000.00"}],
    )

    assert api.post(RUNS, body).status_code == 201


def test_create_with_a_material_kind_mismatch_writes_nothing(api, scenario):
    before = db_state()
    body = payload(
        items=[{"product": scenario["product"], "quantity": 1}, {"product": scenario["pla_product"], "quantity": 1}],
        materials=[{"spool": scenario["petg_spool"], "estimated_model_g": "10"}],
    )

    response = api.post(RUNS, body)

    assert response.status_code == 400
    assert response.data["code"] == "material_kind_mismatch"
    assert db_state() == before


def test_create_with_more_than_1000_units_writes_nothing(api, scenario):
    before = db_state()
    body = payload(
        items=[{"product": scenario["product"], "quantity": 600}, {"product": scenario["pla_product"], "quantity": 401}]
    )

    response = api.post(RUNS, body)

    assert response.status_code == 400
    assert response.data["code"] == "too_many_units"
    assert db_state() == before


def test_create_with_exactly_1000_units_is_accepted(api, scenario):
    body = payload(
        items=[{"product": scenario["product"], "quantity": 600}, {"product": scenario["pla_product"], "quantity": 400}]
    )

    assert api.post(RUNS, body).status_code == 201


def test_create_with_outcomes_above_quantity_writes_nothing(api, scenario):
    before = db_state()
    body = payload(
        items=[{"product": scenario["product"], "quantity": 5, "successful_quantity": 4, "failed_quantity": 2}]
    )

    response = api.post(RUNS, body)

    assert response.status_code == 400
    assert db_state() == before


@pytest.mark.parametrize(
    "item",
    [{"quantity": 0}, {"quantity": -1}, {"quantity": 1, "failed_quantity": -1}, {"quantity": "many"}, {}],
    ids=["zero", "negative", "negative-failed", "not-a-number", "missing"],
)
def test_create_with_an_invalid_item_quantity_writes_nothing(api, scenario, item):
    before = db_state()
    body = payload(items=[{"product": scenario["product"], **item}])

    response = api.post(RUNS, body)

    assert response.status_code == 400
    assert db_state() == before


def test_create_with_a_negative_estimate_writes_nothing(api, scenario):
    before = db_state()
    body = payload(materials=[{"spool": scenario["spool"], "estimated_model_g": "-1.00"}])

    response = api.post(RUNS, body)

    assert response.status_code == 400
    assert "estimated_model_g" in response.data["materials"][0]
    assert db_state() == before


@pytest.mark.parametrize("rating", [0, 6, "good"])
def test_create_refuses_a_quality_rating_outside_1_to_5(api, rating):
    response = api.post(RUNS, {"quality_rating": rating})

    assert response.status_code == 400
    assert "quality_rating" in response.data
    assert ProductionRun.all_objects.count() == 0


def test_create_with_another_tenants_printer_is_a_400(api, other_tenant, make_printer):
    response = api.post(RUNS, {"printer": str(make_printer(other_tenant).pk)})

    assert response.status_code == 400
    assert "printer" in response.data
    assert ProductionRun.all_objects.count() == 0


# --- read ---------------------------------------------------------------------------------------


def test_list_and_detail_return_the_same_shape(api, tenant, make_run):
    run = make_run(tenant, notes="shape")

    listed = api.get(RUNS).json()
    detail = api.get(run_url(run)).json()

    assert listed["count"] == 1
    assert set(listed) == {"count", "next", "previous", "results"}
    assert listed["results"][0] == detail


def test_unknown_run_is_a_404(api):
    assert api.get(f"{RUNS}{uuid.uuid4()}/").status_code == 404


# --- PUT / PATCH -------------------------------------------------------------------------------


def test_patch_changes_only_the_given_fields(api, tenant, make_run, make_printer):
    run = make_run(tenant, notes="keep me", slicer_software="Cura")
    printer = make_printer(tenant)

    response = api.patch(run_url(run), {"printer": str(printer.pk), "bed_temperature_c": 60})

    assert response.status_code == 200, response.data
    run.refresh_from_db()
    assert run.printer == printer and run.bed_temperature_c == 60
    assert (run.notes, run.slicer_software) == ("keep me", "Cura")
    assert response.json()["printer"] == str(printer.pk)
    assert len(response.json()["items"]) == 1


def test_put_replaces_the_writable_fields(api, tenant, make_run, make_printer):
    run = make_run(tenant, notes="old")
    printer = make_printer(tenant)
    body = {
        "printer": str(printer.pk),
        "started_at": "2024-05-01T08:00:00+02:00",
        "estimated_print_time_hours": "3.50",
        "slicer_software": "OrcaSlicer",
        "bed_temperature_c": 65,
        "nozzle_temperature_c": 215,
        "quality_rating": None,
        "quality_notes": "",
        "notes": "new",
        "original_run": None,
    }

    response = api.put(run_url(run), body)

    assert response.status_code == 200, response.data
    run.refresh_from_db()
    assert run.printer == printer
    assert run.started_at == datetime.datetime(2024, 5, 1, 6, 0, tzinfo=datetime.UTC)
    assert run.estimated_print_time_hours == Decimal("3.50")
    assert (run.slicer_software, run.bed_temperature_c, run.nozzle_temperature_c) == ("OrcaSlicer", 65, 215)
    assert run.notes == "new"
    assert run.status == RunStatus.IN_PROGRESS
    # Items and materials are not replaced by a PUT of the run: they have their own endpoints.
    assert run.items.count() == 1 and run.materials.count() == 1


def test_patch_ignores_read_only_fields(api, tenant, make_run):
    run = make_run(tenant)
    number = run.run_number
    body = {
        "run_number": "HACK-1",
        "is_reprint": True,
        "created_by": "somebody",
        "completed_at": "2030-01-01T00:00:00Z",
        "duration_hours": "5.00",
        "failure_reason": "adhesion",
        "actual_total_g": "1.00",
        "items": [],
        "materials": [],
        "notes": "changed",
    }

    response = api.patch(run_url(run), body)

    assert response.status_code == 200, response.data
    run.refresh_from_db()
    assert run.run_number == number
    assert run.completed_at is None and run.duration_hours is None and run.failure_reason == ""
    assert run.notes == "changed"
    assert run.items.count() == 1 and run.materials.count() == 1


@pytest.mark.parametrize("rating", [0, 6])
def test_patch_refuses_a_quality_rating_outside_1_to_5(api, tenant, make_run, rating):
    run = make_run(tenant)

    response = api.patch(run_url(run), {"quality_rating": rating})

    assert response.status_code == 400
    assert "quality_rating" in response.data
    run.refresh_from_db()
    assert run.quality_rating is None


def test_a_run_with_an_original_run_is_a_reprint(api, tenant, make_run):
    original = make_run(tenant)

    response = api.post(RUNS, {"original_run": str(original.pk)})

    assert response.status_code == 201, response.data
    assert response.json()["original_run"] == str(original.pk)
    assert response.json()["is_reprint"] is True


def test_patch_can_mark_and_unmark_a_reprint(api, tenant, make_run):
    original, run = make_run(tenant), make_run(tenant)

    marked = api.patch(run_url(run), {"original_run": str(original.pk)}).json()
    unmarked = api.patch(run_url(run), {"original_run": None}).json()

    assert marked["is_reprint"] is True
    assert unmarked["is_reprint"] is False


def test_original_run_of_another_tenant_is_a_400(api, tenant, other_tenant, make_run):
    foreign = make_run(other_tenant)
    run = make_run(tenant)

    created = api.post(RUNS, {"original_run": str(foreign.pk)})
    patched = api.patch(run_url(run), {"original_run": str(foreign.pk)})

    assert created.status_code == 400 and "original_run" in created.data
    assert patched.status_code == 400 and "original_run" in patched.data
    assert ProductionRun.all_objects.count() == 2
    run.refresh_from_db()
    assert run.original_run is None


def test_a_run_cannot_reprint_itself(api, tenant, make_run):
    run = make_run(tenant)

    response = api.patch(run_url(run), {"original_run": str(run.pk)})

    assert response.status_code == 400
    run.refresh_from_db()
    assert run.original_run is None


def test_started_at_of_a_completed_run_is_locked(api, tenant, make_run):
    run = set_status(make_run(tenant), RunStatus.COMPLETED)

    response = api.patch(run_url(run), {"started_at": "2999-01-01T00:00:00Z"})

    assert response.status_code == 409
    assert response.data["code"] == "run_locked"


# --- status rules (5.3) -----------------------------------------------------------------------


def test_cancel_moves_an_in_progress_run_to_cancelled_without_ledger_rows(api, tenant, make_run):
    run = make_run(tenant)
    before = db_state()

    response = api.post(run_url(run, "cancel"))

    assert response.status_code == 200, response.data
    assert response.json()["status"] == "cancelled"
    assert response.json()["id"] == str(run.pk)
    assert db_state() == before
    assert not InventoryTransaction.objects.filter(production_run=run).exists()


INVALID_TRANSITIONS = [
    (RunStatus.CANCELLED, "complete"),
    (RunStatus.CANCELLED, "fail"),
    (RunStatus.CANCELLED, "cancel"),
    (RunStatus.CANCELLED, "reopen"),
    (RunStatus.COMPLETED, "complete"),
    (RunStatus.COMPLETED, "fail"),
    (RunStatus.COMPLETED, "cancel"),
    (RunStatus.FAILED, "complete"),
    (RunStatus.FAILED, "fail"),
    (RunStatus.FAILED, "cancel"),
    (RunStatus.IN_PROGRESS, "reopen"),
]
ACTION_BODIES = {"complete": {"use_estimates": True}, "fail": {"failure_reason": "spaghetti"}}


@pytest.mark.parametrize(("status", "action"), INVALID_TRANSITIONS)
def test_an_invalid_transition_is_a_409_naming_the_status(manager_api, tenant, make_run, status, action):
    run = set_status(make_run(tenant), status)
    before, updated_at = db_state(), run.updated_at

    response = manager_api.post(run_url(run, action), ACTION_BODIES.get(action, {}))

    assert response.status_code == 409, response.data
    assert response.data["code"] == "invalid_transition"
    assert status in response.data["detail"]
    assert response.data["status"] == status
    run.refresh_from_db()
    assert run.status == status and run.updated_at == updated_at
    assert db_state() == before


def test_patch_status_cancelled_cancels_an_in_progress_run(api, tenant, make_run):
    run = make_run(tenant)
    before = db_state()

    response = api.patch(run_url(run), {"status": "cancelled"})

    assert response.status_code == 200, response.data
    assert response.json()["status"] == "cancelled"
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED
    assert db_state() == before


def test_put_status_cancelled_cancels_an_in_progress_run(api, tenant, make_run):
    run = make_run(tenant)

    response = api.put(run_url(run), {"status": "cancelled", "notes": "no filament"})

    assert response.status_code == 200, response.data
    run.refresh_from_db()
    assert (run.status, run.notes) == (RunStatus.CANCELLED, "no filament")


@pytest.mark.parametrize(
    ("status", "target"),
    [
        (RunStatus.IN_PROGRESS, "completed"),
        (RunStatus.IN_PROGRESS, "failed"),
        (RunStatus.COMPLETED, "in_progress"),
        (RunStatus.COMPLETED, "cancelled"),
        (RunStatus.FAILED, "completed"),
        (RunStatus.CANCELLED, "in_progress"),
    ],
)
def test_patch_any_other_status_change_is_an_invalid_transition(api, tenant, make_run, status, target):
    run = set_status(make_run(tenant), status)
    before = db_state()

    response = api.patch(run_url(run), {"status": target, "notes": "try"})

    assert response.status_code == 409, response.data
    assert response.data["code"] == "invalid_transition"
    assert status in response.data["detail"]
    run.refresh_from_db()
    assert run.status == status and run.notes == ""
    assert db_state() == before


def test_patch_with_an_unknown_status_is_a_400(api, tenant, make_run):
    run = make_run(tenant)

    response = api.patch(run_url(run), {"status": "paused"})

    assert response.status_code == 400
    assert "status" in response.data


LOCKED = [RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED]


@pytest.mark.parametrize("status", LOCKED)
@pytest.mark.parametrize(
    "change",
    [
        {"slicer_software": "Cura"},
        {"bed_temperature_c": 70},
        {"started_at": "2020-01-01T00:00:00Z"},
        {"estimated_print_time_hours": "9.00"},
        {"notes": "fine", "nozzle_temperature_c": 230},
    ],
    ids=["slicer", "bed", "started_at", "print_time", "notes+nozzle"],
)
def test_patch_of_a_locked_run_is_run_locked(api, tenant, make_run, status, change):
    run = set_status(make_run(tenant), status)
    before, updated_at = db_state(), run.updated_at

    response = api.patch(run_url(run), change)

    assert response.status_code == 409, response.data
    assert response.data["code"] == "run_locked"
    run.refresh_from_db()
    assert run.updated_at == updated_at and run.notes == ""
    assert db_state() == before


@pytest.mark.parametrize("status", LOCKED)
def test_patch_of_a_locked_run_may_change_notes_and_quality(api, tenant, make_run, status):
    run = set_status(make_run(tenant), status)

    response = api.patch(run_url(run), {"notes": "later", "quality_rating": 4, "quality_notes": "stringing"})

    assert response.status_code == 200, response.data
    run.refresh_from_db()
    assert (run.notes, run.quality_rating, run.quality_notes) == ("later", 4, "stringing")
    assert run.status == status


def test_put_of_a_locked_run_resending_its_values_may_change_notes(api, tenant, make_run):
    run = set_status(make_run(tenant), RunStatus.COMPLETED)
    body = api.get(run_url(run)).json()
    body["notes"] = "checked"

    response = api.put(run_url(run), body)

    assert response.status_code == 200, response.data
    run.refresh_from_db()
    assert run.notes == "checked" and run.status == RunStatus.COMPLETED
