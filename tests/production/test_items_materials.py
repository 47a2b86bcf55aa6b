"""A run's items and materials through their nested endpoints (SPEC 5.1, 5.2 and the locked-run rule)."""

import uuid
from decimal import Decimal

import pytest

from inventory.models import InventoryTransaction, Spool
from production import services
from production.models import ProductionRunItem, ProductionRunMaterial, RunStatus
from production.services import Completion, Failure

RUNS = "/api/v1/production-runs/"


def items_url(run, item=None):
    return f"{RUNS}{run.pk}/items/" + (f"{item.pk}/" if item else "")


def materials_url(run, material=None):
    return f"{RUNS}{run.pk}/materials/" + (f"{material.pk}/" if material else "")


def db_state():
    return {
        "items": sorted(ProductionRunItem.objects.values_list("pk", "product", "quantity", "notes")),
        "materials": sorted(ProductionRunMaterial.objects.values_list("pk", "spool", "estimated_model_g")),
        "ledger": InventoryTransaction.objects.count(),
        "weights": dict(Spool.objects.values_list("pk", "current_weight_g")),
    }


@pytest.fixture
def run(tenant, make_run):
    """An in_progress run with one item (10 units) and one material (100 g on a 1000 g PLA spool)."""
    return make_run(tenant)


@pytest.fixture
def petg_spool(tenant, make_spool, make_material):
    return make_spool(tenant, make_material(tenant, name="PETG Basic", kind="PETG"))


def lock(run, status):
    if status == RunStatus.COMPLETED:
        services.complete_run(run=run, user=None, completion=Completion.from_data({"use_estimates": True}))
    elif status == RunStatus.FAILED:
        services.fail_run(run=run, user=None, failure=Failure.from_data({"failure_reason": "warping"}))
    else:
        services.cancel_run(run=run, user=None)
    run.refresh_from_db()
    return run


# --- items ---------------------------------------------------------------------------------------


def test_list_items_of_a_run(api, run):
    (item,) = run.items.all()

    response = api.get(items_url(run))

    assert response.status_code == 200
    (listed,) = response.json()["results"]
    assert listed["id"] == str(item.pk)
    assert listed["product"] == str(item.product_id)
    assert listed["product_sku"] == item.product.sku
    assert listed["product_name"] == item.product.name
    assert listed["quantity"] == 10
    assert listed["successful_quantity"] is None and listed["failed_quantity"] is None


def test_get_one_item(api, run):
    item = run.items.get()

    response = api.get(items_url(run, item))

    assert response.status_code == 200
    assert response.json()["id"] == str(item.pk)


def test_post_an_item(api, tenant, run, make_product):
    product = make_product(tenant, name="Dragon")

    response = api.post(items_url(run), {"product": str(product.pk), "quantity": 4, "bed_position": "B2"})

    assert response.status_code == 201, response.data
    item = ProductionRunItem.objects.get(pk=response.json()["id"])
    assert (item.run, item.tenant, item.product, item.quantity) == (run, tenant, product, 4)
    assert response.json()["product_name"] == "Dragon"
    assert api.get(f"{RUNS}{run.pk}/").json()["items_summary"] == "2 products"


def test_put_an_item_replaces_it(api, tenant, run, make_product):
    item = run.items.get()
    product = make_product(tenant)

    response = api.put(items_url(run, item), {"product": str(product.pk), "quantity": 3, "notes": "swap"})

    assert response.status_code == 200, response.data
    item.refresh_from_db()
    assert (item.product, item.quantity, item.notes) == (product, 3, "swap")


def test_patch_an_item(api, run):
    item = run.items.get()

    response = api.patch(items_url(run, item), {"successful_quantity": 7, "failed_quantity": 3})

    assert response.status_code == 200, response.data
    item.refresh_from_db()
    assert (item.quantity, item.successful_quantity, item.failed_quantity) == (10, 7, 3)


def test_delete_an_item(api, run):
    item = run.items.get()

    response = api.delete(items_url(run, item))

    assert response.status_code == 204
    assert not ProductionRunItem.objects.filter(pk=item.pk).exists()


def test_an_item_of_another_run_is_a_404(api, tenant, run, make_run):
    other_item = make_run(tenant).items.get()
    before = db_state()

    assert api.get(items_url(run, other_item)).status_code == 404
    assert api.patch(items_url(run, other_item), {"quantity": 1}).status_code == 404
    assert (
        api.put(items_url(run, other_item), {"product": str(other_item.product_id), "quantity": 1}).status_code == 404
    )
    assert api.delete(items_url(run, other_item)).status_code == 404
    assert db_state() == before


def test_an_unknown_run_is_a_404_for_its_items(api, tenant, make_product):
    missing = f"{RUNS}{uuid.uuid4()}/items/"

    assert api.get(missing).status_code == 404
    assert api.post(missing, {"product": str(make_product(tenant).pk), "quantity": 1}).status_code == 404


def test_item_outcomes_above_quantity_are_refused(api, run):
    item = run.items.get()
    before = db_state()

    response = api.patch(items_url(run, item), {"successful_quantity": 8, "failed_quantity": 3})

    assert response.status_code == 400
    assert db_state() == before


def test_item_quantity_below_its_outcomes_is_refused(api, run):
    item = run.items.get()
    api.patch(items_url(run, item), {"successful_quantity": 8})

    response = api.patch(items_url(run, item), {"quantity": 7})

    assert response.status_code == 400
    item.refresh_from_db()
    assert item.quantity == 10


def test_adding_an_item_beyond_1000_units_is_refused(api, tenant, run, make_product):
    before = db_state()

    response = api.post(items_url(run), {"product": str(make_product(tenant).pk), "quantity": 991})

    assert response.status_code == 400
    assert response.data["code"] == "too_many_units"
    assert db_state() == before
    assert api.post(items_url(run), {"product": str(make_product(tenant).pk), "quantity": 990}).status_code == 201


def test_raising_an_item_quantity_beyond_1000_units_is_refused(api, tenant, run, make_product):
    api.post(items_url(run), {"product": str(make_product(tenant).pk), "quantity": 500})
    item = run.items.order_by("created_at").first()

    response = api.patch(items_url(run, item), {"quantity": 501})

    assert response.status_code == 400
    item.refresh_from_db()
    assert item.quantity == 10


@pytest.mark.parametrize("body", [{"quantity": 0}, {"quantity": -2}, {"failed_quantity": -1}, {"quantity": None}])
def test_invalid_item_numbers_are_a_400(api, run, body):
    item = run.items.get()
    before = db_state()

    assert api.patch(items_url(run, item), body).status_code == 400
    assert db_state() == before


def test_an_item_with_another_tenants_product_is_a_400(api, other_tenant, run, make_product):
    before = db_state()

    response = api.post(items_url(run), {"product": str(make_product(other_tenant).pk), "quantity": 1})

    assert response.status_code == 400
    assert "product" in response.data
    assert db_state() == before


def test_adding_an_item_whose_kind_conflicts_with_a_material_is_refused(api, tenant, run, make_product):
    petg_product = make_product(tenant, material_kind="PETG")  # the run's spool is PLA
    before = db_state()

    response = api.post(items_url(run), {"product": str(petg_product.pk), "quantity": 1})

    assert response.status_code == 400
    assert response.data["code"] == "material_kind_mismatch"
    assert db_state() == before


def test_changing_an_items_product_to_a_conflicting_kind_is_refused(api, tenant, run, make_product):
    item = run.items.get()
    before = db_state()

    response = api.patch(items_url(run, item), {"product": str(make_product(tenant, material_kind="ABS").pk)})

    assert response.status_code == 400
    assert db_state() == before


def test_an_item_of_the_spools_kind_is_accepted(api, tenant, run, make_product):
    response = api.post(items_url(run), {"product": str(make_product(tenant, material_kind="PLA").pk), "quantity": 1})

    assert response.status_code == 201, response.data


# --- materials -----------------------------------------------------------------------------------


def test_list_materials_of_a_run(api, run):
    material = run.materials.select_related("spool__material").get()

    response = api.get(materials_url(run))

    assert response.status_code == 200
    (listed,) = response.json()["results"]
    assert listed["id"] == str(material.pk)
    assert listed["spool"] == str(material.spool_id)
    assert listed["spool_code"] == material.spool.code
    assert listed["material_name"] == "PLA Basic"
    assert listed["material_kind"] == "PLA"
    assert (listed["color_name"], listed["color_hex"]) == ("Red", "#FF0000")
    assert listed["estimated_model_g"] == "100.00"
    assert listed["estimated_flushed_g"] == "0.00" and listed["estimated_tower_g"] == "0.00"
    assert listed["estimated_total_g"] == "100.00"
    assert listed["actual_total_g"] is None
    assert listed["variance_g"] is None and listed["variance_percent"] is None


def test_get_one_material(api, run):
    material = run.materials.get()

    response = api.get(materials_url(run, material))

    assert response.status_code == 200
    assert response.json()["id"] == str(material.pk)


def test_post_a_material(api, tenant, run, make_spool):
    spool = make_spool(tenant, purchase_price=Decimal("30.00"), initial_weight_g=Decimal("750.00"))

    response = api.post(
        materials_url(run),
        {"spool": str(spool.pk), "estimated_model_g": "40.00", "estimated_flushed_g": "5.25", "estimated_tower_g": "2"},
    )

    assert response.status_code == 201, response.data
    data = response.json()
    assert data["estimated_total_g"] == "47.25"
    assert data["cost_per_gram"] == "0.0400"
    material = ProductionRunMaterial.objects.get(pk=data["id"])
    assert (material.run, material.tenant, material.spool) == (run, tenant, spool)
    # Assigning a spool moves no inventory.
    assert InventoryTransaction.objects.filter(production_run=run).count() == 0


def test_put_a_material_replaces_it(api, tenant, run, make_spool):
    material = run.materials.get()
    spool = make_spool(tenant)

    response = api.put(materials_url(run, material), {"spool": str(spool.pk), "estimated_model_g": "60.00"})

    assert response.status_code == 200, response.data
    material.refresh_from_db()
    assert (material.spool, material.estimated_model_g) == (spool, Decimal("60.00"))


def test_patch_a_material(api, run):
    material = run.materials.get()

    response = api.patch(materials_url(run, material), {"estimated_tower_g": "12.00"})

    assert response.status_code == 200, response.data
    assert response.json()["estimated_total_g"] == "112.00"


def test_delete_a_material(api, run):
    material = run.materials.get()

    response = api.delete(materials_url(run, material))

    assert response.status_code == 204
    assert not ProductionRunMaterial.objects.filter(pk=material.pk).exists()


def test_a_material_of_another_run_is_a_404(api, tenant, run, make_run):
    other_material = make_run(tenant).materials.get()
    before = db_state()

    assert api.get(materials_url(run, other_material)).status_code == 404
    assert api.patch(materials_url(run, other_material), {"actual_model_g": "1"}).status_code == 404
    assert api.delete(materials_url(run, other_material)).status_code == 404
    assert db_state() == before


def test_assigning_an_inactive_spool_is_a_400(api, tenant, run, make_spool):
    spool = make_spool(tenant, is_active=False)
    before = db_state()

    response = api.post(materials_url(run), {"spool": str(spool.pk), "estimated_model_g": "10"})

    assert response.status_code == 400
    assert response.data["code"] == "spool_inactive"
    assert db_state() == before


def test_assigning_another_tenants_spool_is_a_400(api, other_tenant, run, make_spool):
    spool = make_spool(other_tenant)
    before = db_state()

    response = api.post(materials_url(run), {"spool": str(spool.pk), "estimated_model_g": "10"})

    assert response.status_code == 400
    assert "spool" in response.data
    assert db_state() == before


def test_assigning_a_spool_already_on_the_run_is_duplicate_spool(api, run):
    spool = run.materials.get().spool
    before = db_state()

    response = api.post(materials_url(run), {"spool": str(spool.pk), "estimated_model_g": "10"})

    assert response.status_code == 409
    assert response.data["code"] == "duplicate_spool"
    assert spool.code in response.data["detail"]
    assert db_state() == before


def test_moving_a_material_onto_a_spool_already_on_the_run_is_duplicate_spool(api, tenant, run, make_spool):
    second = api.post(materials_url(run), {"spool": str(make_spool(tenant).pk), "estimated_model_g": "10"}).json()
    first_spool = run.materials.order_by("created_at").first().spool
    before = db_state()

    response = api.patch(f"{materials_url(run)}{second['id']}/", {"spool": str(first_spool.pk)})

    assert response.status_code == 409
    assert response.data["code"] == "duplicate_spool"
    assert db_state() == before


def test_the_same_spool_may_serve_two_runs(api, tenant, run, make_run):
    spool = run.materials.get().spool
    other = make_run(tenant, materials=[])

    response = api.post(materials_url(other), {"spool": str(spool.pk), "estimated_model_g": "10"})

    assert response.status_code == 201, response.data


def test_assigning_a_spool_of_a_kind_a_product_forbids_is_a_400(api, tenant, make_run, make_product, petg_spool):
    run = make_run(tenant, items=[{"product": make_product(tenant, material_kind="PLA"), "quantity": 2}])
    before = db_state()

    response = api.post(materials_url(run), {"spool": str(petg_spool.pk), "estimated_model_g": "10"})

    assert response.status_code == 400
    assert response.data["code"] == "material_kind_mismatch"
    assert db_state() == before


def test_a_product_without_a_kind_accepts_any_spool(api, run, petg_spool):
    response = api.post(materials_url(run), {"spool": str(petg_spool.pk), "estimated_model_g": "10"})

    assert response.status_code == 201, response.data


def test_assigning_a_spool_below_the_estimate_is_insufficient_stock(api, tenant, run, make_spool):
    spool = make_spool(tenant, initial_weight_g=Decimal("50.00"))
    before = db_state()

    response = api.post(
        materials_url(run), {"spool": str(spool.pk), "estimated_model_g": "45.00", "estimated_tower_g": "5.01"}
    )

    assert response.status_code == 409
    assert response.data["code"] == "insufficient_stock"
    assert response.data["spool"] == spool.code
    assert Decimal(response.data["available_g"]) == Decimal("50.00")
    assert Decimal(response.data["required_g"]) == Decimal("50.01")
    assert db_state() == before


def test_raising_an_estimate_above_the_stock_is_insufficient_stock(api, run):
    material = run.materials.get()
    before = db_state()

    response = api.patch(materials_url(run, material), {"estimated_model_g": "1000.01"})

    assert response.status_code == 409
    assert response.data["code"] == "insufficient_stock"
    assert db_state() == before


def test_recording_actuals_does_not_recheck_an_assigned_spool(api, tenant, run):
    material = run.materials.get()
    Spool.objects.filter(pk=material.spool_id).update(is_active=False)

    response = api.patch(materials_url(run, material), {"actual_model_g": "95.00"})

    assert response.status_code == 200, response.data
    assert response.json()["actual_total_g"] == "95.00"


@pytest.mark.parametrize("field", ["estimated_model_g", "estimated_flushed_g", "estimated_tower_g", "actual_model_g"])
def test_negative_grams_are_a_400(api, run, field):
    material = run.materials.get()
    before = db_state()

    response = api.patch(materials_url(run, material), {field: "-0.01"})

    assert response.status_code == 400
    assert field in response.data
    assert db_state() == before


def test_a_weighing_after_above_before_is_a_400(api, run):
    material = run.materials.get()

    response = api.patch(materials_url(run, material), {"spool_weight_before_g": "900", "spool_weight_after_g": "901"})

    assert response.status_code == 400
    material.refresh_from_db()
    assert material.spool_weight_before_g is None


# --- material totals --------------------------------------------------------------------------


def test_actual_total_is_null_without_actuals(api, run):
    material = run.materials.get()

    assert api.get(materials_url(run, material)).json()["actual_total_g"] is None


def test_actual_total_is_the_sum_of_the_actual_parts(api, run):
    material = run.materials.get()

    data = api.patch(
        materials_url(run, material), {"actual_model_g": "98.50", "actual_flushed_g": "7.25", "actual_tower_g": None}
    ).json()

    assert data["actual_total_g"] == "105.75"
    assert data["variance_g"] == "5.75"
    assert data["variance_percent"] == "5.75"


def test_weighings_win_over_the_actual_parts(api, run):
    material = run.materials.get()

    data = api.patch(
        materials_url(run, material),
        {"actual_model_g": "50.00", "spool_weight_before_g": "1000.00", "spool_weight_after_g": "880.00"},
    ).json()

    assert data["actual_total_g"] == "120.00"
    assert data["variance_g"] == "20.00"
    assert data["variance_percent"] == "20.00"


def test_a_single_weighing_falls_back_to_the_parts(api, run):
    material = run.materials.get()

    data = api.patch(materials_url(run, material), {"actual_model_g": "50.00", "spool_weight_before_g": "1000"}).json()

    assert data["actual_total_g"] == "50.00"


def test_variance_percent_is_null_for_a_zero_estimate(api, tenant, run, make_spool):
    spool = make_spool(tenant)
    created = api.post(
        materials_url(run), {"spool": str(spool.pk), "estimated_model_g": "0", "actual_model_g": "3"}
    ).json()

    assert created["variance_g"] == "3.00"
    assert created["variance_percent"] is None


def test_cost_per_gram_is_the_spools_at_assignment(api, tenant, run, make_run):
    material = run.materials.get()
    Spool.objects.filter(pk=material.spool_id).update(purchase_price=Decimal("50.00"))
    later = make_run(tenant, materials=[])

    response = api.post(materials_url(later), {"spool": str(material.spool_id), "estimated_model_g": "10"})
    api.patch(materials_url(run, material), {"actual_model_g": "10"})

    assert response.json()["cost_per_gram"] == "0.0500"
    assert api.get(materials_url(run, material)).json()["cost_per_gram"] == "0.0250"


def test_cost_per_gram_is_null_for_a_spool_without_price(api, tenant, run, make_spool):
    spool = make_spool(tenant, purchase_price=None)

    response = api.post(materials_url(run), {"spool": str(spool.pk), "estimated_model_g": "10"})

    assert response.json()["cost_per_gram"] is None


def test_cost_per_gram_in_a_body_is_ignored(api, run):
    material = run.materials.get()

    response = api.patch(
        materials_url(run, material), {"cost_per_gram": "9.9999", "estimated_total_g": "1", "actual_total_g": "1"}
    )

    assert response.status_code == 200
    assert response.json()["cost_per_gram"] == "0.0250"
    assert response.json()["estimated_total_g"] == "100.00"
    assert response.json()["actual_total_g"] is None


# --- locked runs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED])
def test_items_of_a_locked_run_cannot_change(api, tenant, run, make_product, status):
    run = lock(run, status)
    item = run.items.get()
    product = make_product(tenant)
    before = db_state()

    responses = [
        api.post(items_url(run), {"product": str(product.pk), "quantity": 1}),
        api.patch(items_url(run, item), {"notes": "late"}),
        api.put(items_url(run, item), {"product": str(product.pk), "quantity": 2}),
        api.delete(items_url(run, item)),
    ]

    assert [r.status_code for r in responses] == [409] * 4
    assert {r.data["code"] for r in responses} == {"run_locked"}
    assert db_state() == before


@pytest.mark.parametrize("status", [RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED])
def test_materials_of_a_locked_run_cannot_change(api, tenant, run, make_spool, status):
    run = lock(run, status)
    material = run.materials.get()
    spool = make_spool(tenant)
    before = db_state()

    responses = [
        api.post(materials_url(run), {"spool": str(spool.pk), "estimated_model_g": "10"}),
        api.patch(materials_url(run, material), {"actual_model_g": "1.00"}),
        api.put(materials_url(run, material), {"spool": str(spool.pk), "estimated_model_g": "10"}),
        api.delete(materials_url(run, material)),
    ]

    assert [r.status_code for r in responses] == [409] * 4
    assert {r.data["code"] for r in responses} == {"run_locked"}
    assert db_state() == before


def test_a_locked_runs_items_and_materials_can_still_be_read(api, run):
    run = lock(run, RunStatus.COMPLETED)

    assert api.get(items_url(run)).json()["count"] == 1
    assert api.get(materials_url(run)).json()["count"] == 1
