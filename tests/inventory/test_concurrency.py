"""Concurrent adjustments of one spool lose no update (PostgreSQL row locks; SQLite serializes writers)."""

import itertools
import threading
from decimal import Decimal

import pytest
from django.db import connection

from inventory.models import InventoryTransaction, Spool
from inventory.services import Adjustment, adjust_spool
from tests.conftest import client_for, postgres_only

THREADS = 20


def run_together(work):
    """Run `work(i)` in THREADS threads released at once; return what each returned or raised."""
    barrier = threading.Barrier(THREADS)
    outcomes = [None] * THREADS

    def worker(i):
        try:
            barrier.wait(timeout=30)
            outcomes[i] = work(i)
        except Exception as exc:  # reported to the test, which fails on it
            outcomes[i] = exc
        finally:
            connection.close()  # each thread has its own connection; leave none open for teardown

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def assert_twenty_grams_lower(spool):
    spool.refresh_from_db()
    assert spool.current_weight_g == Decimal("980.00")
    rows = list(InventoryTransaction.objects.filter(spool=spool).order_by("sequence"))
    assert len(rows) == 1 + THREADS
    assert [row.sequence for row in rows] == list(range(1, THREADS + 2))
    for previous, row in itertools.pairwise(rows):
        assert row.weight_before_g == previous.weight_after_g
        assert row.weight_change_g == Decimal("-1.00")
    assert sum(row.weight_change_g for row in rows) == spool.current_weight_g


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

    outcomes = run_together(adjust)

    assert [o for o in outcomes if isinstance(o, Exception)] == []
    assert_twenty_grams_lower(spool)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_api_adjustments_end_twenty_grams_lower(tenant, make_spool, make_member):
    spool = make_spool(tenant, initial_weight_g=Decimal("1000.00"))
    clients = [client_for(make_member(tenant, "admin", f"admin-{i}"), tenant) for i in range(THREADS)]
    url = f"/api/v1/spools/{spool.pk}/adjust/"

    outcomes = run_together(lambda i: clients[i].post(url, {"type": "waste", "delta_g": "-1"}).status_code)

    assert outcomes == [200] * THREADS
    assert_twenty_grams_lower(spool)
