"""Tenant isolation and role permissions on every catalog and inventory endpoint."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from inventory.models import InventoryTransaction, Material, Spool, Vendor
from production.models import Printer, Product
from tests.conftest import client_for


@pytest.fixture
def resources(make_vendor, make_material, make_spool, make_product, make_printer):
    """Per resource: its list URL, a factory of a record in a tenant, a valid create body, and a valid patch."""
    counter = iter(range(1, 1000))

    def spool_body(tenant):
        return {"code": f"NEW-{next(counter)}", "material": str(make_material(tenant).pk), "initial_weight_g": "500"}

    return {
        "vendors": ("/api/v1/vendors/", make_vendor, lambda tenant: {"name": "Polymaker"}, {"comment": "Changed"}),
        "materials": (
            "/api/v1/materials/",
            make_material,
            lambda tenant: {"name": "PETG", "kind": "PETG"},
            {"name": "Renamed"},
        ),
        "spools": ("/api/v1/spools/", make_spool, spool_body, {"location": "Elsewhere"}),
        "products": (
            "/api/v1/products/",
            make_product,
            lambda tenant: {"sku": f"NEW-{next(counter)}", "name": "New"},
            {"name": "Renamed"},
        ),
        "printers": (
            "/api/v1/printers/",
            make_printer,
            lambda tenant: {"name": f"New {next(counter)}"},
            {"notes": "Changed"},
        ),
    }


MODELS = {"vendors": Vendor, "materials": Material, "spools": Spool, "products": Product, "printers": Printer}
resource_names = pytest.mark.parametrize("name", list(MODELS))


@pytest.fixture
def other_manager_api(other_tenant, make_member):
    """An admin of the other tenant: roles never stand between it and a 404."""
    return client_for(make_member(other_tenant, "admin", "admin-globex"), other_tenant)


def snapshot(model):
    return sorted((str(row["id"]), tuple(sorted(row.items()))) for row in model.objects.values())


# Isolation


@resource_names
def test_other_tenant_gets_404_on_every_record_method(resources, other_manager_api, tenant, name):
    url, make, create_body, patch = resources[name]
    record = make(tenant)
    before = snapshot(MODELS[name])
    detail = f"{url}{record.pk}/"

    assert other_manager_api.get(detail).status_code == 404
    assert other_manager_api.patch(detail, patch).status_code == 404
    assert other_manager_api.put(detail, {**create_body(tenant), **patch}).status_code == 404
    assert other_manager_api.delete(detail).status_code == 404

    assert snapshot(MODELS[name]) == before


@resource_names
def test_other_tenant_list_does_not_show_records(resources, other_manager_api, tenant, other_tenant, name):
    url, make, _, _ = resources[name]
    make(tenant)
    theirs = make(other_tenant)

    rows = other_manager_api.get(url).json()["results"]

    assert [row["id"] for row in rows] == [str(theirs.pk)]


def test_other_tenant_gets_404_on_ledger_rows_and_sees_none(other_manager_api, tenant, make_spool):
    spool = make_spool(tenant)
    row = spool.transactions.get()

    assert other_manager_api.get(f"/api/v1/inventory-transactions/{row.pk}/").status_code == 404
    assert other_manager_api.get("/api/v1/inventory-transactions/").json()["count"] == 0


def test_other_tenant_gets_404_on_adjust_and_nothing_moves(other_manager_api, tenant, make_spool):
    spool = make_spool(tenant)

    response = other_manager_api.post(f"/api/v1/spools/{spool.pk}/adjust/", {"type": "waste", "delta_g": "-10"})

    assert response.status_code == 404
    spool.refresh_from_db()
    assert spool.current_weight_g == Decimal("1000.00")
    assert spool.transactions.count() == 1


def test_naming_another_tenants_material_in_a_new_spool_is_400(other_api, tenant, make_material):
    material = make_material(tenant)

    response = other_api.post(
        "/api/v1/spools/", {"code": "MINE", "material": str(material.pk), "initial_weight_g": "1"}
    )

    assert response.status_code == 400
    assert "material" in response.json()
    assert not Spool.objects.exists()
    assert not InventoryTransaction.objects.exists()


def test_naming_another_tenants_material_in_a_spool_update_is_400(
    other_api, tenant, other_tenant, make_material, make_spool
):
    foreign = make_material(tenant)
    spool = make_spool(other_tenant)
    url = f"/api/v1/spools/{spool.pk}/"

    patch = other_api.patch(url, {"material": str(foreign.pk)})
    put = other_api.put(url, {"code": spool.code, "material": str(foreign.pk)})

    assert (patch.status_code, put.status_code) == (400, 400)
    assert "material" in patch.json()
    spool.refresh_from_db()
    assert spool.material.tenant == other_tenant


@pytest.mark.parametrize(
    ("url", "parameter", "record"),
    [
        ("/api/v1/spools/", "material", "material"),
        ("/api/v1/inventory-transactions/", "spool", "spool"),
        ("/api/v1/inventory-transactions/", "production_run", "run"),
    ],
)
def test_naming_another_tenants_record_in_a_filter_is_400(other_api, tenant, make_run, url, parameter, record):
    run = make_run(tenant)
    spool = run.materials.get().spool
    records = {"material": spool.material, "spool": spool, "run": run}

    response = other_api.get(url, {parameter: str(records[record].pk)})

    assert response.status_code == 400
    assert parameter in response.json()


# Roles


@resource_names
def test_viewer_gets_403_on_every_write(resources, viewer_api, tenant, name):
    url, make, create_body, patch = resources[name]
    record = make(tenant)
    body = create_body(tenant)
    before = snapshot(MODELS[name])
    detail = f"{url}{record.pk}/"

    assert viewer_api.post(url, body).status_code == 403
    assert viewer_api.put(detail, {**body, **patch}).status_code == 403
    assert viewer_api.patch(detail, patch).status_code == 403
    assert viewer_api.delete(detail).status_code == 403

    assert snapshot(MODELS[name]) == before


@resource_names
def test_viewer_may_read(resources, viewer_api, tenant, name):
    url, make, _, _ = resources[name]
    record = make(tenant)

    assert viewer_api.get(url).json()["count"] == 1
    assert viewer_api.get(f"{url}{record.pk}/").status_code == 200


def test_viewer_gets_403_on_adjust(viewer_api, tenant, make_spool):
    spool = make_spool(tenant)

    response = viewer_api.post(f"/api/v1/spools/{spool.pk}/adjust/", {"type": "waste", "delta_g": "-10"})

    assert response.status_code == 403
    assert spool.transactions.count() == 1


def test_viewer_may_read_the_ledger_but_not_write_it(viewer_api, tenant, make_spool):
    row = make_spool(tenant).transactions.get()

    assert viewer_api.get(f"/api/v1/inventory-transactions/{row.pk}/").status_code == 200
    assert viewer_api.post("/api/v1/inventory-transactions/", {}).status_code in (403, 405)
    assert viewer_api.delete(f"/api/v1/inventory-transactions/{row.pk}/").status_code in (403, 405)
    assert InventoryTransaction.objects.count() == 1


@resource_names
def test_member_may_create_and_update(resources, api, tenant, name):
    url, make, create_body, patch = resources[name]
    record = make(tenant)

    assert api.post(url, create_body(tenant)).status_code == 201
    assert api.patch(f"{url}{record.pk}/", patch).status_code == 200


@resource_names
def test_member_gets_403_on_delete(resources, api, tenant, name):
    url, make, _, _ = resources[name]
    record = make(tenant)

    response = api.delete(f"{url}{record.pk}/")

    assert response.status_code == 403
    assert MODELS[name].objects.filter(pk=record.pk).exists()


def test_member_gets_403_on_adjust(api, tenant, make_spool):
    spool = make_spool(tenant)

    response = api.post(f"/api/v1/spools/{spool.pk}/adjust/", {"type": "count", "new_weight_g": "1"})

    assert response.status_code == 403
    spool.refresh_from_db()
    assert spool.current_weight_g == Decimal("1000.00")
    assert spool.transactions.count() == 1


@pytest.mark.parametrize("role", ["admin", "owner"])
@resource_names
def test_admin_and_owner_may_delete(resources, make_member, tenant, role, name):
    url, make, _, _ = resources[name]
    record = make(tenant)
    client = client_for(make_member(tenant, role), tenant)

    assert client.delete(f"{url}{record.pk}/").status_code == 204
    assert not MODELS[name].objects.filter(pk=record.pk).exists()


@pytest.mark.parametrize("role", ["admin", "owner"])
def test_admin_and_owner_may_adjust(make_member, tenant, make_spool, role):
    spool = make_spool(tenant)
    client = client_for(make_member(tenant, role), tenant)

    response = client.post(f"/api/v1/spools/{spool.pk}/adjust/", {"type": "count", "new_weight_g": "1"})

    assert response.status_code == 200
    assert spool.transactions.count() == 2


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/materials/",
        "/api/v1/spools/",
        "/api/v1/inventory-transactions/",
        "/api/v1/products/",
        "/api/v1/printers/",
    ],
)
def test_anonymous_gets_401(url):
    assert APIClient().get(url).status_code == 401
