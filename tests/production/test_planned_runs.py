"""Planned runs (SPEC 8.1): creating one, material-only lines, start/, cancel from planned."""

import datetime
from decimal import Decimal

import pytest

from events.models import Event
from production.models import ProductionRun, ProductionRunMaterial
from production.services import RunDraft, create_run

pytestmark = pytest.mark.django_db

RUNS = "/api/v1/production-runs/"


def planned_body(product, *, printer=None, **fields):
    body = {"status": "planned", "items": [{"product": product.sku, "quantity": 2}], **fields}
    if printer is not None:
        body["printer"] = str(printer.pk)
    return body


@pytest.fixture
def product(tenant, make_product):
    return make_product(tenant)


@pytest.fixture
def printer(tenant, make_printer):
    return make_printer(tenant, name="X1C", slot_count=4)


@pytest.fixture
def plan(tenant, member, make_product):
    """A planned run through the service: `materials` as MaterialDraft mappings."""

    def make(*, materials=(), **fields):
        draft = RunDraft.from_data(
            {
                "status": "planned",
                "items": [{"product": make_product(tenant), "quantity": 1}],
                "materials": list(materials),
                **fields,
            }
        )
        return create_run(tenant=tenant, user=member, draft=draft)

    return make


def line(spool=None, grams="100.00", material=None):
    return {"spool": spool, "material": material, "estimated_model_g": Decimal(grams)}


def test_a_planned_run_has_no_start_and_normal_priority(api, product):
    response = api.post(RUNS, planned_body(product), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "planned"
    assert body["started_at"] is None
    assert body["priority"] == "normal"
    assert body["planned_start"] is None
    assert Event.objects.filter(type="run.planned", resource_id=body["id"]).exists()


def test_a_run_created_without_status_still_starts_in_progress(api, product):
    response = api.post(RUNS, {"items": [{"product": product.sku, "quantity": 1}]}, format="json")

    assert response.json()["status"] == "in_progress"
    assert response.json()["started_at"] is not None


@pytest.mark.parametrize("status", ["completed", "failed", "cancelled", "nonsense"])
def test_any_other_status_on_create_is_400(api, product, status):
    response = api.post(RUNS, planned_body(product, status=status), format="json")

    assert response.status_code == 400
    assert "status" in response.json()
    assert not ProductionRun.objects.exists()


def test_a_planned_start_without_offset_is_read_in_the_tenants_zone(api, product, tenant):
    tenant.timezone = "Europe/Berlin"
    tenant.save()

    response = api.post(RUNS, planned_body(product, planned_start="2027-01-10T08:00:00"), format="json")

    assert response.status_code == 201, response.content
    stored = ProductionRun.objects.get(pk=response.json()["id"]).planned_start
    assert stored == datetime.datetime(2027, 1, 10, 7, 0, tzinfo=datetime.UTC)


def test_a_planned_line_may_name_only_a_material_by_number(api, product, make_material, tenant):
    material = make_material(tenant, name="PETG Black", kind="PETG")
    body = planned_body(product, materials=[{"material": material.number, "estimated_model_g": "40.00"}])

    response = api.post(RUNS, body, format="json")

    assert response.status_code == 201, response.content
    (created,) = response.json()["materials"]
    assert created["spool"] is None
    assert created["material"] == str(material.pk)
    assert created["material_name"] == "PETG Black"


def test_a_material_only_line_on_an_in_progress_run_is_400(api, product, make_material, tenant):
    material = make_material(tenant)
    body = {
        "items": [{"product": product.sku, "quantity": 1}],
        "materials": [{"material": str(material.pk), "estimated_model_g": "40.00"}],
    }

    response = api.post(RUNS, body, format="json")

    assert response.status_code == 400
    assert "planned" in response.json()["detail"]
    assert not ProductionRun.objects.exists()


def test_a_line_with_neither_spool_nor_material_is_400(api, product):
    response = api.post(RUNS, planned_body(product, materials=[{"estimated_model_g": "40.00"}]), format="json")

    assert response.status_code == 400
    assert not ProductionRun.objects.exists()


def test_a_spool_of_another_material_than_the_lines_is_400(api, product, make_material, make_spool, tenant):
    spool = make_spool(tenant)
    other = make_material(tenant, name="PETG", kind="PETG")
    body = planned_body(
        product, materials=[{"spool": spool.code, "material": str(other.pk), "estimated_model_g": "40.00"}]
    )

    response = api.post(RUNS, body, format="json")

    assert response.status_code == 400
    assert not ProductionRun.objects.exists()


def test_planning_may_over_book_a_spool(api, product, make_spool, tenant):
    spool = make_spool(tenant)  # 1000 g
    body = planned_body(product, materials=[{"spool": spool.code, "estimated_model_g": "1500.00"}])

    response = api.post(RUNS, body, format="json")

    assert response.status_code == 201, response.content
    shown = api.get(f"/api/v1/spools/{spool.pk}/").json()
    assert shown["reserved_g"] == "1500.00"
    assert shown["available_g"] == "-500.00"


# --- start/ ----------------------------------------------------------------------------------


def test_start_moves_a_planned_run_to_in_progress_on_the_body_printer(api, plan, printer, make_spool, tenant):
    run = plan(materials=[line(make_spool(tenant))])

    response = api.post(f"{RUNS}{run.pk}/start/", {"printer": printer.name}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "in_progress"
    assert body["printer"] == str(printer.pk)
    assert body["started_at"] is not None
    assert Event.objects.filter(type="run.started", resource_id=run.pk).exists()
    history = api.get(f"{RUNS}{run.pk}/history/").json()["results"]
    assert history[0]["action"] == "started"
    assert history[0]["changes"]["status"] == ["planned", "in_progress"]


def test_start_without_any_printer_is_400_printer_required(api, plan, make_spool, tenant):
    run = plan(materials=[line(make_spool(tenant))])

    response = api.post(f"{RUNS}{run.pk}/start/", {}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "printer_required"
    run.refresh_from_db()
    assert run.status == "planned"


def test_start_on_a_printing_printer_is_409_printer_busy(api, plan, printer, make_run, tenant):
    busy = make_run(tenant, printer=printer)
    run = plan(printer=printer, materials=[])

    response = api.post(f"{RUNS}{run.pk}/start/", {}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "printer_busy"
    assert response.json()["current_run"] == str(busy.pk)
    run.refresh_from_db()
    assert run.status == "planned"


def test_start_refuses_a_spool_that_in_progress_runs_have_booked(api, plan, printer, make_run, make_spool, tenant):
    spool = make_spool(tenant)  # 1000 g
    make_run(tenant, materials=[line(spool, "950.00")])
    run = plan(printer=printer, materials=[line(spool, "100.00")])

    response = api.post(f"{RUNS}{run.pk}/start/", {}, format="json")

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "insufficient_stock"
    assert (body["spool"], body["available_g"], body["required_g"]) == (spool.code, "50.00", "100.00")
    assert body["line"] == str(run.materials.get().pk)
    run.refresh_from_db()
    assert run.status == "planned"


def test_other_planned_runs_do_not_block_a_start(api, plan, printer, make_spool, tenant):
    spool = make_spool(tenant)
    plan(materials=[line(spool, "950.00")])
    run = plan(printer=printer, materials=[line(spool, "100.00")])

    assert api.post(f"{RUNS}{run.pk}/start/", {}, format="json").status_code == 200


def test_start_gives_a_material_only_line_a_spool_preferring_the_loaded_one(
    api, plan, printer, make_material, make_spool, tenant
):
    material = make_material(tenant)
    make_spool(tenant, material)  # lighter? no: both 1000 g; the loaded one wins
    loaded = make_spool(tenant, material)
    api.put(f"/api/v1/printers/{printer.pk}/slots/2/", {"spool": loaded.code}, format="json")
    run = plan(printer=printer, materials=[line(material=material, grams="30.00")])

    response = api.post(f"{RUNS}{run.pk}/start/", {}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["materials"][0]["spool"] == str(loaded.pk)
    assert ProductionRunMaterial.objects.get(run=run).cost_per_gram == loaded.cost_per_gram


def test_start_without_a_spool_that_can_feed_a_material_line_is_409_spool_required(
    api, plan, printer, make_material, make_spool, tenant
):
    material = make_material(tenant)
    make_spool(tenant, material)  # 1000 g
    run = plan(printer=printer, materials=[line(material=material, grams="1200.00")])

    response = api.post(f"{RUNS}{run.pk}/start/", {}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "spool_required"
    assert response.json()["line"] == str(run.materials.get().pk)
    assert ProductionRunMaterial.objects.get(run=run).spool is None


def test_cancel_works_from_planned(api, plan):
    run = plan()

    response = api.post(f"{RUNS}{run.pk}/cancel/")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"


@pytest.mark.parametrize("action", ["complete", "fail"])
def test_complete_and_fail_from_planned_are_409(api, plan, action):
    run = plan()
    body = {"use_estimates": True} if action == "complete" else {"failure_reason": "other"}

    response = api.post(f"{RUNS}{run.pk}/{action}/", body, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert response.json()["status"] == "planned"


def test_start_of_a_started_run_is_409(api, make_run, tenant, printer):
    run = make_run(tenant, printer=printer)

    response = api.post(f"{RUNS}{run.pk}/start/", {}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"


def test_a_planned_run_is_editable_and_its_priority_changes(api, plan):
    run = plan()

    response = api.patch(f"{RUNS}{run.pk}/", {"priority": "urgent", "notes": "rush"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["priority"] == "urgent"


def test_viewers_may_not_start(viewer_api, plan, printer):
    run = plan(printer=printer)

    assert viewer_api.post(f"{RUNS}{run.pk}/start/", {}, format="json").status_code == 403


def test_another_tenants_printer_in_the_start_body_is_400(api, plan, make_printer, other_tenant):
    run = plan()
    theirs = make_printer(other_tenant, name="Theirs")

    response = api.post(f"{RUNS}{run.pk}/start/", {"printer": str(theirs.pk)}, format="json")

    assert response.status_code == 400
    assert "printer" in response.json()


# --- reservations ----------------------------------------------------------------------------


def test_reservations_are_released_when_a_run_ends(api, plan, make_run, make_spool, tenant):
    spool = make_spool(tenant)
    planned = plan(materials=[line(spool, "100.00")])
    running = make_run(tenant, materials=[line(spool, "50.00")])
    assert api.get(f"/api/v1/spools/{spool.pk}/").json()["reserved_g"] == "150.00"

    api.post(f"{RUNS}{planned.pk}/cancel/")
    api.post(f"{RUNS}{running.pk}/complete/", {"use_estimates": True}, format="json")

    shown = api.get(f"/api/v1/spools/{spool.pk}/").json()
    assert (shown["current_weight_g"], shown["reserved_g"], shown["available_g"]) == ("950.00", "0.00", "950.00")


def test_a_material_reserves_its_material_only_lines_and_its_spools(api, plan, make_material, make_spool, tenant):
    material = make_material(tenant)
    spool = make_spool(tenant, material)  # 1000 g
    make_spool(tenant, material, is_active=False)  # not stock
    plan(materials=[line(material=material, grams="300.00")])
    plan(materials=[line(spool, "200.00")])

    shown = api.get(f"/api/v1/materials/{material.pk}/").json()

    assert shown["reserved_g"] == "500.00"
    assert shown["available_g"] == "500.00"


def test_low_stock_judges_available_grams(api, plan, make_spool, tenant):
    spool = make_spool(tenant)  # 1000 g, low below 20 % = 200 g
    assert api.get("/api/v1/reports/low-stock/").json()["results"] == []

    plan(materials=[line(spool, "850.00")])

    (entry,) = api.get("/api/v1/reports/low-stock/").json()["results"]
    (low,) = entry["spools"]
    assert (low["code"], low["available_g"], low["reserved_g"]) == (spool.code, "150.00", "850.00")


def test_another_tenants_material_on_a_line_is_400_and_not_named(api, product, make_material, other_tenant):
    theirs = make_material(other_tenant, name="Their secret PLA")
    body = planned_body(product, materials=[{"material": str(theirs.pk), "estimated_model_g": "10.00"}])

    response = api.post(RUNS, body, format="json")

    assert response.status_code == 400
    assert "material" in str(response.json()["materials"])
    assert "Their secret PLA" not in response.content.decode()
    assert not ProductionRun.objects.exists()


def test_the_queue_is_a_browsable_page(member_browser, plan):
    run = plan()

    response = member_browser.get("/api/v1/queue/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert run.run_number in response.content.decode()
