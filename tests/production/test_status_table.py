"""The state table in `production.status_codes` drives what the API allows, for every status and action."""

from decimal import Decimal

import pytest

from inventory.models import InventoryTransaction
from production.models import ProductionRun, RunStatus
from production.services import Completion, Failure, cancel_run, complete_run, fail_run
from production.status_codes import (
    ACTIONS_BY_STATUS_FIELD,
    FIELDS_EDITABLE_WHEN_LOCKED,
    HOLDS_INVENTORY,
    LOCKED_STATUSES,
    TRANSITIONS,
    RunAction,
    action_setting,
    allowed,
)

RUNS = "/api/v1/production-runs/"
BODIES = {
    RunAction.START: {},  # on the run's own printer (`make_status_run` gives it one)
    RunAction.COMPLETE: {"use_estimates": True},
    RunAction.FAIL: {"failure_reason": "adhesion"},
    RunAction.CANCEL: {},
    RunAction.REOPEN: {},
}


@pytest.fixture
def make_status_run(tenant, make_run, make_printer):
    """A run in `status`: planned as created, every other status from in_progress (on its own printer)."""

    def make(status):
        printer = make_printer(tenant)
        if status == RunStatus.PLANNED:
            run = make_run(tenant, status=RunStatus.PLANNED, printer=printer)
            assert run.status == status
            return run
        return bring_to(make_run(tenant, printer=printer), status)

    return make


def bring_to(run, status):
    if status == RunStatus.COMPLETED:
        complete_run(run=run, user=None, completion=Completion(use_estimates=True))
    elif status == RunStatus.FAILED:
        fail_run(run=run, user=None, failure=Failure(failure_reason="adhesion"))
    elif status == RunStatus.CANCELLED:
        cancel_run(run=run, user=None)
    run.refresh_from_db()
    assert run.status == status
    return run


def test_the_table_covers_every_action_and_names_only_known_statuses():
    assert set(TRANSITIONS) == set(RunAction)
    for transition in TRANSITIONS.values():
        assert transition.sources <= set(RunStatus) and transition.target in RunStatus


@pytest.mark.parametrize("action", list(RunAction))
@pytest.mark.parametrize("status", list(RunStatus))
def test_each_action_is_allowed_exactly_from_the_statuses_the_table_lists(manager_api, make_status_run, status, action):
    run = make_status_run(status)

    response = manager_api.post(f"{RUNS}{run.pk}/{action}/", BODIES[action], format="json")

    run.refresh_from_db()
    if allowed(status, action):
        assert response.status_code == 200, response.content
        assert response.json()["status"] == run.status == TRANSITIONS[action].target
    else:
        assert response.status_code == 409, response.content
        assert response.json()["code"] == "invalid_transition"
        assert response.json()["status"] == status
        assert run.status == status


@pytest.mark.parametrize("target", list(RunStatus))
@pytest.mark.parametrize("status", list(RunStatus))
def test_patching_status_follows_the_table(api, make_status_run, status, target):
    run = make_status_run(status)

    response = api.patch(f"{RUNS}{run.pk}/", {"status": target}, format="json")

    action = action_setting(target)
    if target == status or (action in ACTIONS_BY_STATUS_FIELD and allowed(status, action)):
        assert response.status_code == 200, response.content
        assert response.json()["status"] == target
    else:
        assert response.status_code == 409, response.content
        assert response.json()["code"] == "invalid_transition"
        assert response.json()["status"] == status


@pytest.mark.parametrize("status", list(RunStatus))
def test_items_and_fields_lock_in_the_locked_statuses(api, tenant, make_status_run, make_product, status):
    run = make_status_run(status)
    product = make_product(tenant)

    added = api.post(f"{RUNS}{run.pk}/items/", {"product": str(product.pk), "quantity": 1}, format="json")
    retitled = api.patch(f"{RUNS}{run.pk}/", {"slicer_software": "Cura"}, format="json")
    noted = api.patch(f"{RUNS}{run.pk}/", dict.fromkeys(FIELDS_EDITABLE_WHEN_LOCKED & {"notes"}, "ok"), format="json")

    if status in LOCKED_STATUSES:
        assert (added.status_code, added.json()["code"]) == (409, "run_locked")
        assert (retitled.status_code, retitled.json()["code"]) == (409, "run_locked")
    else:
        assert added.status_code == 201 and retitled.status_code == 200
    assert noted.status_code == 200


@pytest.mark.parametrize("status", list(RunStatus))
def test_runs_that_hold_inventory_cannot_be_deleted(manager_api, make_status_run, status):
    run = make_status_run(status)

    response = manager_api.delete(f"{RUNS}{run.pk}/")

    if status in HOLDS_INVENTORY:
        assert (response.status_code, response.json()["code"]) == (409, "run_has_inventory")
        assert ProductionRun.objects.filter(pk=run.pk).exists()
    else:
        assert response.status_code == 204


def test_a_failed_run_holds_inventory_only_while_it_has_unreversed_waste(manager_api, tenant, make_run):
    wasteful = make_run(tenant)
    (material,) = wasteful.materials.all()
    fail_run(
        run=wasteful,
        user=None,
        failure=Failure.from_data(
            {"failure_reason": "spaghetti", "materials": [{"id": material.pk, "actual_model_g": Decimal("5")}]}
        ),
    )
    assert InventoryTransaction.objects.filter(production_run=wasteful, type="waste").exists()

    assert manager_api.delete(f"{RUNS}{wasteful.pk}/").json()["code"] == "run_has_inventory"
