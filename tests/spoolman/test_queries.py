"""The Spoolman-compatible API reads and writes in a fixed number of queries, whatever the number of spools."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.support.queries import key_request_statements

pytestmark = pytest.mark.django_db

# The key, which enters its tenant (key_request_statements); the spools with their material and its
# vendor joined, their use dates stored (1). Without a `limit` the rows read are the total: no COUNT
# (spoolman.query.page).
SPOOL_LIST_QUERIES = 1 + key_request_statements()
# The key, which enters its tenant, with the write's bounds in its message; the spool, read once and
# locked, with its material, the run it is attributed to (locked first), its use dates, its vendor and
# whether the tenant has webhooks; the ledger row; the spool's weight and carried use; the events (4).
# The write has no savepoint of its own (production: 5 statements, see test_statement_budgets.py).
# Before: 15 + 2. On SQLite the write is its own transaction (a savepoint and its release under the test's).
USE_QUERIES = 4 + key_request_statements() + (0 if connection.vendor == "postgresql" else 2)


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
