"""Tenant isolation and roles on every run, item and material endpoint and action (SPEC 2, 5)."""

import uuid
from decimal import Decimal

import pytest

from inventory.models import InventoryTransaction, Spool
from production import services
from production.models import ProductionRun, ProductionRunItem, ProductionRunMaterial
from production.services import Completion
from tests.conftest import client_for

RUNS = "/api/v1/production-runs/"


def db_state():
    return {
        "runs": sorted(
            ProductionRun.all_objects.values_list("pk", "status", "notes", "deleted_at", "printer", "updated_at")
        ),
        "items": sorted(ProductionRunItem.objects.values_list("pk", "product", "quantity", "notes")),
        "materials": sorted(
            ProductionRunMaterial.objects.values_list("pk", "spool", "estimated_model_g", "actual_model_g")
        ),
        "ledger": InventoryTransaction.objects.count(),
        "weights": sorted(Spool.objects.values_list("pk", "current_weight_g")),
    }


@pytest.fixture
def world(tenant, make_run, make_product, make_spool, make_printer):
    """An in_progress run (one item, one material), a completed run, and a product and a spool to add."""
    run = make_run(tenant)
    completed = make_run(tenant)
    services.complete_run(run=completed, user=None, completion=Completion.from_data({"use_estimates": True}))
    return {
        "run": run,
        "item": run.items.get(),
        "material": run.materials.get(),
        "completed": completed,
        "product": make_product(tenant),
        "spool": make_spool(tenant),
        "printer": make_printer(tenant),
    }


def run_path(w, suffix=""):
    return f"{RUNS}{w['run'].pk}/{suffix}"


# name -> (method, path, body) for the tenant's own records; every write endpoint and action.
WRITES = {
    "run-create": lambda w: (
        "post",
        RUNS,
        {"notes": "new", "items": [{"product": str(w["product"].pk), "quantity": 1}]},
    ),
    "run-put": lambda w: ("put", run_path(w), {"notes": "put", "printer": str(w["printer"].pk)}),
    "run-patch": lambda w: ("patch", run_path(w), {"notes": "patched"}),
    "run-delete": lambda w: ("delete", run_path(w), None),
    "run-complete": lambda w: ("post", run_path(w, "complete/"), {"use_estimates": True}),
    "run-fail": lambda w: ("post", run_path(w, "fail/"), {"failure_reason": "nozzle_clog"}),
    "run-cancel": lambda w: ("post", run_path(w, "cancel/"), {}),
    "run-reopen": lambda w: ("post", f"{RUNS}{w['completed'].pk}/reopen/", {}),
    "item-create": lambda w: ("post", run_path(w, "items/"), {"product": str(w["product"].pk), "quantity": 2}),
    "item-put": lambda w: (
        "put",
        run_path(w, f"items/{w['item'].pk}/"),
        {"product": str(w["product"].pk), "quantity": 3},
    ),
    "item-patch": lambda w: ("patch", run_path(w, f"items/{w['item'].pk}/"), {"notes": "patched"}),
    "item-delete": lambda w: ("delete", run_path(w, f"items/{w['item'].pk}/"), None),
    "material-create": lambda w: (
        "post",
        run_path(w, "materials/"),
        {"spool": str(w["spool"].pk), "estimated_model_g": "20.00"},
    ),
    "material-put": lambda w: (
        "put",
        run_path(w, f"materials/{w['material'].pk}/"),
        {"spool": str(w["spool"].pk), "estimated_model_g": "30.00"},
    ),
    "material-patch": lambda w: ("patch", run_path(w, f"materials/{w['material'].pk}/"), {"actual_model_g": "90.00"}),
    "material-delete": lambda w: ("delete", run_path(w, f"materials/{w['material'].pk}/"), None),
}
READS = {
    "run-detail": lambda w: run_path(w),
    "item-list": lambda w: run_path(w, "items/"),
    "item-detail": lambda w: run_path(w, f"items/{w['item'].pk}/"),
    "material-list": lambda w: run_path(w, "materials/"),
    "material-detail": lambda w: run_path(w, f"materials/{w['material'].pk}/"),
}
SUCCESS = {"run-create": 201, "item-create": 201, "material-create": 201}
MANAGER_ONLY = {"run-delete", "run-reopen"}


def send(client, method, path, body):
    return getattr(client, method)(path, body) if body is not None else getattr(client, method)(path)


def expected_success(name):
    if name.endswith("-delete"):
        return 204
    return SUCCESS.get(name, 200)


# --- roles ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(WRITES))
def test_a_viewer_may_not_write(viewer_api, world, name):
    method, path, body = WRITES[name](world)
    before = db_state()

    response = send(viewer_api, method, path, body)

    assert response.status_code == 403, response.data
    assert db_state() == before


@pytest.mark.parametrize("name", sorted(READS))
def test_a_viewer_may_read(viewer_api, world, name):
    assert viewer_api.get(READS[name](world)).status_code == 200


def test_a_viewer_may_list_runs(viewer_api, world):
    assert viewer_api.get(RUNS).json()["count"] == 2


@pytest.mark.parametrize("name", sorted(set(WRITES) - MANAGER_ONLY))
def test_a_member_may_write(api, world, name):
    method, path, body = WRITES[name](world)

    response = send(api, method, path, body)

    assert response.status_code == expected_success(name), response.data


@pytest.mark.parametrize("name", sorted(MANAGER_ONLY))
def test_a_member_may_not_delete_nor_reopen(api, world, name):
    method, path, body = WRITES[name](world)
    before = db_state()

    response = send(api, method, path, body)

    assert response.status_code == 403
    assert response.data["code"] == "permission_denied"
    assert db_state() == before


@pytest.mark.parametrize("role", ["manager_api", "owner_api"])
@pytest.mark.parametrize("name", sorted(WRITES))
def test_admins_and_owners_may_do_everything(request, world, role, name):
    client = request.getfixturevalue(role)
    method, path, body = WRITES[name](world)

    response = send(client, method, path, body)

    assert response.status_code == expected_success(name), response.data


def test_member_writes_take_effect(api, world, member):
    api.patch(run_path(world), {"notes": "by member"})
    api.post(run_path(world, "items/"), {"product": str(world["product"].pk), "quantity": 2})
    api.delete(run_path(world, f"materials/{world['material'].pk}/"))

    run = ProductionRun.objects.get(pk=world["run"].pk)
    assert run.notes == "by member"
    assert run.items.count() == 2
    assert run.materials.count() == 0
    created = api.post(RUNS, {}).json()
    assert created["created_by"] == member.username


def test_reopen_by_an_admin_reverses_the_usage(manager_api, world):
    completed = world["completed"]

    response = manager_api.post(f"{RUNS}{completed.pk}/reopen/")

    assert response.status_code == 200
    assert response.json()["status"] == "in_progress"
    rows = InventoryTransaction.objects.filter(production_run=completed)
    assert sorted(rows.values_list("type", "weight_change_g")) == [
        ("reversal", Decimal("100.00")),
        ("usage", Decimal("-100.00")),
    ]


# --- isolation ---------------------------------------------------------------------------------------


@pytest.fixture
def outsider(other_tenant, make_member):
    """An admin of the other tenant: allowed every action there, so only isolation can refuse."""
    return client_for(make_member(other_tenant, "admin", "admin-globex"), other_tenant)


@pytest.mark.parametrize("name", sorted(set(WRITES) - {"run-create"}))
def test_another_tenant_gets_404_on_every_write(outsider, world, name):
    method, path, body = WRITES[name](world)
    before = db_state()

    response = send(outsider, method, path, body)

    assert response.status_code == 404, response.data
    assert db_state() == before


@pytest.mark.parametrize("name", sorted(set(WRITES) - {"run-create"}))
def test_another_tenant_gets_404_even_with_a_bad_body(outsider, world, name):
    method, path, _ = WRITES[name](world)
    before = db_state()

    response = send(outsider, method, path, {"quantity": "many", "spool": "nope", "failure_reason": "bored"})

    assert response.status_code == 404, response.data
    assert db_state() == before


@pytest.mark.parametrize("name", sorted(READS))
def test_another_tenant_gets_404_on_every_read(outsider, world, name):
    assert outsider.get(READS[name](world)).status_code == 404


def test_another_tenant_lists_only_its_own_runs(outsider, other_tenant, world, make_run):
    own = make_run(other_tenant)

    listed = outsider.get(RUNS).json()

    assert [row["id"] for row in listed["results"]] == [str(own.pk)]


def test_a_foreign_run_reached_through_the_own_run_path_is_a_404(api, world, other_tenant, make_run):
    foreign = make_run(other_tenant)
    foreign_item, foreign_material = foreign.items.get(), foreign.materials.get()
    before = db_state()

    responses = [
        api.get(run_path(world, f"items/{foreign_item.pk}/")),
        api.patch(run_path(world, f"items/{foreign_item.pk}/"), {"quantity": 1}),
        api.delete(run_path(world, f"items/{foreign_item.pk}/")),
        api.get(run_path(world, f"materials/{foreign_material.pk}/")),
        api.patch(run_path(world, f"materials/{foreign_material.pk}/"), {"actual_model_g": "1"}),
        api.delete(run_path(world, f"materials/{foreign_material.pk}/")),
    ]

    assert [r.status_code for r in responses] == [404] * len(responses)
    assert db_state() == before


def test_foreign_records_in_a_body_are_a_400(api, world, other_tenant, make_run, make_printer):
    foreign = make_run(other_tenant, printer=make_printer(other_tenant))
    foreign_product = foreign.items.get().product_id
    foreign_spool = foreign.materials.get().spool_id
    before = db_state()

    responses = {
        "printer": api.patch(run_path(world), {"printer": str(foreign.printer_id)}),
        "original_run": api.patch(run_path(world), {"original_run": str(foreign.pk)}),
        "product": api.post(run_path(world, "items/"), {"product": str(foreign_product), "quantity": 1}),
        "spool": api.post(run_path(world, "materials/"), {"spool": str(foreign_spool), "estimated_model_g": "1"}),
    }

    for field, response in responses.items():
        assert response.status_code == 400, field
        assert field in response.data, field
    assert db_state() == before


def test_completing_with_ids_of_another_run_changes_nothing(api, world, other_tenant, make_run):
    foreign = make_run(other_tenant)
    before = db_state()

    response = api.post(
        run_path(world, "complete/"),
        {
            "items": [{"id": str(foreign.items.get().pk), "successful_quantity": 1}],
            "materials": [{"id": str(foreign.materials.get().pk), "actual_model_g": "5"}],
        },
    )

    assert response.status_code == 400
    assert db_state() == before


def test_a_tenant_the_user_does_not_belong_to_is_forbidden(member, world, other_tenant):
    client = client_for(member, other_tenant)

    response = client.get(RUNS)

    assert response.status_code == 403
    assert response.data["code"] == "tenant_forbidden"


def test_an_unknown_run_is_a_404_for_every_child_endpoint(api, world):
    missing = f"{RUNS}{uuid.uuid4()}/"

    assert api.get(f"{missing}items/").status_code == 404
    assert api.get(f"{missing}materials/").status_code == 404
    assert api.post(f"{missing}items/", {"product": str(world["product"].pk), "quantity": 1}).status_code == 404
    assert (
        api.post(f"{missing}materials/", {"spool": str(world["spool"].pk), "estimated_model_g": "1"}).status_code == 404
    )
