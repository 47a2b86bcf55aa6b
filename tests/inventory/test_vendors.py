"""Vendors through the REST API, and a material's vendor by id or by name (`brand`, a natural key)."""

from decimal import Decimal

import pytest

from events.models import Event
from inventory.models import Material, Vendor

URL = "/api/v1/vendors/"
MATERIALS = "/api/v1/materials/"


def detail(vendor):
    return f"{URL}{vendor.pk}/"


def material_detail(material):
    return f"{MATERIALS}{material.pk}/"


def test_a_member_creates_a_vendor_with_its_number_and_event(api, tenant):
    body = {
        "name": "Polymaker",
        "comment": "abcdefghåäö",
        "empty_spool_weight_g": "140.5",
        "external_id": "polymaker",
        "extra": {"website": '"https://polymaker.com"'},
    }

    response = api.post(URL, body, format="json")

    assert response.status_code == 201, response.json()
    created = response.json()
    assert (created["number"], created["name"], created["empty_spool_weight_g"]) == (1, "Polymaker", "140.50")
    assert created["extra"] == {"website": '"https://polymaker.com"'}
    vendor = Vendor.objects.get(pk=created["id"])
    assert (vendor.tenant, vendor.comment) == (tenant, "abcdefghåäö")
    assert Event.objects.get(type="vendor.created").resource_id == vendor.pk


def test_two_vendors_may_share_a_name(api, tenant):
    first = api.post(URL, {"name": "John"})
    second = api.post(URL, {"name": "John"})

    assert (first.status_code, second.status_code) == (201, 201)
    assert [v.number for v in Vendor.objects.filter(name="John").order_by("number")] == [1, 2]


def test_patch_changes_only_the_fields_sent_and_records_the_event(api, tenant, make_vendor):
    vendor = make_vendor(tenant, name="Acme", comment="Kept")

    response = api.patch(detail(vendor), {"external_id": "acme-1"})

    assert response.status_code == 200
    vendor.refresh_from_db()
    assert (vendor.name, vendor.comment, vendor.external_id) == ("Acme", "Kept", "acme-1")
    assert Event.objects.filter(type="vendor.updated", resource_id=vendor.pk).exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "x" * 65),
        ("comment", "x" * 1025),
        ("empty_spool_weight_g", "-1"),
        ("extra", ["not", "an", "object"]),
        ("extra", {"key": 5}),
        ("extra", {"": '"empty key"'}),
    ],
)
def test_bad_input_is_400_and_nothing_written(api, field, value):
    response = api.post(URL, {"name": "Acme", field: value}, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Vendor.objects.exists()


def test_filters_by_name_number_and_search(api, tenant, make_vendor):
    make_vendor(tenant, name="Prusament")
    polymaker = make_vendor(tenant, name="Polymaker")

    assert [row["name"] for row in api.get(URL, {"name": "Polymaker"}).json()["results"]] == ["Polymaker"]
    assert [row["name"] for row in api.get(URL, {"number": polymaker.number}).json()["results"]] == ["Polymaker"]
    assert [row["name"] for row in api.get(URL, {"search": "prusa"}).json()["results"]] == ["Prusament"]
    assert [row["name"] for row in api.get(URL).json()["results"]] == ["Polymaker", "Prusament"]


def test_a_member_may_not_delete_a_vendor(api, tenant, make_vendor):
    vendor = make_vendor(tenant)

    assert api.delete(detail(vendor)).status_code == 403
    assert Vendor.objects.filter(pk=vendor.pk).exists()


def test_deleting_a_vendor_keeps_its_materials_without_a_vendor(manager_api, tenant, make_vendor, make_material):
    vendor = make_vendor(tenant, name="Gone")
    material = make_material(tenant, vendor=vendor)

    response = manager_api.delete(detail(vendor))

    assert response.status_code == 204
    assert not Vendor.objects.filter(pk=vendor.pk).exists()
    material.refresh_from_db()
    assert material.vendor is None
    assert manager_api.get(material_detail(material)).json()["brand"] == ""
    event = Event.objects.get(type="vendor.deleted")
    assert (event.resource_id, event.payload["name"]) == (vendor.pk, "Gone")


def test_another_tenants_vendor_is_404_and_not_listed(other_api, tenant, make_vendor):
    vendor = make_vendor(tenant)

    assert other_api.get(detail(vendor)).status_code == 404
    assert other_api.patch(detail(vendor), {"name": "Mine"}).status_code == 404
    assert other_api.get(URL).json()["results"] == []


# A material's vendor


def test_a_new_brand_creates_its_vendor(api, tenant):
    response = api.post(MATERIALS, {"name": "PLA", "kind": "PLA", "brand": "Eryone"})

    assert response.status_code == 201
    vendor = Vendor.objects.get(name="Eryone")
    assert (response.json()["brand"], response.json()["vendor"]) == ("Eryone", str(vendor.pk))
    assert [event.type for event in Event.objects.order_by("id")] == ["vendor.created", "material.created"]


def test_a_known_brand_names_its_one_vendor(api, tenant, make_vendor):
    vendor = make_vendor(tenant, name="Eryone")

    response = api.post(MATERIALS, {"name": "PLA", "kind": "PLA", "brand": "Eryone"})

    assert response.status_code == 201
    assert response.json()["vendor"] == str(vendor.pk)
    assert Vendor.objects.count() == 1


def test_a_brand_two_vendors_share_is_400_and_nothing_written(api, tenant, make_vendor):
    make_vendor(tenant, name="John")
    make_vendor(tenant, name="John")

    response = api.post(MATERIALS, {"name": "PLA", "kind": "PLA", "brand": "John"})

    assert response.status_code == 400
    assert response.json()["code"] == "ambiguous_vendor"
    assert "vendor" in response.json()["detail"]
    assert not Material.objects.exists()


def test_a_vendor_by_id_or_number_and_its_name_as_brand(api, tenant, make_vendor):
    make_vendor(tenant, name="John")
    john = make_vendor(tenant, name="John")

    by_id = api.post(MATERIALS, {"name": "A", "kind": "PLA", "vendor": str(john.pk)})
    by_number = api.post(MATERIALS, {"name": "B", "kind": "PLA", "vendor": john.number, "brand": "John"}, format="json")

    assert (by_id.status_code, by_number.status_code) == (201, 201)
    assert {by_id.json()["vendor"], by_number.json()["vendor"]} == {str(john.pk)}
    assert by_id.json()["brand"] == "John"


def test_a_brand_that_is_not_the_vendor_s_name_is_400(api, tenant, make_vendor):
    vendor = make_vendor(tenant, name="Acme")

    response = api.post(MATERIALS, {"name": "A", "kind": "PLA", "vendor": str(vendor.pk), "brand": "Other"})

    assert response.status_code == 400
    assert not Material.objects.exists()
    assert not Vendor.objects.filter(name="Other").exists()


def test_another_tenants_vendor_is_400(other_api, tenant, make_vendor):
    vendor = make_vendor(tenant)

    response = other_api.post(MATERIALS, {"name": "A", "kind": "PLA", "vendor": str(vendor.pk)})

    assert response.status_code == 400
    assert "vendor" in response.json()
    assert not Material.objects.exists()


def test_a_patch_of_brand_moves_the_material_and_an_empty_one_clears_it(api, tenant, make_material):
    material = make_material(tenant, brand="Acme")

    moved = api.patch(material_detail(material), {"brand": "Bolt"})
    cleared = api.patch(material_detail(material), {"brand": ""})

    assert (moved.status_code, moved.json()["brand"]) == (200, "Bolt")
    assert (cleared.json()["brand"], cleared.json()["vendor"]) == ("", None)
    assert Vendor.objects.filter(name="Bolt").exists()


def test_materials_filter_by_vendor_and_brand(api, tenant, make_material):
    acme = make_material(tenant, name="A", brand="Acme")
    make_material(tenant, name="B", brand="Bolt")

    for query in ({"vendor": str(acme.vendor_id)}, {"vendor": acme.vendor.number}, {"brand": "Acme"}):
        assert [row["name"] for row in api.get(MATERIALS, query).json()["results"]] == ["A"], query


def test_spoolman_s_filament_fields_are_stored_and_shown(api, tenant):
    body = {
        "name": "PLA",
        "kind": "PLA",
        "material_name": "PLA+",
        "price": "24.99",
        "weight_g": "1000",
        "spool_weight_g": "250",
        "article_number": "ART-1",
        "settings_extruder_temp": 210,
        "settings_bed_temp": 60,
        "multi_color_hexes": "FF0000,00FF00",
        "multi_color_direction": "coaxial",
        "external_id": "ext-1",
        "extra": {"nozzle": '"0.4"'},
    }

    response = api.post(MATERIALS, body, format="json")

    assert response.status_code == 201, response.json()
    material = Material.objects.get(pk=response.json()["id"])
    assert (material.material_name, material.price, material.weight_g) == ("PLA+", Decimal("24.99"), Decimal("1000"))
    assert (material.settings_extruder_temp, material.extra) == (210, {"nozzle": '"0.4"'})
    assert response.json()["spool_weight_g"] == "250.00"
