"""Concurrent adjustments of one spool lose no update (PostgreSQL row locks; SQLite serializes writers)."""

from decimal import Decimal

import pytest

from inventory.models import Spool
from inventory.services import Adjustment, adjust_spool
from tests.conftest import client_for, postgres_only
from tests.support.ledger import assert_ledger_balances
from tests.support.threads import run_together

THREADS = 20


def assert_twenty_grams_lower(spool):
    rows = assert_ledger_balances(spool)
    assert spool.current_weight_g == Decimal("980.00")
    assert len(rows) == 1 + THREADS
    assert [row.weight_change_g for row in rows[1:]] == [Decimal("-1.00")] * THREADS


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_service_adjustments_end_twenty_grams_lower(tenant, make_spool):
    spool = make_spool(tenant, initial_weight_g=Decimal("1000.00"))

    def adjust(i):
        # A fresh instance per thread, as a request would load it: the stale in-memory weight must not matter.
        return adjust_spool(
            spool=Spool.objects.get(pk=spool.pk),
            user=None,
            adjustment=Adjustment(type="waste", delta_g=Decimal("-1"), reason=f"t{i}"),
        )

    run_together(THREADS, adjust)  # re-raises the first error of any thread

    assert_twenty_grams_lower(spool)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_api_adjustments_end_twenty_grams_lower(tenant, make_spool, make_member):
    spool = make_spool(tenant, initial_weight_g=Decimal("1000.00"))
    clients = [client_for(make_member(tenant, "admin", f"admin-{i}"), tenant) for i in range(THREADS)]
    url = f"/api/v1/spools/{spool.pk}/adjust/"

    outcomes = run_together(THREADS, lambda i: clients[i].post(url, {"type": "waste", "delta_g": "-1"}).status_code)

    assert outcomes == [200] * THREADS
    assert_twenty_grams_lower(spool)
