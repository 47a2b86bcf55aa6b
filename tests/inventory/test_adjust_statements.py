"""`adjust/`, the benchmark's write, in the fewest statements: the spool is read once, locked by that read."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import Spool
from tests.support.queries import row_security_statements, write_savepoint_statements

pytestmark = pytest.mark.django_db

# membership; the write's savepoint and its release (`write_savepoint_statements`); the spool,
# read and locked in one statement that also answers whether the tenant has an active webhook
# (inventory.views `spool_of_id`); the ledger row; the weight; its event (`spool.adjusted`).
# On PostgreSQL, the request's row-security transaction, whose first statement also starts the
# write (its lock and statement bounds, `SET CONSTRAINTS ALL IMMEDIATE`). (Before: the spool
# read, then locked by a second read after a savepoint and a second lock bound, then read a
# third time after the release, and a deferred constraint check at the end: 17 statements under
# the tests before the event's insert, then 10.)
ADJUST_QUERIES = 5 + write_savepoint_statements() + row_security_statements()


def adjust(api, spool, **headers):
    with CaptureQueriesContext(connection) as captured:
        response = api.post(
            f"/api/v1/spools/{spool.pk}/adjust/", {"type": "count", "new_weight_g": "900"}, format="json", **headers
        )
    assert response.status_code == 200, response.content
    return response, [query["sql"] for query in captured.captured_queries]


def test_an_adjustment_costs_a_fixed_number_of_statements(manager_api, tenant, make_spool):
    response, statements = adjust(manager_api, make_spool(tenant))

    assert len(statements) == ADJUST_QUERIES, statements
    assert response.json()["current_weight_g"] == "900.00"


def test_an_adjustment_reads_its_spool_once_and_locks_it_with_that_read(manager_api, tenant, make_spool):
    _, statements = adjust(manager_api, make_spool(tenant))

    spool_reads = [sql for sql in statements if sql.startswith("SELECT") and 'FROM "inventory_spool"' in sql]
    assert len(spool_reads) == 1, spool_reads
    if connection.features.has_select_for_update:
        assert "FOR UPDATE" in spool_reads[0]


@pytest.mark.parametrize("delta", ["-0.5", "-100", "12.25"])
def test_an_adjustment_answers_the_spool_as_stored(manager_api, tenant, make_spool, delta):
    """The answer is built from the locked row as written, not read again: the same as a later GET."""
    spool = make_spool(tenant, initial_weight_g=Decimal("1000"))

    response = manager_api.post(
        f"/api/v1/spools/{spool.pk}/adjust/", {"type": "waste", "delta_g": delta}, format="json"
    )

    assert response.status_code == 200, response.content
    stored = Spool.objects.get(pk=spool.pk)
    assert stored.current_weight_g == Decimal("1000") + Decimal(delta)
    assert response.json() == manager_api.get(f"/api/v1/spools/{spool.pk}/").json()


def test_an_adjustment_without_an_idempotency_key_does_no_idempotency_work(manager_api, tenant, make_spool):
    _, statements = adjust(manager_api, make_spool(tenant))
    _, keyed = adjust(manager_api, make_spool(tenant), HTTP_IDEMPOTENCY_KEY="adjust-once")

    assert not [sql for sql in statements if "idempotency" in sql.lower()]
    assert [sql for sql in keyed if "idempotency" in sql.lower()]
