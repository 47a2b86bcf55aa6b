"""`POST /production-runs/{id}/complete/`: SPEC 5.4, through the API."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.models import InventoryTransaction, Spool
from inventory.services import Adjustment, adjust_spool
from production.models import ProductionRunMaterial
from tests.support.snapshots import run_snapshot

pytestmark = pytest.mark.django_db

STARTED = datetime.datetime(2024, 5, 6, 8, 0, tzinfo=datetime.UTC)
CENTS = Decimal("0.01")


def complete_url(run):
    return f"/api/v1/production-runs/{run.pk}/complete/"


def assert_refused(response, status_code, code, before, run):
    assert response.status_code == status_code, response.content
    assert response.json()["code"] == code
    assert run_snapshot(run) == before
    assert before["run"]["status"] == "in_progress"


@pytest.fixture
def spool(tenant, make_spool):
    """1000 g for 25.00: 0.0250 per gram."""
    return make_spool(tenant, code="PLA-RED-001")


@pytest.fixture
def product(tenant, make_product):
    return make_product(tenant, name="Axolotl")


@pytest.fixture
def run(tenant, member, make_run, spool, product):
    return make_run(
        tenant,
        user=member,
        started_at=STARTED,
        items=[{"product": product, "quantity": 10}],
        materials=[
            {
                "spool": spool,
                "estimated_model_g": Decimal("100.00"),
                "estimated_flushed_g": Decimal("5.00"),
                "estimated_tower_g": Decimal("3.00"),
            }
        ],
    )


def only_material(run):
    return run.materials.get()


def test_complete_from_explicit_actuals_deducts_the_spool_and_writes_one_usage_row(api, run, spool):
    material = only_material(run)
    completed_at = STARTED + datetime.timedelta(hours=2, minutes=30)

    response = api.post(
        complete_url(run),
        {
            "completed_at": completed_at.isoformat(),
            "materials": [
                {
                    "id": str(material.pk),
                    "actual_model_g": "110.00",
                    "actual_flushed_g": "6.00",
                    "actual_tower_g": "4.00",
                }
            ],
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "completed"
    assert body["actual_total_g"] == "120.00"
    assert body["materials"][0]["actual_total_g"] == "120.00"
    spool.refresh_from_db()
    assert spool.current_weight_g == Decimal("880.00")
    (row,) = InventoryTransaction.objects.filter(production_run=run)
    assert row.type == "usage"
    assert row.spool_id == spool.pk
    assert row.production_run_material_id == material.pk
    assert (row.weight_before_g, row.weight_change_g, row.weight_after_g) == (
        Decimal("1000.00"),
        Decimal("-120.00"),
        Decimal("880.00"),
    )
    previous = InventoryTransaction.objects.get(spool=spool, type="purchase")
    assert row.weight_before_g == previous.weight_after_g
    assert row.sequence == previous.sequence + 1


def test_complete_computes_totals_variance_cost_and_duration(api, run, spool):
    material = only_material(run)
    completed_at = STARTED + datetime.timedelta(hours=2, minutes=30)

    response = api.post(
        complete_url(run),
        {
            "completed_at": completed_at.isoformat(),
            "items": [{"id": str(run.items.get().pk), "successful_quantity": 8, "failed_quantity": 2}],
            "materials": [
                {
                    "id": str(material.pk),
                    "actual_model_g": "110.00",
                    "actual_flushed_g": "6.00",
                    "actual_tower_g": "4.00",
                }
            ],
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    estimated = Decimal("100.00") + Decimal("5.00") + Decimal("3.00")
    actual = Decimal("110.00") + Decimal("6.00") + Decimal("4.00")
    cost_per_gram = (spool.purchase_price / spool.initial_weight_g).quantize(Decimal("0.0001"))
    cost = (actual * cost_per_gram).quantize(CENTS)
    assert Decimal(body["estimated_total_g"]) == estimated
    assert Decimal(body["actual_total_g"]) == actual
    assert Decimal(body["variance_g"]) == actual - estimated
    assert body["variance_percent"] == str(((actual - estimated) / estimated * 100).quantize(CENTS))
    assert body["variance_percent"] == "11.11"
    assert body["material_cost"] == str(cost) == "3.00"
    assert body["cost_per_successful_unit"] == str((cost / 8).quantize(CENTS)) == "0.38"
    assert body["duration_hours"] == "2.50"
    assert datetime.datetime.fromisoformat(body["completed_at"]) == completed_at
    assert body["materials"][0]["cost_per_gram"] == "0.0250"
    assert body["materials"][0]["variance_g"] == "12.00"
    assert body["materials"][0]["variance_percent"] == "11.11"


def test_complete_response_is_the_run_detail(api, run):
    response = api.post(complete_url(run), {"use_estimates": True}, format="json")

    assert response.status_code == 200
    assert response.json() == api.get(f"/api/v1/production-runs/{run.pk}/").json()


def test_complete_from_weighings_uses_before_minus_after(api, run, spool):
    material = only_material(run)

    response = api.post(
        complete_url(run),
        {"materials": [{"id": str(material.pk), "spool_weight_before_g": "950.00", "spool_weight_after_g": "812.50"}]},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["actual_total_g"] == "137.50"
    spool.refresh_from_db()
    assert spool.current_weight_g == Decimal("1000.00") - (Decimal("950.00") - Decimal("812.50"))
    row = InventoryTransaction.objects.get(production_run=run)
    assert row.weight_change_g == Decimal("-137.50")


def test_weighings_win_over_actual_parts(api, run, spool):
    material = only_material(run)

    response = api.post(
        complete_url(run),
        {
            "materials": [
                {
                    "id": str(material.pk),
                    "actual_model_g": "1.00",
                    "spool_weight_before_g": "900.00",
                    "spool_weight_after_g": "800.00",
                }
            ]
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    spool.refresh_from_db()
    assert spool.current_weight_g == Decimal("900.00")


def test_complete_with_use_estimates_deducts_the_estimates(api, run, spool):
    response = api.post(complete_url(run), {"use_estimates": True}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["actual_total_g"] == "108.00"
    assert body["variance_g"] == "0.00"
    assert body["variance_percent"] == "0.00"
    material = only_material(run)
    assert (material.actual_model_g, material.actual_flushed_g, material.actual_tower_g) == (
        Decimal("100.00"),
        Decimal("5.00"),
        Decimal("3.00"),
    )
    spool.refresh_from_db()
    assert spool.current_weight_g == Decimal("892.00")


def test_use_estimates_does_not_override_actuals_given(api, tenant, member, make_run, make_spool, product):
    first, second = make_spool(tenant), make_spool(tenant)
    run = make_run(
        tenant,
        user=member,
        items=[{"product": product, "quantity": 1}],
        materials=[
            {"spool": first, "estimated_model_g": Decimal("50.00")},
            {"spool": second, "estimated_model_g": Decimal("30.00")},
        ],
    )
    material = run.materials.get(spool=first)

    response = api.post(
        complete_url(run),
        {"use_estimates": True, "materials": [{"id": str(material.pk), "actual_model_g": "61.25"}]},
        format="json",
    )

    assert response.status_code == 200, response.content
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.current_weight_g == Decimal("1000.00") - Decimal("61.25")
    assert second.current_weight_g == Decimal("1000.00") - Decimal("30.00")
    assert response.json()["actual_total_g"] == "91.25"


def test_complete_uses_actuals_set_earlier_by_patch(api, run, spool):
    material = only_material(run)
    patched = api.patch(
        f"/api/v1/production-runs/{run.pk}/materials/{material.pk}/",
        {"actual_model_g": "95.00", "actual_tower_g": "2.50"},
        format="json",
    )
    assert patched.status_code == 200, patched.content

    response = api.post(complete_url(run), {}, format="json")

    assert response.status_code == 200, response.content
    spool.refresh_from_db()
    assert spool.current_weight_g == Decimal("902.50")
    assert InventoryTransaction.objects.get(production_run=run).weight_change_g == Decimal("-97.50")


def test_complete_without_a_body(api, run):
    ProductionRunMaterial.objects.filter(run=run).update(actual_model_g=Decimal("10.00"))

    response = api.post(complete_url(run))

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "completed"


def test_missing_actuals_is_400_naming_the_materials_and_writes_nothing(
    api, tenant, member, make_run, make_spool, product
):
    given, lacking, also_lacking = (
        make_spool(tenant, code="PLA-GIVEN"),
        make_spool(tenant, code="PLA-LACK-1"),
        make_spool(tenant, code="PLA-LACK-2"),
    )
    run = make_run(
        tenant,
        user=member,
        items=[{"product": product, "quantity": 2}],
        materials=[{"spool": spool, "estimated_model_g": Decimal("10.00")} for spool in (given, lacking, also_lacking)],
    )
    before = run_snapshot(run)

    response = api.post(
        complete_url(run),
        {"materials": [{"id": str(run.materials.get(spool=given).pk), "actual_model_g": "9.00"}]},
        format="json",
    )

    assert_refused(response, 400, "missing_actuals", before, run)
    body = response.json()
    assert sorted(body["materials"]) == ["PLA-LACK-1", "PLA-LACK-2"]
    assert "PLA-LACK-1" in body["detail"]
    assert "PLA-GIVEN" not in body["detail"]


def test_completing_a_run_without_items_is_400_and_writes_nothing(api, tenant, member, make_run, spool):
    run = make_run(tenant, user=member, items=[], materials=[{"spool": spool, "estimated_model_g": Decimal("10.00")}])
    before = run_snapshot(run)

    response = api.post(complete_url(run), {"use_estimates": True}, format="json")

    assert_refused(response, 400, "no_items", before, run)


def test_insufficient_stock_is_409_with_spool_available_and_required(api, run, spool, member):
    adjust_spool(
        spool=spool, user=member, adjustment=Adjustment(type="count", new_weight_g=Decimal("50.00"), reason="recount")
    )
    before = run_snapshot(run)

    response = api.post(
        complete_url(run),
        {"materials": [{"id": str(only_material(run).pk), "actual_model_g": "100.00"}]},
        format="json",
    )

    assert_refused(response, 409, "insufficient_stock", before, run)
    body = response.json()
    assert body["spool"] == "PLA-RED-001"
    assert Decimal(body["available_g"]) == Decimal("50.00")
    assert Decimal(body["required_g"]) == Decimal("100.00")


def test_insufficient_stock_on_one_spool_deducts_no_other_spool(api, tenant, member, make_run, make_spool, product):
    plenty = make_spool(tenant, code="A-PLENTY")
    scarce = make_spool(tenant, code="Z-SCARCE")
    run = make_run(
        tenant,
        user=member,
        items=[{"product": product, "quantity": 1}],
        materials=[
            {"spool": plenty, "estimated_model_g": Decimal("10.00")},
            {"spool": scarce, "estimated_model_g": Decimal("10.00")},
        ],
    )
    adjust_spool(spool=scarce, user=member, adjustment=Adjustment(type="count", new_weight_g=Decimal("5.00")))
    before = run_snapshot(run)

    response = api.post(complete_url(run), {"use_estimates": True}, format="json")

    assert_refused(response, 409, "insufficient_stock", before, run)
    assert response.json()["spool"] == "Z-SCARCE"


def test_weighing_after_above_before_is_400_and_writes_nothing(api, run):
    before = run_snapshot(run)

    response = api.post(
        complete_url(run),
        {
            "materials": [
                {"id": str(only_material(run).pk), "spool_weight_before_g": "800.00", "spool_weight_after_g": "800.01"}
            ]
        },
        format="json",
    )

    assert_refused(response, 400, "invalid_weighing", before, run)


def test_unnamed_item_without_counts_counts_all_as_successful(api, tenant, member, make_run, spool, make_product):
    named, unnamed = make_product(tenant), make_product(tenant)
    run = make_run(
        tenant,
        user=member,
        items=[{"product": named, "quantity": 5}, {"product": unnamed, "quantity": 7}],
        materials=[{"spool": spool, "estimated_model_g": Decimal("10.00")}],
    )
    named_item = run.items.get(product=named)

    response = api.post(
        complete_url(run),
        {"use_estimates": True, "items": [{"id": str(named_item.pk), "successful_quantity": 3, "failed_quantity": 1}]},
        format="json",
    )

    assert response.status_code == 200, response.content
    outcomes = {item.product_id: (item.successful_quantity, item.failed_quantity) for item in run.items.all()}
    assert outcomes == {named.pk: (3, 1), unnamed.pk: (7, 0)}
    # 3 + 7 successful units share the material cost: 10 g x 0.0250 = 0.25.
    assert response.json()["cost_per_successful_unit"] == str((Decimal("0.25") / 10).quantize(CENTS))


def test_unnamed_item_with_only_a_failed_count_gets_the_rest_as_successful(api, run):
    item = run.items.get()
    patched = api.patch(f"/api/v1/production-runs/{run.pk}/items/{item.pk}/", {"failed_quantity": 4}, format="json")
    assert patched.status_code == 200, patched.content

    response = api.post(complete_url(run), {"use_estimates": True}, format="json")

    assert response.status_code == 200, response.content
    item.refresh_from_db()
    assert (item.successful_quantity, item.failed_quantity) == (item.quantity - 4, 4)


def test_item_counts_above_quantity_are_400_and_write_nothing(api, run):
    item = run.items.get()
    before = run_snapshot(run)

    response = api.post(
        complete_url(run),
        {"use_estimates": True, "items": [{"id": str(item.pk), "successful_quantity": 8, "failed_quantity": 3}]},
        format="json",
    )

    assert_refused(response, 400, "invalid_quantities", before, run)


@pytest.mark.parametrize("field", ["items", "materials"])
def test_unknown_item_or_material_id_is_400_and_writes_nothing(api, run, field):
    before = run_snapshot(run)
    entry = {"id": str(uuid.uuid4()), "successful_quantity": 1} if field == "items" else {"id": str(uuid.uuid4())}

    response = api.post(complete_url(run), {"use_estimates": True, field: [entry]}, format="json")

    assert_refused(response, 400, "unknown_item" if field == "items" else "unknown_material", before, run)


def test_an_item_of_another_run_is_unknown(api, tenant, member, make_run, run):
    other_run = make_run(tenant, user=member)
    before = run_snapshot(run)

    response = api.post(
        complete_url(run),
        {"use_estimates": True, "items": [{"id": str(other_run.items.get().pk), "successful_quantity": 1}]},
        format="json",
    )

    assert_refused(response, 400, "unknown_item", before, run)
    assert other_run.items.get().successful_quantity is None


def test_a_material_of_another_run_is_unknown(api, tenant, member, make_run, run):
    other_run = make_run(tenant, user=member)
    before = run_snapshot(run)

    response = api.post(
        complete_url(run),
        {"use_estimates": True, "materials": [{"id": str(other_run.materials.get().pk), "actual_model_g": "1.00"}]},
        format="json",
    )

    assert_refused(response, 400, "unknown_material", before, run)
    assert other_run.materials.get().actual_model_g is None


def test_negative_actual_is_400_and_writes_nothing(api, run):
    before = run_snapshot(run)

    response = api.post(
        complete_url(run), {"materials": [{"id": str(only_material(run).pk), "actual_model_g": "-1.00"}]}, format="json"
    )

    assert response.status_code == 400
    assert "materials" in response.json()
    assert run_snapshot(run) == before


def test_completed_at_before_started_at_is_400_and_writes_nothing(api, run):
    before = run_snapshot(run)

    response = api.post(
        complete_url(run),
        {"use_estimates": True, "completed_at": (STARTED - datetime.timedelta(seconds=1)).isoformat()},
        format="json",
    )

    assert_refused(response, 400, "invalid_dates", before, run)


@pytest.mark.parametrize("completed_at", ["9999-12-30T00:00:00Z", "2200-01-01T00:00:00Z"])
def test_completed_at_too_far_after_started_at_is_400_not_500(api, run, completed_at):
    before = run_snapshot(run)

    response = api.post(complete_url(run), {"use_estimates": True, "completed_at": completed_at}, format="json")

    assert_refused(response, 400, "invalid_dates", before, run)


def test_completed_at_equal_to_started_at_is_a_zero_duration(api, run):
    response = api.post(complete_url(run), {"use_estimates": True, "completed_at": STARTED.isoformat()}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["duration_hours"] == "0.00"


def test_completed_at_defaults_to_now(api, run):
    earliest = timezone.now()

    response = api.post(complete_url(run), {"use_estimates": True}, format="json")

    latest = timezone.now()
    assert response.status_code == 200
    run.refresh_from_db()
    assert earliest <= run.completed_at <= latest
    assert datetime.datetime.fromisoformat(response.json()["completed_at"]) == run.completed_at
    assert run.duration_hours == (Decimal((run.completed_at - run.started_at).total_seconds()) / 3600).quantize(CENTS)


def test_complete_records_quality_and_notes(api, run):
    response = api.post(
        complete_url(run),
        {"use_estimates": True, "quality_rating": 4, "quality_notes": "slight stringing", "notes": "batch A"},
        format="json",
    )

    assert response.status_code == 200
    run.refresh_from_db()
    assert (run.quality_rating, run.quality_notes, run.notes) == (4, "slight stringing", "batch A")


def test_variance_percent_is_null_when_the_estimate_is_zero(api, tenant, member, make_run, spool, product):
    run = make_run(
        tenant,
        user=member,
        items=[{"product": product, "quantity": 1}],
        materials=[{"spool": spool, "estimated_model_g": Decimal("0.00")}],
    )

    response = api.post(
        complete_url(run), {"materials": [{"id": str(only_material(run).pk), "actual_model_g": "4.00"}]}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["variance_g"] == "4.00"
    assert body["variance_percent"] is None
    assert body["materials"][0]["variance_percent"] is None


def test_one_usage_row_per_material_linked_to_its_run_material(api, tenant, member, make_run, make_spool, product):
    spools = [make_spool(tenant) for _ in range(3)]
    run = make_run(
        tenant,
        user=member,
        items=[{"product": product, "quantity": 3}],
        materials=[{"spool": spool, "estimated_model_g": Decimal(10 * (n + 1))} for n, spool in enumerate(spools)],
    )

    response = api.post(complete_url(run), {"use_estimates": True}, format="json")

    assert response.status_code == 200
    rows = InventoryTransaction.objects.filter(production_run=run)
    assert rows.count() == 3
    for material in run.materials.all():
        (row,) = rows.filter(production_run_material=material)
        assert row.type == "usage"
        assert row.spool_id == material.spool_id
        assert row.weight_change_g == -material.estimated_total_g
        spool = Spool.objects.get(pk=material.spool_id)
        assert spool.current_weight_g == row.weight_after_g == Decimal("1000.00") - material.estimated_total_g


def test_completing_a_completed_run_is_409_and_writes_nothing(api, run):
    assert api.post(complete_url(run), {"use_estimates": True}, format="json").status_code == 200
    before = run_snapshot(run)

    response = api.post(complete_url(run), {"use_estimates": True}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert "completed" in response.json()["detail"]
    assert run_snapshot(run) == before


def test_viewer_cannot_complete_a_run(viewer_api, run):
    before = run_snapshot(run)

    response = viewer_api.post(complete_url(run), {"use_estimates": True}, format="json")

    assert response.status_code == 403
    assert run_snapshot(run) == before


def test_other_tenant_cannot_complete_a_run(other_api, run):
    before = run_snapshot(run)

    response = other_api.post(complete_url(run), {"use_estimates": True}, format="json")

    assert response.status_code == 404
    assert run_snapshot(run) == before


def test_an_extreme_variance_percent_is_served_not_a_500(api, tenant, member, make_run, make_spool, product):
    spool = make_spool(tenant, initial_weight_g=Decimal("99999999.99"))
    run = make_run(
        tenant,
        user=member,
        items=[{"product": product, "quantity": 1}],
        materials=[{"spool": spool, "estimated_model_g": Decimal("0.01")}],
    )

    response = api.post(
        complete_url(run),
        {"materials": [{"id": str(only_material(run).pk), "actual_model_g": "99999999.99"}]},
        format="json",
    )

    assert response.status_code == 200, response.content
    expected = ((Decimal("99999999.99") - Decimal("0.01")) / Decimal("0.01") * 100).quantize(CENTS)
    assert response.json()["variance_percent"] == str(expected) == "999999999800.00"
    assert response.json()["materials"][0]["variance_percent"] == str(expected)
    assert api.get(f"/api/v1/production-runs/{run.pk}/").status_code == 200
    assert api.get("/api/v1/production-runs/").status_code == 200


def test_a_spool_with_a_very_high_cost_per_gram_is_costed(api, tenant, member, make_run, make_spool, product):
    spool = make_spool(tenant, initial_weight_g=Decimal("0.01"), purchase_price=Decimal("99999999.99"))
    run = make_run(
        tenant,
        user=member,
        items=[{"product": product, "quantity": 10}],
        materials=[{"spool": spool, "estimated_model_g": Decimal("0.01")}],
    )

    response = api.post(complete_url(run), {"use_estimates": True}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    cost_per_gram = Decimal("99999999.99") / Decimal("0.01")
    assert body["materials"][0]["cost_per_gram"] == "9999999999.0000"
    assert Decimal(body["material_cost"]) == (Decimal("0.01") * cost_per_gram).quantize(CENTS)
    assert body["cost_per_successful_unit"] == str((Decimal("99999999.99") / 10).quantize(CENTS))
