"""Exactly-once completion, no lost spool updates, collision-free run numbers: real threads on PostgreSQL.

Each thread has its own APIClient and its own database connection (Django opens one
per thread) and closes it at the end; a Barrier releases all requests at once.
"""

import datetime
from decimal import Decimal
from unittest import mock

import pytest

from inventory.models import InventoryTransaction
from production.models import ProductionRun
from tests.conftest import client_for, postgres_only
from tests.support.ledger import assert_ledger_balances
from tests.support.threads import run_together

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]

JOIN_TIMEOUT = 120
MOMENT = datetime.datetime(2024, 7, 1, 12, 0, tzinfo=datetime.UTC)


def test_concurrent_completions_of_one_run_succeed_exactly_once(tenant, member, make_run, make_spool):
    spool = make_spool(tenant)
    run = make_run(tenant, user=member, materials=[{"spool": spool, "estimated_model_g": Decimal("100.00")}])
    clients = [client_for(member, tenant) for _ in range(16)]

    def complete(i):
        response = clients[i].post(
            f"/api/v1/production-runs/{run.pk}/complete/", {"use_estimates": True}, format="json"
        )
        return response.status_code, response.json()

    results = run_together(16, complete)

    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [409] * 15
    assert {body["code"] for status, body in results if status == 409} == {"invalid_transition"}
    (row,) = InventoryTransaction.objects.filter(production_run=run)
    assert row.type == "usage"
    assert row.weight_change_g == Decimal("-100.00")
    rows = assert_ledger_balances(spool)
    assert len(rows) == 2
    assert spool.current_weight_g == Decimal("900.00")
    assert ProductionRun.objects.get(pk=run.pk).status == "completed"


def test_concurrent_completions_sharing_a_spool_lose_no_update(tenant, member, make_run, make_spool, make_product):
    spool = make_spool(tenant, initial_weight_g=Decimal("5000.00"))
    product = make_product(tenant)
    runs = [
        make_run(
            tenant,
            user=member,
            items=[{"product": product, "quantity": 1}],
            materials=[{"spool": spool, "estimated_model_g": Decimal("10.00")}],
        )
        for _ in range(20)
    ]
    actuals = [Decimal("10.00") + Decimal("0.25") * i for i in range(20)]
    clients = [client_for(member, tenant) for _ in range(20)]

    def complete(i):
        run = runs[i]
        material_id = str(run.materials.get().pk)
        response = clients[i].post(
            f"/api/v1/production-runs/{run.pk}/complete/",
            {"materials": [{"id": material_id, "actual_model_g": str(actuals[i])}]},
            format="json",
        )
        return response.status_code

    assert run_together(20, complete) == [200] * 20

    spool.refresh_from_db()
    assert spool.current_weight_g == Decimal("5000.00") - sum(actuals, Decimal("0"))
    usage = InventoryTransaction.objects.filter(spool=spool, type="usage")
    assert usage.count() == 20
    assert sorted(-row.weight_change_g for row in usage) == actuals
    assert len(assert_ledger_balances(spool)) == 21


def test_concurrent_creates_get_distinct_consecutive_run_numbers(tenant, member):
    clients = [client_for(member, tenant) for _ in range(30)]

    def create(i):
        response = clients[i].post("/api/v1/production-runs/", {"notes": f"run {i}"}, format="json")
        return response.status_code, response.json().get("run_number")

    # One frozen moment, so all 30 fall on one day whenever the test runs.
    with mock.patch("production.services.runs.timezone.now", return_value=MOMENT):
        results = run_together(30, create)

    assert [status for status, _ in results] == [201] * 30
    numbers = [number for _, number in results]
    assert len(set(numbers)) == 30
    assert sorted(numbers) == [f"ACME-20240701-{n:03d}" for n in range(1, 31)]
    assert ProductionRun.objects.filter(tenant=tenant).count() == 30
