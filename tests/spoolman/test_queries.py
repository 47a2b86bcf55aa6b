"""The Spoolman-compatible API reads and writes in a fixed number of queries, whatever the number of spools."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.support.queries import lock_wait_bounds, row_security_statements

pytestmark = pytest.mark.django_db

# The key (1); the spools with their material and first/last use (1), their count (1), the vendors (1).
SPOOL_LIST_QUERIES = 4 + row_security_statements()
# The key; the spool; the service's savepoint (2 with its release; a request without a key has no
# savepoint of its own, core.writes); the printer's in-progress run using the spool; lock the spool;
# store the use carried below a cent (`unbooked_use_g`); the ledger writer's lock (with the material,
# for the events' payload; no savepoint inside an API write, core.locking.write_step), insert the row,
# update the spool; insert the events, check the tenant's active webhooks; the answer: the spool, the
# vendors (14). Plus the write's
# transaction (savepoint, release), its one round trip of bounds (which cover every lock) and the
# row-security statements (PostgreSQL).
USE_QUERIES = 14 + 2 + lock_wait_bounds(1) + row_security_statements()


def count(call):
    with CaptureQueriesContext(connection) as captured:
        response = call()
    assert response.status_code == 200, response.content
    return len(captured)


def test_the_spool_list_costs_the_same_with_1_and_8_spools(spoolman, tenant, make_spool, make_material):
    make_spool(tenant)
    one = count(lambda: spoolman.get("spool"))
    for n in range(7):
        make_spool(tenant, make_material(tenant, brand=f"Brand {n}"))

    assert count(lambda: spoolman.get("spool")) == one == SPOOL_LIST_QUERIES


def test_a_use_report_costs_a_fixed_number_of_queries(spoolman, spool):
    assert count(lambda: spoolman.put(f"spool/{spool.number}/use", {"use_weight": Decimal("1.505")})) == USE_QUERIES
