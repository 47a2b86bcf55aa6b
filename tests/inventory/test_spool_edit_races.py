"""Editing a spool's own fields never writes back a weight read before another request moved it.

The "other request" runs deterministically between the edit's read of the spool and its
write, by wrapping the read (`get_object`) of the API view or of the admin.
"""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from inventory.admin import SpoolAdmin
from inventory.models import InventoryTransaction, Spool
from inventory.services import Adjustment, adjust_spool, delete_spool, record_movement
from inventory.views import SpoolViewSet
from tests.support.clients import browser_for


@pytest.fixture
def spool(tenant, make_spool):
    return make_spool(tenant, code="RACE-1", location="Shelf A")


def take_50_g_after_reading(get_object):
    """`get_object`, then a concurrent request takes 50 g from the spool it read."""

    def read_then_concurrent_waste(*args, **kwargs):
        read = get_object(*args, **kwargs)
        adjust_spool(
            spool=Spool.objects.get(pk=read.pk), user=None, adjustment=Adjustment(type="waste", delta_g=Decimal("-50"))
        )
        return read

    return read_then_concurrent_waste


def assert_weight_and_chain_kept(spool):
    spool.refresh_from_db()
    assert spool.current_weight_g == Decimal("950.00")
    assert spool.ledger_version == 2
    # The chain goes on: a next movement gets the next place, not a clash with the waste row's.
    record_movement(spool=spool, type="adjustment", user=None, change_g=Decimal("-1"))
    assert spool.current_weight_g == Decimal("949.00")


@pytest.mark.parametrize("method", ["patch", "put"])
def test_spool_edit_keeps_a_weight_moved_meanwhile(api, spool, monkeypatch, method):
    monkeypatch.setattr(SpoolViewSet, "get_object", take_50_g_after_reading(SpoolViewSet.get_object))
    body = {"location": "Shelf B"}
    if method == "put":
        body.update(code=spool.code, material=str(spool.material_id))

    response = getattr(api, method)(f"/api/v1/spools/{spool.pk}/", body)

    assert response.status_code == 200
    assert response.json()["location"] == "Shelf B"
    assert response.json()["current_weight_g"] == "950.00"
    assert_weight_and_chain_kept(spool)
    assert Spool.objects.get(pk=spool.pk).location == "Shelf B"


def test_admin_spool_edit_keeps_a_weight_moved_meanwhile(db, spool, monkeypatch):
    staff = browser_for(get_user_model().objects.create_superuser("root", "root@example.com", "x"))
    monkeypatch.setattr(SpoolAdmin, "get_object", take_50_g_after_reading(SpoolAdmin.get_object))

    response = staff.post(
        f"/admin/inventory/spool/{spool.pk}/change/",
        {
            "code": spool.code,
            "material": str(spool.material_id),
            "purchase_price": "25.00",
            "location": "Shelf B",
            "is_active": "on",
            "transactions-TOTAL_FORMS": "0",
            "transactions-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    assert_weight_and_chain_kept(spool)
    assert Spool.objects.get(pk=spool.pk).location == "Shelf B"


# `adjust/` is not here: its view locks the spool on the read that finds it (core.locking.lock_on_read),
# so no delete can come between its read and its lock (tests/inventory/test_adjust_statements.py).
@pytest.mark.parametrize(("method", "path", "body"), [("patch", "", {"location": "Shelf B"})])
def test_changing_a_spool_deleted_meanwhile_is_a_404(manager_api, spool, monkeypatch, method, path, body):
    get_object = SpoolViewSet.get_object
    deleted = []

    def read_then_concurrent_delete(view):
        read = get_object(view)
        delete_spool(spool=Spool.objects.get(pk=read.pk))
        deleted.append(read.pk)
        return read

    monkeypatch.setattr(SpoolViewSet, "get_object", read_then_concurrent_delete)
    ledger = list(InventoryTransaction.objects.values_list("pk", flat=True))

    response = getattr(manager_api, method)(f"/api/v1/spools/{spool.pk}/{path}", body)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert deleted == [spool.pk]
    # In a test the simulated concurrent delete runs inside this request's write transaction
    # (core.api.writes), which the refusal rolls back: the spool is back as it was, and the
    # refused change wrote nothing.
    stored = Spool.objects.get(pk=spool.pk)
    assert (stored.current_weight_g, stored.location) == (spool.current_weight_g, spool.location)
    assert list(InventoryTransaction.objects.values_list("pk", flat=True)) == ledger
