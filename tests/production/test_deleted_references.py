"""A spool deleted by another request while a run names it: a 400 "does not exist", never a 500."""

from decimal import Decimal

import pytest
from django.db import connection

from inventory.models import InventoryTransaction, Spool
from production.models import ProductionRun, ProductionRunMaterial
from production.services import children, runs

pytestmark = pytest.mark.django_db

RUNS = "/api/v1/production-runs/"


def delete_right_after_validation(monkeypatch, spool):
    """The spool disappears after the body was validated and before the service writes (another request's delete)."""
    ensure_same_tenant = runs.ensure_same_tenant
    # The tenant guard is the services' first step: a run's and a child's.
    modules = (runs, children)

    def then_delete(*args, **kwargs):
        InventoryTransaction.objects.filter(spool=spool).delete()
        # Past the ORM's PROTECT collector, as another request's committed delete would be.
        Spool.objects.filter(pk=spool.pk)._raw_delete(connection.alias)
        for module in modules:
            monkeypatch.setattr(module, "ensure_same_tenant", ensure_same_tenant)
        return ensure_same_tenant(*args, **kwargs)

    for module in modules:
        monkeypatch.setattr(module, "ensure_same_tenant", then_delete)


def test_creating_a_run_with_a_spool_deleted_meanwhile_is_a_400_and_writes_nothing(
    api, tenant, make_spool, make_product, monkeypatch
):
    spool = make_spool(tenant, initial_weight_g=Decimal("500.00"))
    body = {
        "items": [{"product": str(make_product(tenant).pk), "quantity": 1}],
        "materials": [{"spool": str(spool.pk), "estimated_model_g": "10.00"}],
    }
    delete_right_after_validation(monkeypatch, spool)

    response = api.post(RUNS, body, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "does_not_exist"
    assert not ProductionRun.objects.exists()


def test_adding_a_material_whose_spool_was_deleted_meanwhile_is_a_400(api, tenant, make_run, make_spool, monkeypatch):
    run = make_run(tenant)
    spool = make_spool(tenant)
    delete_right_after_validation(monkeypatch, spool)

    response = api.post(
        f"{RUNS}{run.pk}/materials/", {"spool": str(spool.pk), "estimated_model_g": "1.00"}, format="json"
    )

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "does_not_exist"
    assert ProductionRunMaterial.objects.filter(run=run).count() == 1


def test_a_spool_a_run_now_uses_cannot_be_deleted(api, manager_api, tenant, make_spool, make_product):
    """The other order: the run was created first, so the delete finds the spool in use."""
    spool = make_spool(tenant)
    body = {
        "items": [{"product": str(make_product(tenant).pk), "quantity": 1}],
        "materials": [{"spool": str(spool.pk), "estimated_model_g": "10.00"}],
    }
    assert api.post(RUNS, body, format="json").status_code == 201

    response = manager_api.delete(f"/api/v1/spools/{spool.pk}/")

    assert (response.status_code, response.json()["code"]) == (409, "protected")
