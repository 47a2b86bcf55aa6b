"""Spools: CRUD, validation, computed fields, filters and protected deletes through the API."""

from decimal import Decimal

import pytest

from inventory.models import InventoryTransaction, Spool
from inventory.services import Adjustment, adjust_spool

URL = "/api/v1/spools/"


def detail(spool):
    return f"{URL}{spool.pk}/"


@pytest.fixture
def material(tenant, make_material):
    return make_material(tenant, name="PLA Basic", kind="PLA", color_name="Red", color_hex="#FF0000")


@pytest.fixture
def body(material):
    return {
        "code": "PLA-RED-001",
        "material": str(material.pk),
        "initial_weight_g": "1000",
        "empty_spool_weight_g": "250.5",
        "purchase_price": "23.5",
        "purchased_at": "2024-03-01",
        "supplier": "Filament Co",
        "location": "Shelf A",
    }


def test_member_creates_spool_with_computed_and_material_fields(api, tenant, body, material):
    response = api.post(URL, body)

    assert response.status_code == 201
    data = response.json()
    assert data["code"] == "PLA-RED-001"
    assert data["material"] == str(material.pk)
    assert (data["material_name"], data["material_kind"]) == ("PLA Basic", "PLA")
    assert (data["color_name"], data["color_hex"]) == ("Red", "#FF0000")
    assert data["initial_weight_g"] == "1000.00"
    assert data["current_weight_g"] == "1000.00"
    assert data["empty_spool_weight_g"] == "250.50"
    assert data["purchase_price"] == "23.50"
    assert data["remaining_percent"] == "100.00"
    assert data["cost_per_gram"] == "0.0235"
    assert data["purchased_at"] == "2024-03-01"
    assert data["is_active"] is True
    spool = Spool.objects.get(pk=data["id"])
    assert spool.tenant == tenant
    assert spool.current_weight_g == Decimal("1000.00")


def test_cost_per_gram_is_null_without_price(api, body):
    del body["purchase_price"]

    data = api.post(URL, body).json()

    assert data["purchase_price"] is None
    assert data["cost_per_gram"] is None


def test_cost_per_gram_rounds_to_four_decimals(api, body):
    data = api.post(URL, {**body, "initial_weight_g": "750", "purchase_price": "19.99"}).json()

    assert data["cost_per_gram"] == "0.0267"  # 19.99 / 750 = 0.026653...


def test_remaining_percent_follows_the_ledger(api, tenant, make_spool):
    spool = make_spool(tenant, initial_weight_g=Decimal("800.00"))
    adjust_spool(spool=spool, user=None, adjustment=Adjustment(type="count", new_weight_g=Decimal("123.45")))

    data = api.get(detail(spool)).json()

    assert data["current_weight_g"] == "123.45"
    assert data["remaining_percent"] == "15.43"  # 123.45 / 800 * 100 = 15.43125


def test_current_weight_in_body_is_ignored_on_create(api, body):
    response = api.post(URL, {**body, "current_weight_g": "5"})

    assert response.status_code == 201
    assert response.json()["current_weight_g"] == "1000.00"


def test_current_and_initial_weight_cannot_be_changed_by_update(api, tenant, make_spool):
    spool = make_spool(tenant)

    response = api.patch(detail(spool), {"current_weight_g": "1", "initial_weight_g": "2", "location": "Bin 4"})

    assert response.status_code == 200
    spool.refresh_from_db()
    assert spool.current_weight_g == Decimal("1000.00")
    assert spool.initial_weight_g == Decimal("1000.00")
    assert spool.location == "Bin 4"
    assert spool.transactions.count() == 1


def test_put_replaces_spool_fields(api, tenant, make_spool, make_material):
    spool = make_spool(tenant)
    petg = make_material(tenant, name="PETG", kind="PETG")

    response = api.put(detail(spool), {"code": "PETG-001", "material": str(petg.pk), "is_active": False})

    assert response.status_code == 200
    assert response.json()["material_kind"] == "PETG"
    spool.refresh_from_db()
    assert (spool.code, spool.material, spool.is_active) == ("PETG-001", petg, False)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("initial_weight_g", "0"),
        ("initial_weight_g", "-10"),
        ("initial_weight_g", "abc"),
        ("initial_weight_g", "1.234"),
        ("empty_spool_weight_g", "-1"),
        ("purchase_price", "-0.01"),
        ("material", "not-a-uuid"),
        ("material", "00000000-0000-0000-0000-000000000000"),
        ("code", ""),
        ("purchased_at", "yesterday"),
    ],
)
def test_invalid_spool_is_400_on_the_field_and_nothing_written(api, body, field, value):
    response = api.post(URL, {**body, field: value})

    assert response.status_code == 400
    assert field in response.json()
    assert not Spool.objects.exists()
    assert not InventoryTransaction.objects.exists()


@pytest.mark.parametrize("field", ["code", "material", "initial_weight_g"])
def test_required_spool_fields(api, body, field):
    del body[field]

    response = api.post(URL, body)

    assert response.status_code == 400
    assert field in response.json()
    assert not Spool.objects.exists()


def test_duplicate_code_in_one_tenant_is_400_on_code(api, tenant, make_spool, body):
    make_spool(tenant, code="PLA-RED-001")

    response = api.post(URL, body)

    assert response.status_code == 400
    assert "code" in response.json()
    assert Spool.objects.count() == 1
    assert InventoryTransaction.objects.count() == 1


def test_two_tenants_may_share_a_spool_code(other_api, other_tenant, tenant, make_spool, make_material):
    make_spool(tenant, code="PLA-RED-001")
    theirs = make_material(other_tenant)

    response = other_api.post(URL, {"code": "PLA-RED-001", "material": str(theirs.pk), "initial_weight_g": "500"})

    assert response.status_code == 201
    assert Spool.objects.filter(code="PLA-RED-001").count() == 2


def test_renaming_to_an_existing_code_is_400_on_code(api, tenant, make_spool):
    make_spool(tenant, code="TAKEN")
    spool = make_spool(tenant, code="FREE")

    response = api.patch(detail(spool), {"code": "TAKEN"})

    assert response.status_code == 400
    assert "code" in response.json()
    spool.refresh_from_db()
    assert spool.code == "FREE"


def test_patch_keeping_own_code_is_fine(api, tenant, make_spool):
    spool = make_spool(tenant, code="MINE")

    response = api.patch(detail(spool), {"code": "MINE", "supplier": "X"})

    assert response.status_code == 200


# Filters


@pytest.fixture
def stock(tenant, make_material, make_spool):
    """Three spools: red PLA on shelf A, black PETG on shelf B (low), an inactive red PLA."""
    pla = make_material(tenant, name="PLA Basic", kind="PLA", color_name="Red")
    petg = make_material(tenant, name="PETG HF", kind="PETG", color_name="Black")
    red = make_spool(tenant, pla, code="PLA-RED-001", location="Shelf A")
    black = make_spool(tenant, petg, code="PETG-BLK-001", location="Shelf B")
    adjust_spool(spool=black, user=None, adjustment=Adjustment(type="count", new_weight_g=Decimal("199.99")))
    old = make_spool(tenant, pla, code="PLA-RED-002", location="Shelf A", is_active=False)
    return {"pla": pla, "petg": petg, "red": red, "black": black, "old": old}


def codes(response):
    assert response.status_code == 200, response.json()
    return sorted(row["code"] for row in response.json()["results"])


def test_filter_spools_by_material(api, stock):
    assert codes(api.get(URL, {"material": stock["petg"].pk})) == ["PETG-BLK-001"]
    assert codes(api.get(URL, {"material": stock["pla"].pk})) == ["PLA-RED-001", "PLA-RED-002"]


def test_filter_spools_by_unknown_material_is_400(api, stock):
    assert api.get(URL, {"material": "not-a-uuid"}).status_code == 400
    response = api.get(URL, {"material": "00000000-0000-0000-0000-000000000000"})
    assert response.status_code == 400
    assert "material" in response.json()


def test_filter_spools_by_kind(api, stock):
    assert codes(api.get(URL, {"kind": "PETG"})) == ["PETG-BLK-001"]
    response = api.get(URL, {"kind": "WOOD"})
    assert response.status_code == 400
    assert "kind" in response.json()


def test_filter_spools_by_is_active(api, stock):
    assert codes(api.get(URL, {"is_active": "false"})) == ["PLA-RED-002"]
    assert codes(api.get(URL, {"is_active": "true"})) == ["PETG-BLK-001", "PLA-RED-001"]


def test_filter_spools_by_location_ignores_case(api, stock):
    assert codes(api.get(URL, {"location": "shelf b"})) == ["PETG-BLK-001"]


def test_low_stock_is_below_20_percent(api, stock, tenant, make_spool):
    edge = make_spool(tenant, code="EDGE")
    adjust_spool(
        spool=edge, user=None, adjustment=Adjustment(type="count", new_weight_g=Decimal("200.00"))
    )  # exactly 20 %: not low

    assert codes(api.get(URL, {"low_stock": "true"})) == ["PETG-BLK-001"]
    assert codes(api.get(URL, {"low_stock": "false"})) == ["EDGE", "PLA-RED-001", "PLA-RED-002"]


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("blk", ["PETG-BLK-001"]),  # code
        ("petg hf", ["PETG-BLK-001"]),  # material name
        ("RED", ["PLA-RED-001", "PLA-RED-002"]),  # colour (and code)
        ("black", ["PETG-BLK-001"]),  # colour only
        ("nothing-like-it", []),
    ],
)
def test_search_spools_by_code_material_and_colour(api, stock, term, expected):
    assert codes(api.get(URL, {"search": term})) == expected


def test_order_spools_by_code_descending(api, stock):
    rows = api.get(URL, {"ordering": "-code"}).json()["results"]

    assert [row["code"] for row in rows] == ["PLA-RED-002", "PLA-RED-001", "PETG-BLK-001"]


def test_order_spools_by_current_weight(api, stock):
    rows = api.get(URL, {"ordering": "current_weight_g"}).json()["results"]

    assert rows[0]["code"] == "PETG-BLK-001"


# Deletes


def test_spool_with_only_its_purchase_row_can_be_deleted(manager_api, tenant, make_spool):
    spool = make_spool(tenant)

    response = manager_api.delete(detail(spool))

    assert response.status_code == 204
    assert not Spool.objects.filter(pk=spool.pk).exists()
    assert not InventoryTransaction.objects.filter(spool_id=spool.pk).exists()


def test_spool_with_other_ledger_rows_is_409_protected(manager_api, tenant, make_spool):
    spool = make_spool(tenant)
    adjust_spool(spool=spool, user=None, adjustment=Adjustment(type="waste", delta_g=Decimal("-5")))

    response = manager_api.delete(detail(spool))

    assert response.status_code == 409
    assert response.json()["code"] == "protected"
    assert spool.code in response.json()["detail"]
    assert Spool.objects.filter(pk=spool.pk).exists()
    assert spool.transactions.count() == 2


def test_spool_used_by_a_run_is_409_protected(owner_api, tenant, make_spool, make_run):
    spool = make_spool(tenant)
    make_run(tenant, materials=[{"spool": spool, "estimated_model_g": Decimal("10")}])

    response = owner_api.delete(detail(spool))

    assert response.status_code == 409
    assert response.json()["code"] == "protected"
    assert Spool.objects.filter(pk=spool.pk).exists()


def test_deactivated_spool_stays_with_its_history(api, tenant, make_spool):
    spool = make_spool(tenant)
    adjust_spool(spool=spool, user=None, adjustment=Adjustment(type="waste", delta_g=Decimal("-5")))

    response = api.patch(detail(spool), {"is_active": False})

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert spool.transactions.count() == 2
