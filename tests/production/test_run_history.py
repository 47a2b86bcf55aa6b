"""Who did what to a run: every state change writes one history row, in the same transaction (issue 8)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.models import InventoryTransaction
from production.models import ProductionRun, RunHistoryAction, RunHistoryEntry
from production.services import Completion, RunChanges, complete_run, delete_run, restore_run, update_run
from tests.conftest import client_for

RUNS = "/api/v1/production-runs/"


def history(client, run, **params):
    return client.get(f"{RUNS}{run.pk}/history/", params)


def actions(run):
    return list(RunHistoryEntry.objects.filter(run=run).values_list("action", flat=True))


@pytest.fixture
def run(api, tenant, make_product, make_spool):
    body = {
        "notes": "first",
        "items": [{"product": str(make_product(tenant).pk), "quantity": 4}],
        "materials": [{"spool": str(make_spool(tenant).pk), "estimated_model_g": "10.00"}],
    }
    response = api.post(RUNS, body, format="json")
    assert response.status_code == 201, response.content
    return ProductionRun.objects.get(pk=response.json()["id"])


def test_creating_a_run_records_who_created_it_and_with_what(api, member, run):
    (event,) = RunHistoryEntry.objects.filter(run=run)

    assert (event.action, event.user, event.tenant_id) == ("created", member, run.tenant_id)
    assert event.changes["run_number"] == [None, run.run_number]
    assert event.changes["notes"] == [None, "first"]
    assert [item["quantity"] for item in event.changes["items"]] == [4]
    assert len(event.changes["materials"]) == 1


def test_an_update_records_each_changed_field_old_and_new(api, member, run):
    api.patch(f"{RUNS}{run.pk}/", {"notes": "second", "slicer_software": "", "quality_rating": 4}, format="json")

    event = RunHistoryEntry.objects.filter(run=run).first()
    assert (event.action, event.user) == ("updated", member)
    # slicer_software was "" already: only what changed is recorded.
    assert event.changes == {"notes": ["first", "second"], "quality_rating": [None, 4]}


def test_an_update_that_changes_nothing_records_nothing(api, run):
    api.patch(f"{RUNS}{run.pk}/", {"notes": "first"}, format="json")

    assert actions(run) == ["created"]


def test_every_state_change_through_the_api_records_its_user_newest_first(
    api, manager_api, tenant, run, make_product, make_spool
):
    product, spool = make_product(tenant), make_spool(tenant)
    item = api.post(f"{RUNS}{run.pk}/items/", {"product": str(product.pk), "quantity": 2}, format="json").json()
    api.patch(f"{RUNS}{run.pk}/items/{item['id']}/", {"quantity": 3}, format="json")
    api.delete(f"{RUNS}{run.pk}/items/{item['id']}/")
    body = {"spool": str(spool.pk), "estimated_model_g": "5.00"}
    material = api.post(f"{RUNS}{run.pk}/materials/", body, format="json").json()
    api.patch(f"{RUNS}{run.pk}/materials/{material['id']}/", {"actual_model_g": "4.00"}, format="json")
    api.delete(f"{RUNS}{run.pk}/materials/{material['id']}/")
    assert api.post(f"{RUNS}{run.pk}/complete/", {"use_estimates": True}, format="json").status_code == 200
    assert manager_api.post(f"{RUNS}{run.pk}/reopen/").status_code == 200
    assert api.post(f"{RUNS}{run.pk}/fail/", {"failure_reason": "warping"}, format="json").status_code == 200
    assert manager_api.post(f"{RUNS}{run.pk}/reopen/").status_code == 200
    assert api.post(f"{RUNS}{run.pk}/cancel/").status_code == 200

    response = history(api, run)

    assert response.status_code == 200
    body = response.json()
    assert [event["action"] for event in body["results"]] == [
        "cancelled",
        "reopened",
        "failed",
        "reopened",
        "completed",
        "material_removed",
        "material_changed",
        "material_added",
        "item_removed",
        "item_changed",
        "item_added",
        "created",
    ]
    assert {event["user"] for event in body["results"]} == {"member-acme", "admin-acme"}
    assert body["results"][-3]["changes"]["quantity"] == [2, 3]
    assert body["results"][0]["changes"] == {"status": ["in_progress", "cancelled"]}


def test_delete_and_restore_record_their_user(tenant, make_run, make_member):
    manager = make_member(tenant, "admin")
    run = make_run(tenant)

    delete_run(run=run, user=manager)
    restore_run(run=run, user=manager)

    events = list(RunHistoryEntry.objects.filter(run=run))
    assert [(event.action, event.user) for event in events[:2]] == [("restored", manager), ("deleted", manager)]
    assert events[0].changes["deleted_at"][1] is None


def test_a_status_patch_to_cancelled_records_a_cancellation(api, member, run):
    api.patch(f"{RUNS}{run.pk}/", {"status": "cancelled"}, format="json")

    event = RunHistoryEntry.objects.filter(run=run).first()
    assert (event.action, event.user, event.changes) == ("cancelled", member, {"status": ["in_progress", "cancelled"]})


def test_a_refused_operation_records_nothing(api, run):
    complete_run(run=run, user=None, completion=Completion(use_estimates=True))
    before = actions(run)

    assert api.post(f"{RUNS}{run.pk}/complete/", {"use_estimates": True}, format="json").status_code == 409
    assert api.patch(f"{RUNS}{run.pk}/", {"slicer_software": "Cura"}, format="json").status_code == 409

    assert actions(run) == before


def test_completion_records_usage_and_outcomes(api, run):
    api.post(f"{RUNS}{run.pk}/complete/", {"use_estimates": True}, format="json")

    event = RunHistoryEntry.objects.filter(run=run).first()
    (material,) = run.materials.all()
    (item,) = run.items.all()
    assert event.action == RunHistoryAction.COMPLETED
    assert event.changes["status"] == ["in_progress", "completed"]
    assert Decimal(event.changes["used_g"][str(material.pk)]) == Decimal("10.00")
    assert event.changes["outcomes"] == {str(item.pk): [4, 0]}


def test_history_is_paginated_like_other_lists(api, run):
    for n in range(22):
        update_run(run=run, user=None, changes=RunChanges(notes=f"note {n}"))

    body = history(api, run).json()

    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 23 and len(body["results"]) == 20
    assert body["results"][0]["changes"]["notes"] == ["note 20", "note 21"]
    assert body["results"][0]["user"] is None


def test_viewers_may_read_the_history(viewer_api, run):
    assert history(viewer_api, run).status_code == 200


def test_history_of_a_soft_deleted_run_is_404(api, run):
    delete_run(run=run, user=None)

    assert history(api, run).status_code == 404


def test_history_of_another_tenants_run_is_404(other_api, run):
    assert history(other_api, run).status_code == 404


def test_history_is_read_only(api, run):
    assert api.post(f"{RUNS}{run.pk}/history/", {}, format="json").status_code == 405


def test_the_admin_run_page_shows_the_history(admin_client, run):
    update_run(run=run, user=None, changes=RunChanges(notes="from the admin test"))

    response = admin_client.get(reverse("admin:production_productionrun_change", args=[run.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Changes (field: [old, new])" in content
    assert "from the admin test" in content and "member-acme" in content


def test_a_manual_adjustment_records_its_user_on_the_ledger_row(tenant, make_member, make_spool):
    manager = make_member(tenant, "admin")
    spool = make_spool(tenant)

    response = client_for(manager, tenant).post(
        f"/api/v1/spools/{spool.pk}/adjust/", {"type": "count", "new_weight_g": "900"}, format="json"
    )

    assert response.status_code == 200
    row = InventoryTransaction.objects.filter(spool=spool, type="count").get()
    assert row.user == manager and row.occurred_at is not None


def test_the_history_row_is_written_in_the_same_transaction_as_the_change(tenant, make_run, monkeypatch):
    run = make_run(tenant)

    def broken(**fields):
        raise RuntimeError("history unavailable")

    monkeypatch.setattr(RunHistoryEntry.objects, "create", broken)
    with pytest.raises(RuntimeError):
        complete_run(run=run, user=None, completion=Completion(use_estimates=True))

    run.refresh_from_db()
    assert run.status == "in_progress"
    assert not InventoryTransaction.objects.filter(production_run=run).exists()
