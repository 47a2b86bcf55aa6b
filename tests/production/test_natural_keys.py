"""Bodies and filters name a product by sku, a spool by code and a printer by name, as well as by id."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from production.models import ProductionRun
from tests.production.test_run_queries import FILTERED_LIST_QUERIES

pytestmark = pytest.mark.django_db

RUNS = "/api/v1/production-runs/"


def reads_of(table, call):
    with CaptureQueriesContext(connection) as captured:
        response = call()
    return response, sum(f'FROM "{table}"' in query["sql"] for query in captured)


@pytest.fixture
def catalog(tenant, make_product, make_spool, make_printer):
    products = [make_product(tenant, sku=f"MUG-{n}", material_kind="") for n in range(2)]
    spools = [make_spool(tenant, code=f"PLA-{n}", initial_weight_g=Decimal("5000.00")) for n in range(2)]
    printer = make_printer(tenant, name="Prusa A")
    return products, spools, printer


def test_a_run_is_created_with_products_by_sku_spools_by_code_and_the_printer_by_name(api, catalog):
    products, spools, printer = catalog
    body = {
        "printer": "Prusa A",
        "items": [{"product": "MUG-0", "quantity": 2}, {"product": "MUG-1", "quantity": 3}],
        "materials": [{"spool": "PLA-0", "estimated_model_g": "10.00"}, {"spool": "PLA-1", "estimated_model_g": "5"}],
    }

    response = api.post(RUNS, body, format="json")

    assert response.status_code == 201, response.content
    run = response.json()
    # Responses keep the ids, beside the readable names.
    assert run["printer"] == str(printer.pk)
    assert run["printer_name"] == "Prusa A"
    assert [(i["product"], i["product_sku"]) for i in run["items"]] == [(str(p.pk), p.sku) for p in products]
    assert [(m["spool"], m["spool_code"]) for m in run["materials"]] == [(str(s.pk), s.code) for s in spools]


def test_ids_and_natural_keys_mix_in_one_body_and_resolve_in_one_query_per_field(api, catalog):
    products, spools, _ = catalog
    body = {
        "items": [{"product": "MUG-0", "quantity": 1}, {"product": str(products[1].pk), "quantity": 1}],
        "materials": [
            {"spool": str(spools[0].pk), "estimated_model_g": "1.00"},
            {"spool": "PLA-1", "estimated_model_g": "1.00"},
        ],
    }

    response, product_reads = reads_of("production_product", lambda: api.post(RUNS, body, format="json"))
    _, spool_reads = reads_of("inventory_spool", lambda: api.post(RUNS, body, format="json"))

    assert response.status_code == 201, response.content
    assert product_reads == 1
    assert spool_reads == 2  # the body's spools, then the same ones locked by the service


def test_another_tenants_sku_or_code_is_a_400_on_its_row(api, catalog, other_tenant, make_product, make_spool):
    make_product(other_tenant, sku="THEIRS")
    make_spool(other_tenant, code="THEIR-SPOOL")
    body = {
        "items": [{"product": "MUG-0", "quantity": 1}, {"product": "THEIRS", "quantity": 1}],
        "materials": [{"spool": "THEIR-SPOOL", "estimated_model_g": "1.00"}],
    }

    response = api.post(RUNS, body, format="json")

    assert response.status_code == 400
    errors = response.json()
    assert set(errors["items"]) == {"1"}
    assert "id or sku" in errors["items"]["1"]["product"][0]
    assert "id or code" in errors["materials"]["0"]["spool"][0]
    assert not ProductionRun.objects.exists()


def test_a_printer_of_another_tenant_named_alike_is_not_ours(api, catalog, other_tenant, make_printer):
    make_printer(other_tenant, name="Bambu X")

    response = api.post(RUNS, {"printer": "Bambu X"}, format="json")

    assert response.status_code == 400
    assert "printer" in response.json()


def test_a_runs_own_item_and_material_endpoints_take_natural_keys(api, tenant, catalog, make_run):
    products, spools, _ = catalog
    run = make_run(tenant, items=[], materials=[])

    item = api.post(f"{RUNS}{run.pk}/items/", {"product": "MUG-1", "quantity": 4}, format="json")
    material = api.post(f"{RUNS}{run.pk}/materials/", {"spool": "PLA-1", "estimated_model_g": "3"}, format="json")

    assert item.status_code == 201, item.content
    assert item.json()["product"] == str(products[1].pk)
    assert material.status_code == 201, material.content
    assert material.json()["spool"] == str(spools[1].pk)


def test_a_spool_names_its_material_by_id_only(api, make_material, tenant):
    material = make_material(tenant, name="Galaxy Black")
    body = {"code": "NEW-1", "initial_weight_g": "1000.00"}

    by_name = api.post("/api/v1/spools/", {**body, "material": "Galaxy Black"}, format="json")
    by_id = api.post("/api/v1/spools/", {**body, "material": str(material.pk)}, format="json")

    assert by_name.status_code == 400
    assert "material" in by_name.json()
    assert by_id.status_code == 201, by_id.content


@pytest.fixture
def runs(tenant, catalog, make_run):
    products, spools, printer = catalog
    grams = Decimal("1.00")
    first = make_run(
        tenant,
        printer=printer,
        items=[{"product": products[0], "quantity": 1}],
        materials=[{"spool": spools[0], "estimated_model_g": grams}],
    )
    second = make_run(
        tenant,
        items=[{"product": products[1], "quantity": 1}],
        materials=[{"spool": spools[1], "estimated_model_g": grams}],
    )
    return first, second


@pytest.mark.parametrize("parameter, value", [("product", "MUG-0"), ("spool", "PLA-0"), ("printer", "Prusa A")])
def test_runs_filter_by_natural_key(api, runs, parameter, value):
    response = api.get(RUNS, {parameter: value})

    assert response.status_code == 200, response.content
    assert [run["id"] for run in response.json()["results"]] == [str(runs[0].pk)]


@pytest.mark.parametrize("parameter, value", [("product", "THEIRS"), ("spool", "THEIR-SPOOL"), ("printer", "Theirs")])
def test_a_filter_naming_another_tenants_row_is_a_400(
    api, runs, other_tenant, make_product, make_spool, make_printer, parameter, value
):
    make_product(other_tenant, sku="THEIRS")
    make_spool(other_tenant, code="THEIR-SPOOL")
    make_printer(other_tenant, name="Theirs")

    response = api.get(RUNS, {parameter: value})

    assert response.status_code == 400
    assert parameter in response.json()


def test_filtering_by_natural_keys_keeps_the_list_budget(api, runs, django_assert_num_queries):
    with django_assert_num_queries(FILTERED_LIST_QUERIES):
        response = api.get(RUNS, {"status": "in_progress", "spool": "PLA-0", "product": "MUG-0"})

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_ledger_rows_filter_by_spool_code(api, runs, catalog):
    _, spools, _ = catalog

    response = api.get("/api/v1/inventory-transactions/", {"spool": "PLA-1"})

    assert response.status_code == 200
    rows = response.json()["results"]
    assert rows and {row["spool"] for row in rows} == {str(spools[1].pk)}


def test_spools_filter_their_material_by_id_only(api, tenant, make_spool):
    spool = make_spool(tenant)

    by_name = api.get("/api/v1/spools/", {"material": spool.material.name})
    by_id = api.get("/api/v1/spools/", {"material": str(spool.material_id)})

    assert by_name.status_code == 400
    assert by_id.json()["count"] == 1


@pytest.mark.parametrize("value", ["\x00", "P1\x00"])
def test_a_natural_key_with_a_nul_character_is_a_400_not_a_500(api, value):
    response = api.get("/api/v1/production-runs/", {"printer": value})

    assert response.status_code == 400
    assert "printer" in response.json()
