"""Role permissions on real tenant-owned endpoints: viewer reads, member writes, admin/owner delete."""

import pytest
from rest_framework.test import APIClient

from inventory.models import Material
from production.models import Printer

MATERIAL = {"name": "PETG Basic", "brand": "Acme", "kind": "PETG", "color_name": "Blue", "color_hex": "#0000FF"}


@pytest.fixture
def printer(tenant, make_printer):
    return make_printer(tenant, name="Bambu 1")


@pytest.fixture
def material(tenant, make_material):
    return make_material(tenant)


def test_viewer_can_read(viewer_api, printer, material):
    assert viewer_api.get("/api/v1/printers/").status_code == 200
    assert viewer_api.get(f"/api/v1/printers/{printer.id}/").status_code == 200
    assert viewer_api.get("/api/v1/materials/").status_code == 200
    assert viewer_api.get(f"/api/v1/materials/{material.id}/").status_code == 200


def test_viewer_cannot_create_printer(viewer_api):
    response = viewer_api.post("/api/v1/printers/", {"name": "New"})

    assert response.status_code == 403
    assert not Printer.objects.exists()


def test_viewer_cannot_update_or_delete_printer(viewer_api, printer):
    assert viewer_api.patch(f"/api/v1/printers/{printer.id}/", {"name": "Renamed"}).status_code == 403
    assert viewer_api.put(f"/api/v1/printers/{printer.id}/", {"name": "Renamed"}).status_code == 403
    assert viewer_api.delete(f"/api/v1/printers/{printer.id}/").status_code == 403
    printer.refresh_from_db()
    assert printer.name == "Bambu 1"


def test_viewer_cannot_write_materials(viewer_api, material):
    assert viewer_api.post("/api/v1/materials/", MATERIAL).status_code == 403
    assert viewer_api.patch(f"/api/v1/materials/{material.id}/", {"name": "X"}).status_code == 403
    assert viewer_api.delete(f"/api/v1/materials/{material.id}/").status_code == 403
    assert list(Material.objects.values_list("name", flat=True)) == ["PLA Basic"]


def test_member_can_create_and_update(api, tenant):
    created = api.post("/api/v1/printers/", {"name": "New", "model": "X1C"})
    assert created.status_code == 201

    updated = api.patch(f"/api/v1/printers/{created.json()['id']}/", {"model": "P1S"})
    assert updated.status_code == 200
    assert Printer.objects.get(tenant=tenant).model == "P1S"

    assert api.post("/api/v1/materials/", MATERIAL).status_code == 201


def test_member_cannot_delete(api, printer, material):
    assert api.delete(f"/api/v1/printers/{printer.id}/").status_code == 403
    assert api.delete(f"/api/v1/materials/{material.id}/").status_code == 403
    assert Printer.objects.filter(pk=printer.pk).exists()
    assert Material.objects.filter(pk=material.pk).exists()


@pytest.mark.parametrize("manager", ["manager_api", "owner_api"])
def test_admin_and_owner_can_delete(request, manager, printer, material):
    client = request.getfixturevalue(manager)

    assert client.delete(f"/api/v1/printers/{printer.id}/").status_code == 204
    assert client.delete(f"/api/v1/materials/{material.id}/").status_code == 204
    assert not Printer.objects.exists()
    assert not Material.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_unauthenticated_is_401(method, tenant, printer):
    response = getattr(APIClient(), method)("/api/v1/printers/", HTTP_X_TENANT="acme")

    assert response.status_code == 401
    assert Printer.objects.count() == 1
