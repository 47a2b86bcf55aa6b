"""`fail/`, `cancel/` and `reopen/`: SPEC 5.3 and 5.4, through the API."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from inventory.models import InventoryTransaction
from tests.conftest import client_for
from tests.support.ledger import assert_ledger_balances
from tests.support.snapshots import run_snapshot

pytestmark = pytest.mark.django_db


def action_url(run, action):
    return f"/api/v1/production-runs/{run.pk}/{action}/"


@pytest.fixture
def spools(tenant, make_spool):
    return make_spool(tenant, code="PLA-A"), make_spool(tenant, code="PLA-B")


@pytest.fixture
def run(tenant, member, make_run, make_product, spools):
    return make_run(
        tenant,
        user=member,
        items=[{"product": make_product(tenant), "quantity": 4}, {"product": make_product(tenant), "quantity": 6}],
        materials=[
            {"spool": spools[0], "estimated_model_g": Decimal("40.00")},
            {"spool": spools[1], "estimated_model_g": Decimal("25.00"), "estimated_tower_g": Decimal("5.00")},
        ],
    )


def material_on(run, spool):
    return run.materials.get(spool=spool)


# --- fail -----------------------------------------------------------------------------------


def test_fail_marks_every_item_fully_failed(api, run):
    run.items.update(successful_quantity=1)

    response = api.post(action_url(run, "fail"), {"failure_reason": "spaghetti"}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "failed"
    assert body["failure_reason"] == "spaghetti"
    assert [(i["successful_quantity"], i["failed_quantity"]) for i in body["items"]] == [(0, 4), (0, 6)]
    assert body["cost_per_successful_unit"] is None
    assert body["completed_at"] is not None


def test_fail_writes_waste_rows_only_for_materials_with_actual_usage(api, run, spools):
    used, unused = spools

    response = api.post(
        action_url(run, "fail"),
        {
            "failure_reason": "nozzle_clog",
            "notes": "clogged at layer 40",
            "materials": [{"id": str(material_on(run, used).pk), "actual_model_g": "12.30"}],
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    (row,) = InventoryTransaction.objects.filter(production_run=run)
    assert row.type == "waste"
    assert row.spool_id == used.pk
    assert row.production_run_material_id == material_on(run, used).pk
    assert (row.weight_before_g, row.weight_change_g, row.weight_after_g) == (
        Decimal("1000.00"),
        Decimal("-12.30"),
        Decimal("987.70"),
    )
    used.refresh_from_db()
    unused.refresh_from_db()
    assert used.current_weight_g == Decimal("987.70")
    assert unused.current_weight_g == Decimal("1000.00")
    assert response.json()["notes"] == "clogged at layer 40"
    assert_ledger_balances(used, unused)


def test_fail_from_weighings_writes_waste_of_before_minus_after(api, run, spools):
    response = api.post(
        action_url(run, "fail"),
        {
            "failure_reason": "adhesion",
            "materials": [
                {
                    "id": str(material_on(run, spools[1]).pk),
                    "spool_weight_before_g": "700.00",
                    "spool_weight_after_g": "688.25",
                }
            ],
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    (row,) = InventoryTransaction.objects.filter(production_run=run, type="waste")
    assert row.weight_change_g == Decimal("-11.75")


def test_fail_without_any_usage_writes_no_rows(api, run):
    before = InventoryTransaction.objects.count()

    response = api.post(action_url(run, "fail"), {"failure_reason": "power_loss"}, format="json")

    assert response.status_code == 200
    assert InventoryTransaction.objects.count() == before


def test_fail_requires_a_failure_reason(api, run):
    before = run_snapshot(run)

    response = api.post(action_url(run, "fail"), {"notes": "oops"}, format="json")

    assert response.status_code == 400
    assert "failure_reason" in response.json()
    assert run_snapshot(run) == before


@pytest.mark.parametrize("reason", ["melted", "", None])
def test_fail_refuses_a_reason_not_in_the_choices(api, run, reason):
    before = run_snapshot(run)

    response = api.post(action_url(run, "fail"), {"failure_reason": reason}, format="json")

    assert response.status_code == 400
    assert "failure_reason" in response.json()
    assert run_snapshot(run) == before


@pytest.mark.parametrize(
    "reason",
    ["adhesion", "spaghetti", "nozzle_clog", "layer_shift", "filament_runout", "warping", "power_loss", "other"],
)
def test_fail_accepts_every_reason_of_the_contract(api, run, reason):
    response = api.post(action_url(run, "fail"), {"failure_reason": reason}, format="json")

    assert response.status_code == 200
    assert response.json()["failure_reason"] == reason


def test_fail_with_insufficient_stock_is_409_and_writes_nothing(api, run, spools):
    before = run_snapshot(run)

    response = api.post(
        action_url(run, "fail"),
        {
            "failure_reason": "other",
            "materials": [{"id": str(material_on(run, spools[0]).pk), "actual_model_g": "1000.01"}],
        },
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_stock"
    assert response.json()["spool"] == "PLA-A"
    assert run_snapshot(run) == before


def test_fail_with_a_bad_weighing_is_400_and_writes_nothing(api, run, spools):
    before = run_snapshot(run)

    response = api.post(
        action_url(run, "fail"),
        {
            "failure_reason": "other",
            "materials": [
                {"id": str(material_on(run, spools[0]).pk), "spool_weight_before_g": "1", "spool_weight_after_g": "2"}
            ],
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_weighing"
    assert run_snapshot(run) == before


@pytest.mark.parametrize("completed_at", ["2000-01-01T00:00:00Z", "9999-12-31T00:00:00Z"])
def test_fail_with_a_stop_time_out_of_range_is_400_and_writes_nothing(api, run, completed_at):
    before = run_snapshot(run)

    response = api.post(
        action_url(run, "fail"), {"failure_reason": "other", "completed_at": completed_at}, format="json"
    )

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid_dates"
    assert run_snapshot(run) == before


def test_viewer_cannot_fail_a_run(viewer_api, run):
    before = run_snapshot(run)

    response = viewer_api.post(action_url(run, "fail"), {"failure_reason": "other"}, format="json")

    assert response.status_code == 403
    assert run_snapshot(run) == before


# --- cancel -----------------------------------------------------------------------------------


def test_cancel_writes_no_rows(api, run, spools):
    run.materials.update(actual_model_g=Decimal("10.00"))
    before = run_snapshot(run)

    response = api.post(action_url(run, "cancel"))

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    after = run_snapshot(run)
    assert after["ledger"] == before["ledger"]
    assert after["spools"] == before["spools"]


@pytest.mark.parametrize("action", ["complete", "fail", "cancel"])
def test_actions_on_a_cancelled_run_are_409_invalid_transition(api, run, action):
    assert api.post(action_url(run, "cancel")).status_code == 200
    before = run_snapshot(run)

    response = api.post(action_url(run, action), {"failure_reason": "other", "use_estimates": True}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert "cancelled" in response.json()["detail"]
    assert run_snapshot(run) == before


@pytest.mark.parametrize("action", ["complete", "fail", "cancel"])
def test_actions_on_a_failed_run_are_409_invalid_transition(api, run, action):
    assert api.post(action_url(run, "fail"), {"failure_reason": "other"}, format="json").status_code == 200
    before = run_snapshot(run)

    response = api.post(action_url(run, action), {"failure_reason": "other", "use_estimates": True}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert run_snapshot(run) == before


@pytest.mark.parametrize("action", ["fail", "cancel"])
def test_fail_or_cancel_a_completed_run_is_409_invalid_transition(api, run, action):
    assert api.post(action_url(run, "complete"), {"use_estimates": True}, format="json").status_code == 200
    before = run_snapshot(run)

    response = api.post(action_url(run, action), {"failure_reason": "other"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert "completed" in response.json()["detail"]
    assert run_snapshot(run) == before


# --- reopen -----------------------------------------------------------------------------------


def complete(api, run):
    response = api.post(action_url(run, "complete"), {"use_estimates": True}, format="json")
    assert response.status_code == 200, response.content
    return response


def test_reopen_writes_one_linked_reversal_per_usage_row_and_restores_spools(api, manager_api, run, spools):
    complete(api, run)
    usage = {row.pk: row for row in InventoryTransaction.objects.filter(production_run=run, type="usage")}
    assert len(usage) == 2

    response = manager_api.post(action_url(run, "reopen"))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "in_progress"
    assert body["completed_at"] is None
    assert body["duration_hours"] is None
    reversals = list(InventoryTransaction.objects.filter(production_run=run, type="reversal"))
    assert len(reversals) == 2
    assert {row.reversal_of_id for row in reversals} == set(usage)
    for row in reversals:
        original = usage[row.reversal_of_id]
        assert row.spool_id == original.spool_id
        assert row.weight_change_g == -original.weight_change_g
        assert row.production_run_material_id == original.production_run_material_id
    for spool in spools:
        spool.refresh_from_db()
        assert spool.current_weight_g == Decimal("1000.00")
    assert_ledger_balances(*spools)


def test_reversal_links_are_visible_in_the_ledger_api(api, manager_api, run):
    complete(api, run)
    assert manager_api.post(action_url(run, "reopen")).status_code == 200

    response = api.get("/api/v1/inventory-transactions/", {"production_run": str(run.pk)})

    assert response.status_code == 200
    rows = {row["id"]: row for row in response.json()["results"]}
    usage = [row for row in rows.values() if row["type"] == "usage"]
    reversals = [row for row in rows.values() if row["type"] == "reversal"]
    assert len(usage) == len(reversals) == 2
    for row in usage:
        reversal = rows[row["reversed_by"]]
        assert reversal["type"] == "reversal"
        assert reversal["reversal_of"] == row["id"]
        assert reversal["reversed_by"] is None
        assert Decimal(reversal["weight_change_g"]) == -Decimal(row["weight_change_g"])


def test_reopen_a_failed_run_reverses_its_waste_rows(api, owner_api, run, spools):
    response = api.post(
        action_url(run, "fail"),
        {
            "failure_reason": "warping",
            "materials": [{"id": str(material_on(run, spools[0]).pk), "actual_model_g": "7"}],
        },
        format="json",
    )
    assert response.status_code == 200
    (waste,) = InventoryTransaction.objects.filter(production_run=run, type="waste")

    response = owner_api.post(action_url(run, "reopen"))

    assert response.status_code == 200, response.content
    assert response.json()["failure_reason"] == ""
    (reversal,) = InventoryTransaction.objects.filter(production_run=run, type="reversal")
    assert reversal.reversal_of_id == waste.pk
    assert reversal.weight_change_g == Decimal("7.00")
    spools[0].refresh_from_db()
    assert spools[0].current_weight_g == Decimal("1000.00")
    assert_ledger_balances(*spools)


def test_reopen_a_failed_run_without_usage_writes_no_rows(api, manager_api, run):
    assert api.post(action_url(run, "fail"), {"failure_reason": "other"}, format="json").status_code == 200
    before = InventoryTransaction.objects.count()

    response = manager_api.post(action_url(run, "reopen"))

    assert response.status_code == 200
    assert response.json()["status"] == "in_progress"
    assert InventoryTransaction.objects.count() == before


def test_a_reopened_run_can_be_completed_and_reopened_again(api, manager_api, run, spools):
    complete(api, run)
    first_usage = set(
        InventoryTransaction.objects.filter(production_run=run, type="usage").values_list("pk", flat=True)
    )
    assert manager_api.post(action_url(run, "reopen")).status_code == 200

    material = material_on(run, spools[0])
    response = api.post(
        action_url(run, "complete"),
        {"materials": [{"id": str(material.pk), "actual_model_g": "55.00"}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    second_usage = InventoryTransaction.objects.filter(production_run=run, type="usage").exclude(pk__in=first_usage)
    assert second_usage.count() == 2
    spools[0].refresh_from_db()
    assert spools[0].current_weight_g == Decimal("945.00")

    assert manager_api.post(action_url(run, "reopen")).status_code == 200

    reversals = InventoryTransaction.objects.filter(production_run=run, type="reversal")
    assert reversals.count() == 4
    new_reversals = reversals.filter(reversal_of__in=second_usage)
    assert new_reversals.count() == 2
    assert set(second_usage.values_list("reversals", flat=True)) == set(new_reversals.values_list("pk", flat=True))
    for spool in spools:
        spool.refresh_from_db()
        assert spool.current_weight_g == Decimal("1000.00")
    # Every usage row is reversed exactly once.
    usage = InventoryTransaction.objects.filter(production_run=run, type="usage")
    assert not usage.filter(reversals__isnull=True).exists()
    assert (
        usage.aggregate(total=Sum("weight_change_g"))["total"]
        == -reversals.aggregate(total=Sum("weight_change_g"))["total"]
    )
    assert_ledger_balances(*spools)


def test_member_cannot_reopen_a_run(api, run):
    complete(api, run)
    before = run_snapshot(run)

    response = api.post(action_url(run, "reopen"))

    assert response.status_code == 403
    assert run_snapshot(run) == before


def test_viewer_cannot_reopen_a_run(api, viewer_api, run):
    complete(api, run)
    before = run_snapshot(run)

    response = viewer_api.post(action_url(run, "reopen"))

    assert response.status_code == 403
    assert run_snapshot(run) == before


@pytest.mark.parametrize("status", ["in_progress", "cancelled"])
def test_reopen_an_in_progress_or_cancelled_run_is_409(api, manager_api, run, status):
    if status == "cancelled":
        assert api.post(action_url(run, "cancel")).status_code == 200
    before = run_snapshot(run)

    response = manager_api.post(action_url(run, "reopen"))

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert status in response.json()["detail"]
    assert run_snapshot(run) == before


def test_other_tenant_cannot_reopen_a_run(api, other_tenant, make_member, run):
    complete(api, run)
    before = run_snapshot(run)
    outsider = client_for(make_member(other_tenant, "owner"), other_tenant)

    response = outsider.post(action_url(run, "reopen"))

    assert response.status_code == 404
    assert run_snapshot(run) == before


def test_ledger_rows_of_a_run_on_a_printer_name_the_printer(api, manager_api, tenant, make_printer, run):
    printer = make_printer(tenant, name="Prusa A")
    assert api.patch(f"/api/v1/production-runs/{run.pk}/", {"printer": "Prusa A"}, format="json").status_code == 200
    complete(api, run)
    assert manager_api.post(action_url(run, "reopen")).status_code == 200

    response = api.get("/api/v1/inventory-transactions/", {"production_run": str(run.pk)})

    rows = response.json()["results"]
    assert sorted(row["type"] for row in rows) == ["reversal", "reversal", "usage", "usage"]
    assert {(row["printer"], row["printer_name"]) for row in rows} == {(str(printer.pk), "Prusa A")}
    by_printer = api.get("/api/v1/inventory-transactions/", {"printer": "Prusa A"}).json()
    assert by_printer["count"] == 4
