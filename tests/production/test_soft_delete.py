"""Soft delete of runs: gone from the API, kept in the database, number reserved (SPEC 5 "DELETE")."""

from decimal import Decimal

import pytest

from inventory.models import InventoryTransaction, Spool
from production import services
from production.models import ProductionRun, ProductionRunItem, ProductionRunMaterial, RunStatus
from production.services import Completion, Failure

RUNS = "/api/v1/production-runs/"


def run_url(run, suffix=""):
    return f"{RUNS}{run.pk}/{suffix}"


def ledger_and_weights():
    return InventoryTransaction.objects.count(), dict(Spool.objects.values_list("pk", "current_weight_g"))


@pytest.mark.parametrize("client", ["manager_api", "owner_api"])
def test_admins_and_owners_soft_delete_a_run(request, tenant, make_run, client):
    api = request.getfixturevalue(client)
    run = make_run(tenant)
    before = ledger_and_weights()

    response = api.delete(run_url(run))

    assert response.status_code == 204
    kept = ProductionRun.all_objects.get(pk=run.pk)
    assert kept.deleted_at is not None
    assert kept.deleted_by.username == {"manager_api": "admin-acme", "owner_api": "owner-acme"}[client]
    assert kept.run_number == run.run_number
    assert ProductionRunItem.objects.filter(run=run).count() == 1
    assert ProductionRunMaterial.objects.filter(run=run).count() == 1
    assert not ProductionRun.objects.filter(pk=run.pk).exists()
    assert ledger_and_weights() == before


@pytest.fixture
def deleted_run(tenant, make_run):
    run = make_run(tenant)
    services.delete_run(run=run, user=None)
    return run


def test_a_deleted_run_is_gone_from_detail_and_list(api, tenant, make_run, deleted_run):
    kept = make_run(tenant)

    assert api.get(run_url(deleted_run)).status_code == 404
    listed = api.get(RUNS).json()
    assert listed["count"] == 1
    assert [row["id"] for row in listed["results"]] == [str(kept.pk)]


def test_a_deleted_run_is_gone_from_the_filters(api, deleted_run):
    material = ProductionRunMaterial.objects.get(run=deleted_run)
    item = ProductionRunItem.objects.get(run=deleted_run)

    assert api.get(RUNS, {"search": deleted_run.run_number}).json()["count"] == 0
    assert api.get(RUNS, {"spool": str(material.spool_id)}).json()["count"] == 0
    assert api.get(RUNS, {"product": str(item.product_id)}).json()["count"] == 0
    assert api.get(RUNS, {"status": "in_progress"}).json()["count"] == 0


def test_a_deleted_run_cannot_be_changed(manager_api, deleted_run):
    assert manager_api.patch(run_url(deleted_run), {"notes": "x"}).status_code == 404
    assert manager_api.put(run_url(deleted_run), {"notes": "x"}).status_code == 404
    assert manager_api.delete(run_url(deleted_run)).status_code == 404
    deleted_run.refresh_from_db()
    assert deleted_run.notes == ""


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("complete", {"use_estimates": True}),
        ("fail", {"failure_reason": "adhesion"}),
        ("cancel", {}),
        ("reopen", {}),
    ],
)
def test_actions_on_a_deleted_run_are_a_404(manager_api, deleted_run, action, body):
    before = ledger_and_weights()

    response = manager_api.post(run_url(deleted_run, f"{action}/"), body)

    assert response.status_code == 404
    deleted_run.refresh_from_db()
    assert deleted_run.status == RunStatus.IN_PROGRESS
    assert ledger_and_weights() == before


def test_the_items_and_materials_of_a_deleted_run_are_a_404(manager_api, tenant, deleted_run, make_product, make_spool):
    item = ProductionRunItem.objects.get(run=deleted_run)
    material = ProductionRunMaterial.objects.get(run=deleted_run)
    items, materials = run_url(deleted_run, "items/"), run_url(deleted_run, "materials/")

    responses = [
        manager_api.get(items),
        manager_api.get(f"{items}{item.pk}/"),
        manager_api.post(items, {"product": str(make_product(tenant).pk), "quantity": 1}),
        manager_api.patch(f"{items}{item.pk}/", {"quantity": 2}),
        manager_api.delete(f"{items}{item.pk}/"),
        manager_api.get(materials),
        manager_api.get(f"{materials}{material.pk}/"),
        manager_api.post(materials, {"spool": str(make_spool(tenant).pk), "estimated_model_g": "1"}),
        manager_api.patch(f"{materials}{material.pk}/", {"actual_model_g": "1"}),
        manager_api.delete(f"{materials}{material.pk}/"),
    ]

    assert [r.status_code for r in responses] == [404] * len(responses)
    assert ProductionRunItem.objects.filter(run=deleted_run).count() == 1
    assert ProductionRunMaterial.objects.filter(run=deleted_run).count() == 1


def test_a_deleted_run_cannot_be_named_as_original_run(api, deleted_run):
    response = api.post(RUNS, {"original_run": str(deleted_run.pk)})

    assert response.status_code == 400
    assert "original_run" in response.data


def test_a_deleted_run_keeps_its_number_reserved(manager_api, tenant, make_run):
    first = make_run(tenant)
    second = make_run(tenant)
    manager_api.delete(run_url(second))

    third = manager_api.post(RUNS, {}).json()

    assert first.run_number.endswith("-001") and second.run_number.endswith("-002")
    assert third["run_number"] == second.run_number[:-3] + "003"


def test_deleting_the_only_run_of_the_day_does_not_free_its_number(manager_api):
    first = manager_api.post(RUNS, {}).json()
    manager_api.delete(f"{RUNS}{first['id']}/")

    second = manager_api.post(RUNS, {}).json()

    assert second["run_number"] != first["run_number"]
    assert second["run_number"] == first["run_number"][:-3] + "002"


@pytest.mark.parametrize("status", [RunStatus.CANCELLED, RunStatus.FAILED])
def test_a_run_that_moved_no_inventory_can_be_deleted(manager_api, tenant, make_run, status):
    run = make_run(tenant)
    if status == RunStatus.CANCELLED:
        services.cancel_run(run=run, user=None)
    else:
        services.fail_run(
            run=run, user=None, failure=Failure.from_data({"failure_reason": "adhesion"})
        )  # no actuals: no waste rows

    assert manager_api.delete(run_url(run)).status_code == 204
    assert ProductionRun.all_objects.get(pk=run.pk).deleted_at is not None


def test_a_completed_run_cannot_be_deleted(manager_api, tenant, make_run):
    run = make_run(tenant)
    services.complete_run(run=run, user=None, completion=Completion.from_data({"use_estimates": True}))
    before = ledger_and_weights()

    response = manager_api.delete(run_url(run))

    assert response.status_code == 409
    assert response.data["code"] == "run_has_inventory"
    assert ProductionRun.objects.filter(pk=run.pk).exists()
    assert ledger_and_weights() == before


def test_a_failed_run_with_waste_cannot_be_deleted(manager_api, tenant, make_run):
    run = make_run(tenant)
    material = run.materials.get()
    services.fail_run(
        run=run,
        user=None,
        failure=Failure.from_data(
            {"failure_reason": "spaghetti", "materials": [{"id": material.pk, "actual_model_g": Decimal("30")}]}
        ),
    )
    assert InventoryTransaction.objects.filter(production_run=run, type="waste").count() == 1
    before = ledger_and_weights()

    response = manager_api.delete(run_url(run))

    assert response.status_code == 409
    assert response.data["code"] == "run_has_inventory"
    assert ProductionRun.objects.filter(pk=run.pk).exists()
    assert ledger_and_weights() == before


def test_a_reopened_run_can_be_deleted(manager_api, tenant, make_run):
    run = make_run(tenant)
    services.complete_run(run=run, user=None, completion=Completion.from_data({"use_estimates": True}))
    assert manager_api.post(run_url(run, "reopen/")).status_code == 200

    assert manager_api.delete(run_url(run)).status_code == 204


def test_a_member_cannot_delete_a_run(api, tenant, make_run):
    run = make_run(tenant)

    response = api.delete(run_url(run))

    assert response.status_code == 403
    assert ProductionRun.objects.get(pk=run.pk).deleted_at is None


def test_a_viewer_cannot_delete_a_run(viewer_api, tenant, make_run):
    run = make_run(tenant)

    assert viewer_api.delete(run_url(run)).status_code == 403
    assert ProductionRun.objects.filter(pk=run.pk).exists()


def test_restore_brings_a_run_back(api, deleted_run):
    services.restore_run(run=deleted_run, user=None)

    response = api.get(run_url(deleted_run))

    assert response.status_code == 200
    assert response.json()["run_number"] == deleted_run.run_number
