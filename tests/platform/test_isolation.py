"""Another tenant's record does not exist for this request: 404 at its path, 400 in a body or filter."""

import pytest

from inventory.models import Spool
from production.models import ProductionRun


@pytest.fixture
def foreign_printer(other_tenant, make_printer):
    return make_printer(other_tenant, name="Their printer", model="X1C")


@pytest.fixture
def foreign_material(other_tenant, make_material):
    return make_material(other_tenant, name="Their PLA")


def test_foreign_record_is_404_at_its_path(api, foreign_printer):
    url = f"/api/v1/printers/{foreign_printer.id}/"

    assert api.get(url).status_code == 404
    assert api.patch(url, {"model": "hacked"}).status_code == 404
    assert api.put(url, {"name": "hacked"}).status_code == 404


def test_foreign_record_cannot_be_deleted(manager_api, foreign_printer):
    assert manager_api.delete(f"/api/v1/printers/{foreign_printer.id}/").status_code == 404
    foreign_printer.refresh_from_db()
    assert (foreign_printer.name, foreign_printer.model) == ("Their printer", "X1C")


def test_foreign_record_is_absent_from_lists(api, tenant, make_printer, foreign_printer):
    own = make_printer(tenant)

    ids = [row["id"] for row in api.get("/api/v1/printers/").json()["results"]]

    assert ids == [str(own.id)]


def test_foreign_nested_run_is_404(api, other_tenant, make_run):
    run = make_run(other_tenant)

    assert api.get(f"/api/v1/production-runs/{run.id}/").status_code == 404
    assert api.get(f"/api/v1/production-runs/{run.id}/items/").status_code == 404
    assert api.get(f"/api/v1/production-runs/{run.id}/materials/").status_code == 404


def test_foreign_key_in_body_is_400(api, foreign_material):
    response = api.post(
        "/api/v1/spools/", {"code": "SP-X", "material": str(foreign_material.id), "initial_weight_g": "1000.00"}
    )

    assert response.status_code == 400
    assert "material" in response.json()
    assert not Spool.objects.exists()


def test_foreign_key_in_update_body_is_400(api, tenant, make_spool, foreign_material):
    spool = make_spool(tenant)

    response = api.patch(f"/api/v1/spools/{spool.id}/", {"material": str(foreign_material.id)})

    assert response.status_code == 400
    assert "material" in response.json()
    spool.refresh_from_db()
    assert spool.material.tenant_id == tenant.id


def test_foreign_id_as_filter_value_is_400(api, tenant, make_spool, foreign_material):
    make_spool(tenant)

    response = api.get("/api/v1/spools/", {"material": str(foreign_material.id)})

    assert response.status_code == 400
    assert "material" in response.json()


def test_own_id_as_filter_value_filters(api, tenant, make_spool, make_material):
    wanted = make_spool(tenant)
    make_spool(tenant, make_material(tenant, name="Other"))

    response = api.get("/api/v1/spools/", {"material": str(wanted.material_id)})

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [str(wanted.id)]


def test_foreign_printer_on_a_run_is_400(api, tenant, make_product, foreign_printer):
    product = make_product(tenant)

    response = api.post(
        "/api/v1/production-runs/",
        {"printer": str(foreign_printer.id), "items": [{"product": str(product.id), "quantity": 1}]},
    )

    assert response.status_code == 400
    assert "printer" in response.json()
    assert not ProductionRun.all_objects.exists()
