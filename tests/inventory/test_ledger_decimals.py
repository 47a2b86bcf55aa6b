"""Ledger rows must balance for any gram value, also where the database does decimal arithmetic in floats (SQLite)."""

from decimal import Decimal

from inventory.models import InventoryTransaction


def test_spool_adjustments_of_any_cents_keep_the_ledger_balanced(manager_api, tenant, make_spool):
    spool = make_spool(tenant)
    # 988.53 - 0.20 is not 988.33 in binary floating point: SQLite's CHECK used to refuse that row.
    for delta in ("-11.37", "-0.10", "-0.20", "-7.77"):
        response = manager_api.post(f"/api/v1/spools/{spool.pk}/adjust/", {"type": "waste", "delta_g": delta})
        assert response.status_code == 200, response.data

    spool.refresh_from_db()
    assert spool.current_weight_g == Decimal("980.56")
    rows = InventoryTransaction.objects.filter(spool=spool).order_by("sequence")
    assert [row.weight_after_g for row in rows] == [
        Decimal(v) for v in ("1000.00", "988.63", "988.53", "988.33", "980.56")
    ]
