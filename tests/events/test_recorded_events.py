"""Every change writes its event in the service that makes it, with the resource as the API shows it."""

from decimal import Decimal

import pytest

from events.models import Event
from production.services import restore_run

pytestmark = pytest.mark.django_db


def events_of(resource_id=None):
    events = Event.objects.order_by("id")
    if resource_id is not None:
        events = events.filter(resource_id=resource_id)
    return list(events)


def types_of(resource_id=None):
    return [event.type for event in events_of(resource_id)]


def test_creating_a_spool_records_spool_created_with_the_api_representation(api, tenant, member, make_material):
    material = make_material(tenant)
    Event.objects.all().delete()

    response = api.post(
        "/api/v1/spools/", {"code": "SP-1", "material": str(material.pk), "initial_weight_g": "1000.00"}, format="json"
    )

    assert response.status_code == 201, response.content
    [event] = events_of()
    assert (event.type, event.resource, str(event.resource_id)) == ("spool.created", "spool", response.json()["id"])
    assert (event.tenant_id, event.actor, event.actor_label) == (tenant.pk, member, member.username)
    assert event.payload == response.json()


def test_editing_a_spool_records_spool_updated(api, tenant, make_spool):
    spool = make_spool(tenant)

    response = api.patch(f"/api/v1/spools/{spool.pk}/", {"location": "Shelf 2"}, format="json")

    assert response.status_code == 200, response.content
    assert types_of(spool.pk) == ["spool.created", "spool.updated"]
    assert events_of(spool.pk)[-1].payload == response.json()


def test_an_adjustment_records_spool_adjusted(manager_api, tenant, make_spool):
    spool = make_spool(tenant)

    response = manager_api.post(f"/api/v1/spools/{spool.pk}/adjust/", {"type": "count", "delta_g": "-10"})

    assert response.status_code == 200, response.content
    assert types_of(spool.pk) == ["spool.created", "spool.adjusted"]
    assert events_of(spool.pk)[-1].payload == response.json()
    assert response.json()["current_weight_g"] == "990.00"


def test_crossing_the_low_stock_threshold_records_spool_low_stock_once(manager_api, tenant, make_spool, make_material):
    spool = make_spool(tenant, make_material(tenant, low_stock_threshold_percent=Decimal("20")))
    adjust = f"/api/v1/spools/{spool.pk}/adjust/"

    manager_api.post(adjust, {"type": "count", "new_weight_g": "200.00"})  # at the threshold: not low
    manager_api.post(adjust, {"type": "count", "new_weight_g": "199.99"})  # below: low
    manager_api.post(adjust, {"type": "count", "new_weight_g": "150.00"})  # still low: no new low_stock

    assert types_of(spool.pk) == [
        "spool.created",
        "spool.adjusted",
        "spool.adjusted",
        "spool.low_stock",
        "spool.adjusted",
    ]
    low = events_of(spool.pk)[3]
    assert low.payload["current_weight_g"] == "199.99"


def test_a_grams_threshold_wins_for_low_stock(manager_api, tenant, make_spool, make_material):
    spool = make_spool(tenant, make_material(tenant, low_stock_threshold_g=Decimal("500.00")))

    manager_api.post(f"/api/v1/spools/{spool.pk}/adjust/", {"type": "count", "new_weight_g": "499.00"})

    assert types_of(spool.pk)[-2:] == ["spool.adjusted", "spool.low_stock"]


def test_a_raised_threshold_records_spool_low_stock_for_the_spools_it_puts_below(
    manager_api, tenant, make_spool, make_material
):
    material = make_material(tenant, low_stock_threshold_percent=Decimal("20"))
    at_half = make_spool(tenant, material, code="HALF")
    already_low = make_spool(tenant, material, code="LOW")
    full = make_spool(tenant, material, code="FULL")
    for spool, grams in ((at_half, "500.00"), (already_low, "100.00")):
        manager_api.post(f"/api/v1/spools/{spool.pk}/adjust/", {"type": "count", "new_weight_g": grams})
    Event.objects.all().delete()

    response = manager_api.patch(f"/api/v1/materials/{material.pk}/", {"low_stock_threshold_percent": "60"})

    assert response.status_code == 200, response.content
    assert [(event.type, event.resource_id) for event in events_of()] == [
        ("material.updated", material.pk),
        ("spool.low_stock", at_half.pk),
    ]
    assert events_of()[1].payload["current_weight_g"] == "500.00"
    assert full.pk not in {event.resource_id for event in events_of()}


def test_a_material_change_that_keeps_the_threshold_records_only_material_updated(manager_api, tenant, make_material):
    material = make_material(tenant)
    Event.objects.all().delete()

    manager_api.patch(f"/api/v1/materials/{material.pk}/", {"name": "Renamed"})

    assert types_of() == ["material.updated"]


def test_reaching_zero_records_spool_empty(manager_api, tenant, make_spool):
    spool = make_spool(tenant)

    manager_api.post(f"/api/v1/spools/{spool.pk}/adjust/", {"type": "count", "new_weight_g": "0"})
    manager_api.post(f"/api/v1/spools/{spool.pk}/adjust/", {"type": "count", "new_weight_g": "0"})

    assert types_of(spool.pk) == ["spool.created", "spool.adjusted", "spool.low_stock", "spool.empty", "spool.adjusted"]


def test_deleting_a_spool_records_spool_deleted_with_its_last_representation(manager_api, tenant, make_spool):
    spool = make_spool(tenant)
    shown = manager_api.get(f"/api/v1/spools/{spool.pk}/").json()

    response = manager_api.delete(f"/api/v1/spools/{spool.pk}/")

    assert response.status_code == 204
    assert types_of(spool.pk) == ["spool.created", "spool.deleted"]
    assert events_of(spool.pk)[-1].payload == shown


def test_a_refused_write_records_nothing(manager_api, tenant, make_spool):
    spool = make_spool(tenant)

    response = manager_api.post(f"/api/v1/spools/{spool.pk}/adjust/", {"type": "count", "delta_g": "-2000"})

    assert response.status_code == 400
    assert types_of(spool.pk) == ["spool.created"]


@pytest.mark.parametrize(
    ("path", "body", "change"),
    [
        ("materials", {"name": "PLA", "kind": "PLA"}, {"name": "PLA+"}),
        ("products", {"sku": "MUG-1", "name": "Mug"}, {"name": "Big mug"}),
    ],
)
def test_catalog_changes_record_created_updated_deleted(manager_api, path, body, change):
    resource = path[:-1]
    created = manager_api.post(f"/api/v1/{path}/", body, format="json")
    updated = manager_api.patch(f"/api/v1/{path}/{created.json()['id']}/", change, format="json")
    deleted = manager_api.delete(f"/api/v1/{path}/{created.json()['id']}/")

    assert (created.status_code, updated.status_code, deleted.status_code) == (201, 200, 204)
    events = events_of(created.json()["id"])
    assert [event.type for event in events] == [f"{resource}.created", f"{resource}.updated", f"{resource}.deleted"]
    assert [event.payload for event in events] == [created.json(), updated.json(), updated.json()]


def test_a_run_records_each_step_of_its_life(api, manager_api, tenant, make_run, make_member):
    admin = make_member(tenant, "owner", "restorer")
    run = make_run(tenant)
    url = f"/api/v1/production-runs/{run.pk}/"

    updated = api.patch(url, {"notes": "first layer fine"}, format="json")
    completed = api.post(f"{url}complete/", {"use_estimates": True}, format="json")
    reopened = manager_api.post(f"{url}reopen/")
    failed = api.post(f"{url}fail/", {"failure_reason": "other"}, format="json")
    reopened_again = manager_api.post(f"{url}reopen/")
    cancelled = api.post(f"{url}cancel/")
    deleted = manager_api.delete(url)
    restore_run(run=run, user=admin)

    assert [r.status_code for r in (updated, completed, reopened, failed, reopened_again, cancelled, deleted)] == [
        200,
        200,
        200,
        200,
        200,
        200,
        204,
    ]
    events = events_of(run.pk)
    assert [event.type for event in events] == [
        "run.created",
        "run.updated",
        "run.completed",
        "run.reopened",
        "run.failed",
        "run.reopened",
        "run.cancelled",
        "run.deleted",
        "run.restored",
    ]
    payloads = [event.payload for event in events]
    assert payloads[1:7] == [r.json() for r in (updated, completed, reopened, failed, reopened_again, cancelled)]
    assert events[-1].actor == admin


def test_a_new_run_records_run_created_as_the_api_answers_it(api, tenant, make_product, make_spool):
    spool, product = make_spool(tenant), make_product(tenant)
    body = {
        "items": [{"product": str(product.pk), "quantity": 4}, {"product": str(product.pk), "quantity": 2}],
        "materials": [{"spool": str(spool.pk), "estimated_model_g": "30.00"}],
    }

    response = api.post("/api/v1/production-runs/", body, format="json")

    assert response.status_code == 201, response.content
    [event] = events_of(response.json()["id"])
    assert event.type == "run.created"
    assert event.payload == response.json()


SPOOL_FLOOR_FIELDS = {"reserved_g", "available_g", "loaded_in"}


def test_completing_a_run_records_its_spools_and_their_crossings_with_it(api, tenant, make_run, make_spool):
    spool = make_spool(tenant, initial_weight_g=Decimal("100.00"))
    run = make_run(tenant, materials=[{"spool": spool, "estimated_model_g": Decimal("100.00")}])
    Event.objects.all().delete()

    response = api.post(f"/api/v1/production-runs/{run.pk}/complete/", {"use_estimates": True}, format="json")

    assert response.status_code == 200, response.content
    assert types_of() == ["spool.updated", "spool.low_stock", "spool.empty", "run.completed"]
    shown = api.get(f"/api/v1/spools/{spool.pk}/").json()
    # A ledger write's spool payload leaves out what other runs' plans derive (reserved_g, available_g,
    # loaded_in): those are read from the spool, not frozen into the change of its weight.
    assert events_of()[0].payload == {name: value for name, value in shown.items() if name not in SPOOL_FLOOR_FIELDS}
    assert len({event.xact_id for event in events_of()}) == 1  # one write, one transaction


def test_changing_a_runs_items_or_materials_records_run_updated(api, tenant, make_run, make_product):
    run = make_run(tenant)
    url = f"/api/v1/production-runs/{run.pk}/"

    item = api.post(f"{url}items/", {"product": str(make_product(tenant).pk), "quantity": 1}, format="json")
    api.patch(f"{url}items/{item.json()['id']}/", {"quantity": 2}, format="json")
    api.delete(f"{url}items/{item.json()['id']}/")

    assert types_of(run.pk) == ["run.created", "run.updated", "run.updated", "run.updated"]
    assert events_of(run.pk)[-1].payload == api.get(url).json()
