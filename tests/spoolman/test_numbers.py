"""Spools and materials carry a per-tenant number (Spoolman's integer id), shown and accepted wherever an id is."""

import pytest

from inventory.services import delete_spool

pytestmark = pytest.mark.django_db


def test_numbers_count_per_tenant_from_one(tenant, other_tenant, make_spool, make_material):
    first, second = make_spool(tenant), make_spool(tenant)
    theirs = make_spool(other_tenant)

    assert (first.number, second.number) == (1, 2)
    assert theirs.number == 1
    assert [first.material.number, second.material.number, theirs.material.number] == [1, 2, 1]


def test_a_deleted_spools_number_is_never_handed_out_again(tenant, make_spool):
    make_spool(tenant)
    last = make_spool(tenant)
    delete_spool(spool=last)

    assert make_spool(tenant).number == 3


def test_the_api_shows_and_filters_by_number(api, tenant, make_spool):
    make_spool(tenant)
    second = make_spool(tenant)

    listed = api.get("/api/v1/spools/", {"number": 2}).json()
    assert [row["id"] for row in listed["results"]] == [str(second.pk)]
    assert listed["results"][0]["number"] == 2
    assert api.get(f"/api/v1/materials/{second.material.pk}/").json()["number"] == second.material.number


def test_a_run_names_its_spool_by_number(api, tenant, make_spool, make_product):
    spool = make_spool(tenant, code="PLA-7")
    product = make_product(tenant, material_kind="")
    body = {
        "items": [{"product": product.sku, "quantity": 1}],
        "materials": [{"spool": spool.number, "estimated_model_g": "5"}],
    }

    response = api.post("/api/v1/production-runs/", body, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["materials"][0]["spool"] == str(spool.pk)
    assert api.get("/api/v1/inventory-transactions/", {"spool": str(spool.number)}).json()["count"] == 1


def test_a_spool_coded_like_a_number_wins_over_that_number(api, tenant, make_spool):
    numbered_two = make_spool(tenant, code="A")
    coded_two = make_spool(tenant, code="2")
    assert numbered_two.number == 1 and coded_two.number == 2
    third = make_spool(tenant, code="1")  # number 3, coded like spool 1's number

    found = api.get("/api/v1/inventory-transactions/", {"spool": "1"}).json()["results"]

    assert {row["spool"] for row in found} == {str(third.pk)}
