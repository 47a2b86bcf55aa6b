"""The inventory ledger: purchase rows, adjustments, chaining, read-only API and its filters."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.models import InventoryTransaction, Spool
from inventory.services import Adjustment, adjust_spool
from production.services import Completion, complete_run
from tests.support.ledger import assert_ledger_balances, ledger_rows

URL = "/api/v1/inventory-transactions/"


def adjust_url(spool):
    return f"/api/v1/spools/{spool.pk}/adjust/"


# Purchase


def test_creating_a_spool_through_the_api_writes_exactly_one_purchase_row(api, tenant, make_material, member):
    material = make_material(tenant)

    response = api.post(
        "/api/v1/spools/", {"code": "NEW-1", "material": str(material.pk), "initial_weight_g": "750.25"}
    )

    assert response.status_code == 201
    (row,) = InventoryTransaction.objects.all()
    assert str(row.spool_id) == response.json()["id"]
    assert row.tenant == tenant
    assert row.type == "purchase"
    assert row.sequence == 1
    assert (row.weight_before_g, row.weight_change_g, row.weight_after_g) == (
        Decimal("0.00"),
        Decimal("750.25"),
        Decimal("750.25"),
    )
    assert row.user == member


def test_creating_a_spool_through_the_service_writes_exactly_one_purchase_row(tenant, make_spool):
    spool = make_spool(tenant, initial_weight_g=Decimal("1000.00"))

    assert [(row.type, row.weight_change_g) for row in ledger_rows(spool)] == [("purchase", Decimal("1000.00"))]
    assert_ledger_balances(spool)


# Adjust


@pytest.fixture
def spool(tenant, make_spool):
    return make_spool(tenant, initial_weight_g=Decimal("1000.00"))


@pytest.mark.parametrize("type_", ["adjustment", "count", "waste"])
def test_adjust_to_a_new_weight_writes_one_row(manager_api, spool, type_):
    response = manager_api.post(adjust_url(spool), {"type": type_, "new_weight_g": "912.40", "reason": "Weighed"})

    assert response.status_code == 200
    assert response.json()["current_weight_g"] == "912.40"
    assert response.json()["remaining_percent"] == "91.24"
    rows = ledger_rows(spool)
    assert len(rows) == 2
    assert (rows[1].type, rows[1].weight_change_g, rows[1].description) == (type_, Decimal("-87.60"), "Weighed")
    assert_ledger_balances(spool)


@pytest.mark.parametrize("type_", ["adjustment", "count", "waste"])
def test_adjust_by_a_delta_writes_one_row(owner_api, spool, type_):
    response = owner_api.post(adjust_url(spool), {"type": type_, "delta_g": "-12.5"})

    assert response.status_code == 200
    assert response.json()["current_weight_g"] == "987.50"
    rows = ledger_rows(spool)
    assert len(rows) == 2
    assert (rows[1].type, rows[1].weight_before_g, rows[1].weight_change_g, rows[1].weight_after_g) == (
        type_,
        Decimal("1000.00"),
        Decimal("-12.50"),
        Decimal("987.50"),
    )


def test_positive_delta_adds_weight(manager_api, spool):
    response = manager_api.post(adjust_url(spool), {"type": "adjustment", "delta_g": "20"})

    assert response.json()["current_weight_g"] == "1020.00"
    assert response.json()["remaining_percent"] == "102.00"


def test_adjust_records_the_user(manager_api, spool, tenant):
    manager_api.post(adjust_url(spool), {"type": "count", "new_weight_g": "10"})

    assert ledger_rows(spool)[-1].user.username == f"admin-{tenant.slug}"


@pytest.mark.parametrize(
    "body",
    [
        {"type": "count", "new_weight_g": "900", "delta_g": "-100"},
        {"type": "count"},
        {"type": "count", "reason": "nothing to do"},
    ],
    ids=["both", "neither", "reason-only"],
)
def test_adjust_needs_exactly_one_of_new_weight_and_delta(manager_api, spool, body):
    response = manager_api.post(adjust_url(spool), body)

    assert response.status_code == 400
    assert len(ledger_rows(spool)) == 1
    spool.refresh_from_db()
    assert spool.current_weight_g == Decimal("1000.00")


@pytest.mark.parametrize("type_", ["purchase", "usage", "reversal", "theft", ""])
def test_adjust_refuses_other_types(manager_api, spool, type_):
    response = manager_api.post(adjust_url(spool), {"type": type_, "delta_g": "-1"})

    assert response.status_code == 400
    assert "type" in response.json()
    assert len(ledger_rows(spool)) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"type": "waste", "delta_g": "-1000.01"},
        {"type": "count", "new_weight_g": "-0.01"},
        {"type": "adjustment", "delta_g": "-99999999"},
    ],
)
def test_adjust_below_zero_is_400_and_nothing_written(manager_api, spool, body):
    response = manager_api.post(adjust_url(spool), body)

    assert response.status_code == 400
    if "delta_g" in body:
        assert response.data["code"] == "below_zero"
    else:  # a negative new weight is refused by the serializer, as a field error
        assert "new_weight_g" in response.data
    assert len(ledger_rows(spool)) == 1
    spool.refresh_from_db()
    assert spool.current_weight_g == Decimal("1000.00")
    assert spool.ledger_version == 1


def test_adjust_to_exactly_zero_is_allowed(manager_api, spool):
    response = manager_api.post(adjust_url(spool), {"type": "waste", "delta_g": "-1000"})

    assert response.status_code == 200
    assert response.json()["current_weight_g"] == "0.00"
    assert response.json()["remaining_percent"] == "0.00"


def test_adjust_above_what_a_spool_can_record_is_400_not_500(manager_api, spool):
    response = manager_api.post(adjust_url(spool), {"type": "adjustment", "delta_g": "99999999.99"})

    assert response.status_code == 400
    assert len(ledger_rows(spool)) == 1


def test_huge_ratios_serialize_instead_of_failing(api, tenant, make_material):
    material = make_material(tenant)

    response = api.post(
        "/api/v1/spools/",
        {"code": "TINY", "material": str(material.pk), "initial_weight_g": "0.01", "purchase_price": "99999999.99"},
    )

    assert response.status_code == 201
    assert response.json()["cost_per_gram"] == "9999999999.0000"


def test_adjust_service_refuses_below_zero_without_writing(spool):
    with pytest.raises(Exception, match="cannot be taken"):
        adjust_spool(spool=spool, user=None, adjustment=Adjustment(type="waste", delta_g=Decimal("-1000.01")))

    assert len(ledger_rows(spool)) == 1
    assert Spool.objects.get(pk=spool.pk).current_weight_g == Decimal("1000.00")


def test_each_row_chains_onto_the_previous_one(manager_api, spool):
    for body in (
        {"type": "waste", "delta_g": "-10.10"},
        {"type": "count", "new_weight_g": "700.05"},
        {"type": "adjustment", "delta_g": "0.20"},
        {"type": "count", "new_weight_g": "700.25"},  # no change is still a recorded count
        {"type": "waste", "delta_g": "-0.01"},
    ):
        assert manager_api.post(adjust_url(spool), body).status_code == 200

    rows = ledger_rows(spool)
    assert [row.sequence for row in rows] == [1, 2, 3, 4, 5, 6]
    assert [row.weight_after_g for row in rows] == [
        Decimal(value) for value in ("1000.00", "989.90", "700.05", "700.25", "700.25", "700.24")
    ]
    assert_ledger_balances(spool)


# The read-only ledger API


def test_ledger_rows_serialize_decimals_as_two_place_strings(api, spool):
    adjust_spool(spool=spool, user=None, adjustment=Adjustment(type="waste", delta_g=Decimal("-5")))

    rows = api.get(URL, {"ordering": "occurred_at"}).json()["results"]

    latest = max(rows, key=lambda row: row["sequence"])
    assert latest["spool"] == str(spool.pk)
    assert latest["spool_code"] == spool.code
    assert (latest["weight_before_g"], latest["weight_change_g"], latest["weight_after_g"]) == (
        "1000.00",
        "-5.00",
        "995.00",
    )
    assert latest["type"] == "waste"
    assert latest["production_run"] is None
    assert latest["reversal_of"] is None
    assert latest["reversed_by"] is None
    assert datetime.datetime.fromisoformat(latest["occurred_at"]).tzinfo is not None


def test_ledger_detail(api, spool):
    row = ledger_rows(spool)[0]

    response = api.get(f"{URL}{row.pk}/")

    assert response.status_code == 200
    assert response.json()["type"] == "purchase"


@pytest.mark.parametrize("client_name", ["api", "manager_api", "owner_api"])
def test_ledger_write_methods_are_405(request, spool, client_name):
    client = request.getfixturevalue(client_name)
    row = ledger_rows(spool)[0]
    row_url = f"{URL}{row.pk}/"
    body = {"spool": str(spool.pk), "type": "adjustment", "weight_change_g": "100"}

    assert client.post(URL, body).status_code == 405
    assert client.put(row_url, body).status_code == 405
    assert client.patch(row_url, {"weight_change_g": "100"}).status_code == 405
    assert client.delete(row_url).status_code == 405

    assert ledger_rows(spool) == [row]
    row.refresh_from_db()
    assert row.weight_change_g == Decimal("1000.00")


# Ledger filters


@pytest.fixture
def history(tenant, make_spool, make_run, member):
    """Two spools with purchases and adjustments, and a completed run drawing 40 g from a third."""
    first = make_spool(tenant, code="FIRST")
    second = make_spool(tenant, code="SECOND")
    adjust_spool(spool=first, user=None, adjustment=Adjustment(type="waste", delta_g=Decimal("-3")))
    adjust_spool(spool=second, user=None, adjustment=Adjustment(type="count", new_weight_g=Decimal("990")))
    used = make_spool(tenant, code="USED")
    run = make_run(tenant, materials=[{"spool": used, "estimated_model_g": Decimal("40")}])
    complete_run(run=run, user=member, completion=Completion.from_data({"use_estimates": True}))
    return {"first": first, "second": second, "used": used, "run": run}


def listed(api, **params):
    response = api.get(URL, {**params, "page_size": 100})
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def test_filter_ledger_by_spool(api, history):
    rows = listed(api, spool=history["first"].pk)

    assert sorted(row["type"] for row in rows) == ["purchase", "waste"]
    assert {row["spool"] for row in rows} == {str(history["first"].pk)}


def test_filter_ledger_by_type(api, history):
    assert [row["spool_code"] for row in listed(api, type="count")] == ["SECOND"]
    assert len(listed(api, type="purchase")) == 3
    response = api.get(URL, {"type": "theft"})
    assert response.status_code == 400
    assert "type" in response.json()


def test_filter_ledger_by_production_run(api, history):
    rows = listed(api, production_run=history["run"].pk)

    assert [(row["type"], row["spool_code"], row["weight_change_g"]) for row in rows] == [("usage", "USED", "-40.00")]
    assert rows[0]["production_run_number"] == history["run"].run_number
    assert rows[0]["production_run_material"] is not None


def test_filter_ledger_by_unknown_spool_or_run_is_400(api, history):
    for parameter in ("spool", "production_run"):
        response = api.get(URL, {parameter: "00000000-0000-0000-0000-000000000000"})
        assert response.status_code == 400
        assert parameter in response.json()


def test_filter_ledger_by_occurred_after_and_before(api, spool):
    past = timezone.now() - datetime.timedelta(days=10)
    InventoryTransaction.objects.filter(spool=spool).update(occurred_at=past)
    adjust_spool(spool=spool, user=None, adjustment=Adjustment(type="waste", delta_g=Decimal("-1")))
    cut = (past + datetime.timedelta(days=1)).isoformat()

    assert [row["type"] for row in listed(api, occurred_after=cut)] == ["waste"]
    assert [row["type"] for row in listed(api, occurred_before=cut)] == ["purchase"]
    # A date bound covers that whole day (in the tenant's time zone, here UTC).
    assert [row["type"] for row in listed(api, occurred_before=past.date().isoformat())] == ["purchase"]
    assert [row["type"] for row in listed(api, occurred_after=past.date().isoformat())] == ["waste", "purchase"]
    assert listed(api, occurred_after=timezone.now().date() + datetime.timedelta(days=1)) == []


@pytest.mark.parametrize("parameter", ["occurred_after", "occurred_before"])
def test_invalid_date_filter_is_400_naming_it(api, parameter):
    response = api.get(URL, {parameter: "last tuesday"})

    assert response.status_code == 400
    assert parameter in response.json()


def test_ledger_is_newest_first_by_default(api, spool):
    adjust_spool(spool=spool, user=None, adjustment=Adjustment(type="waste", delta_g=Decimal("-1")))

    assert [row["sequence"] for row in listed(api)] == [2, 1]
