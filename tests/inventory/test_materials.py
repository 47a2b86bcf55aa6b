"""Materials: CRUD, validation, filters and protected deletes through the API."""

import pytest

from inventory.models import Material

URL = "/api/v1/materials/"

VALID = {
    "name": "PLA Basic",
    "brand": "Bambu",
    "kind": "PLA",
    "color_name": "Jade White",
    "color_hex": "#F0EEE9",
    "density_g_cm3": "1.240",
    "notes": "Matte",
}


def detail(material):
    return f"{URL}{material.pk}/"


def test_member_creates_material_with_defaults(api, tenant):
    response = api.post(URL, VALID)

    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "PLA Basic"
    assert body["kind"] == "PLA"
    assert body["color_hex"] == "#F0EEE9"
    assert body["diameter_mm"] == "1.75"
    assert body["density_g_cm3"] == "1.240"
    material = Material.objects.get(pk=body["id"])
    assert material.tenant == tenant


def test_material_read_only_fields_in_body_are_ignored(api):
    response = api.post(URL, {**VALID, "id": "00000000-0000-0000-0000-000000000001", "created_at": "2001-01-01"})

    assert response.status_code == 201
    assert response.json()["id"] != "00000000-0000-0000-0000-000000000001"
    assert not response.json()["created_at"].startswith("2001")


def test_material_detail_returns_the_record(api, tenant, make_material):
    material = make_material(tenant, name="PETG HF", kind="PETG")

    response = api.get(detail(material))

    assert response.status_code == 200
    assert response.json()["id"] == str(material.pk)
    assert response.json()["kind"] == "PETG"


def test_put_replaces_material(api, tenant, make_material):
    material = make_material(tenant)

    response = api.put(detail(material), {**VALID, "name": "ASA", "kind": "ASA", "color_hex": "#000000"})

    assert response.status_code == 200
    material.refresh_from_db()
    assert (material.name, material.kind, material.color_hex) == ("ASA", "ASA", "#000000")


def test_put_without_required_fields_is_400(api, tenant, make_material):
    material = make_material(tenant, name="Kept")

    response = api.put(detail(material), {"brand": "Other"})

    assert response.status_code == 400
    assert {"name", "kind"} <= set(response.json())
    material.refresh_from_db()
    assert (material.name, material.vendor_name) == ("Kept", "Acme")


def test_patch_changes_only_given_fields(api, tenant, make_material):
    material = make_material(tenant, brand="Prusament")

    response = api.patch(detail(material), {"color_hex": "#00ff00"})

    assert response.status_code == 200
    material.refresh_from_db()
    assert material.color_hex == "#00ff00"
    assert material.vendor_name == "Prusament"


@pytest.mark.parametrize("color_hex", ["red", "#FFF", "FF0000", "#GG0000", "#FF00000", "#FF 000"])
def test_bad_hex_colour_is_rejected_and_nothing_written(api, color_hex):
    response = api.post(URL, {**VALID, "color_hex": color_hex})

    assert response.status_code == 400
    assert "color_hex" in response.json()
    assert not Material.objects.exists()


def test_bad_hex_colour_on_patch_changes_nothing(api, tenant, make_material):
    material = make_material(tenant, color_hex="#FF0000")

    response = api.patch(detail(material), {"color_hex": "#12345"})

    assert response.status_code == 400
    assert "color_hex" in response.json()
    material.refresh_from_db()
    assert material.color_hex == "#FF0000"


@pytest.mark.parametrize("kind", ["WOOD", "pla", "", None])
def test_unknown_kind_is_rejected_and_nothing_written(api, kind):
    response = api.post(URL, {**VALID, "kind": kind})

    assert response.status_code == 400
    assert "kind" in response.json()
    assert not Material.objects.exists()


def test_missing_name_is_rejected(api):
    response = api.post(URL, {key: value for key, value in VALID.items() if key != "name"})

    assert response.status_code == 400
    assert "name" in response.json()
    assert not Material.objects.exists()


@pytest.mark.parametrize(("field", "value"), [("diameter_mm", "0"), ("diameter_mm", "-1.75"), ("density_g_cm3", "-1")])
def test_non_positive_dimensions_are_rejected(api, field, value):
    response = api.post(URL, {**VALID, field: value})

    assert response.status_code == 400
    assert field in response.json()
    assert not Material.objects.exists()


def test_kind_filter_and_invalid_kind_filter(api, tenant, make_material):
    make_material(tenant, name="A", kind="PLA")
    petg = make_material(tenant, name="B", kind="PETG")

    response = api.get(URL, {"kind": "PETG"})
    assert [row["id"] for row in response.json()["results"]] == [str(petg.pk)]

    response = api.get(URL, {"kind": "WOOD"})
    assert response.status_code == 400
    assert "kind" in response.json()


def test_search_matches_name_brand_and_colour(api, tenant, make_material):
    make_material(tenant, name="Silk", brand="Eryone", color_name="Gold")
    make_material(tenant, name="Basic", brand="Bambu", color_name="Black")

    for term in ("silk", "ERYONE", "gold"):
        names = [row["name"] for row in api.get(URL, {"search": term}).json()["results"]]
        assert names == ["Silk"], term


def test_materials_are_ordered_by_name_by_default_and_on_request(api, tenant, make_material):
    for name in ("Beta", "Alpha", "Gamma"):
        make_material(tenant, name=name)

    assert [row["name"] for row in api.get(URL).json()["results"]] == ["Alpha", "Beta", "Gamma"]
    assert [row["name"] for row in api.get(URL, {"ordering": "-name"}).json()["results"]] == ["Gamma", "Beta", "Alpha"]


def test_admin_deletes_unused_material(manager_api, tenant, make_material):
    material = make_material(tenant)

    response = manager_api.delete(detail(material))

    assert response.status_code == 204
    assert not Material.objects.filter(pk=material.pk).exists()


def test_deleting_material_used_by_a_spool_is_409_protected(manager_api, tenant, make_material, make_spool):
    material = make_material(tenant)
    make_spool(tenant, material)

    response = manager_api.delete(detail(material))

    assert response.status_code == 409
    assert response.json()["code"] == "protected"
    assert "spools" in response.json()["detail"]
    assert Material.objects.filter(pk=material.pk).exists()
