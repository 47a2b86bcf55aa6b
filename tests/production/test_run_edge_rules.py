"""Rules settled where the contract is silent (see the README's "Choices" section)."""

from decimal import Decimal

import pytest
from django.utils import timezone

RUNS = "/api/v1/production-runs/"


def test_completion_fills_the_missing_count_with_what_the_other_leaves(api, tenant, make_run):
    run = make_run(tenant)
    item = run.items.get()

    response = api.post(
        f"{RUNS}{run.pk}/complete/",
        {"use_estimates": True, "items": [{"id": str(item.pk), "failed_quantity": 3}]},
        format="json",
    )

    assert response.status_code == 200, response.data
    assert (response.data["items"][0]["successful_quantity"], response.data["items"][0]["failed_quantity"]) == (7, 3)


def test_null_started_at_on_create_means_now(api, tenant, make_product):
    before = timezone.now()

    response = api.post(
        RUNS, {"started_at": None, "items": [{"product": str(make_product(tenant).pk), "quantity": 1}]}, format="json"
    )

    assert response.status_code == 201, response.data
    assert response.data["started_at"] >= before.isoformat().replace("+00:00", "Z")


def test_started_at_cannot_be_cleared_on_update(api, tenant, make_run):
    run = make_run(tenant)

    response = api.patch(f"{RUNS}{run.pk}/", {"started_at": None}, format="json")

    assert response.status_code == 400
    assert "started_at" in response.data


@pytest.mark.parametrize(("path", "field"), [("items", "quantity"), ("materials", "spool_code")])
def test_run_children_lists_take_an_ordering(api, tenant, make_run, make_product, make_spool, path, field):
    run = make_run(
        tenant,
        items=[{"product": make_product(tenant), "quantity": q} for q in (2, 9, 5)],
        materials=[{"spool": make_spool(tenant, code=c), "estimated_model_g": Decimal("1")} for c in "BCA"],
    )

    response = api.get(f"{RUNS}{run.pk}/{path}/", {"ordering": f"-{field}"})

    assert response.status_code == 200, response.data
    values = [row[field] for row in response.data["results"]]
    assert values == sorted(values, reverse=True)


def test_run_children_lists_refuse_an_unknown_ordering(api, tenant, make_run):
    run = make_run(tenant)

    response = api.get(f"{RUNS}{run.pk}/items/", {"ordering": "tenant"})

    assert response.status_code == 400
    assert "ordering" in response.data
