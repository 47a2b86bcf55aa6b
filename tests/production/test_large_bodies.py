"""Huge bodies are refused cheaply: list lengths are capped before any lookup, and references resolve in bulk."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from production.models import MAX_ITEMS_PER_BODY, MAX_MATERIALS_PER_BODY, ProductionRun

pytestmark = pytest.mark.django_db

RUNS = "/api/v1/production-runs/"


def count_queries(call, table=None):
    """The response, and how many queries it cost (only those that read `table`, when named)."""
    with CaptureQueriesContext(connection) as captured:
        response = call()
    reads = [query for query in captured if table is None or f'FROM "{table}"' in query["sql"]]
    return response, len(reads)


def test_a_run_with_more_items_than_a_body_may_list_is_refused_without_a_lookup(api, tenant, make_product):
    product = make_product(tenant)
    body = {"items": [{"product": str(product.pk), "quantity": 1}] * (MAX_ITEMS_PER_BODY * 50)}

    response, queries = count_queries(lambda: api.post(RUNS, body, format="json"))
    _, queries_of_a_malformed_list = count_queries(lambda: api.post(RUNS, {"items": "none"}, format="json"))

    assert response.status_code == 400
    assert "items" in response.json()
    assert queries == queries_of_a_malformed_list  # nothing per item
    assert not ProductionRun.objects.exists()


def test_a_run_with_more_materials_than_a_body_may_list_is_refused(api, tenant, make_spool):
    spool = make_spool(tenant)
    body = {"materials": [{"spool": str(spool.pk), "estimated_model_g": "1.00"}] * (MAX_MATERIALS_PER_BODY + 1)}

    response = api.post(RUNS, body, format="json")

    assert response.status_code == 400
    assert "materials" in response.json()


def test_completion_bodies_are_capped_too(api, tenant, make_run):
    run = make_run(tenant)
    body = {"items": [{"id": str(run.items.get().pk)}] * (MAX_ITEMS_PER_BODY + 1)}

    response = api.post(f"{RUNS}{run.pk}/complete/", body, format="json")

    assert response.status_code == 400
    assert "items" in response.json()
    run.refresh_from_db()
    assert run.status == "in_progress"


def test_a_body_resolves_its_products_and_spools_in_one_query_each(api, tenant, make_product, make_spool):
    products = [make_product(tenant, material_kind="") for _ in range(5)]
    spools = [make_spool(tenant, initial_weight_g=Decimal("5000.00")) for _ in range(10)]

    body = {
        "items": [{"product": str(products[i % 5].pk), "quantity": 1} for i in range(MAX_ITEMS_PER_BODY)],
        "materials": [{"spool": str(spool.pk), "estimated_model_g": "1.00"} for spool in spools],
    }

    response, product_reads = count_queries(lambda: api.post(RUNS, body, format="json"), "production_product")
    _, spool_reads = count_queries(lambda: api.post(RUNS, body, format="json"), "inventory_spool")

    assert response.status_code == 201, response.content
    assert product_reads == 1
    assert spool_reads == 2  # the body's spools, then the same ones locked by the service


def test_an_unknown_or_malformed_id_in_a_list_is_still_a_400_on_that_row(api, tenant, make_product, other_tenant):
    product = make_product(tenant)
    foreign = make_product(other_tenant)
    body = {
        "items": [
            {"product": str(product.pk), "quantity": 1},
            {"product": str(foreign.pk), "quantity": 1},
            {"product": "not-a-uuid", "quantity": 1},
        ]
    }

    response = api.post(RUNS, body, format="json")

    assert response.status_code == 400
    errors = response.json()["items"]  # by the index of each refused row
    assert set(errors) == {"1", "2"}
    assert set(errors["1"]) == set(errors["2"]) == {"product"}
    assert not ProductionRun.objects.exists()
