"""The statements the hot paths send, counted as in production: no test transaction around the request.

Counted are the statements Django executes (what `CaptureQueriesContext` sees) besides the request
transaction's BEGIN and COMMIT, which come on top of each (asserted once each): the convention of
the issue's "15 + 2". A request with a
tenant on PostgreSQL runs in its row-security transaction (tenants/row_security.py), whose first
statement, for a write, also sets the write's bounds (core.locking.write_start_sql); a write in it
is no savepoint of its own where its API needs none.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken
from rest_framework.test import APIClient

from inventory.models import InventoryTransaction, TransactionType
from tests.conftest import postgres_only

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]

# A printer's `PUT spool/{n}/use` (issue 17's budget: at most 6): the key, whose row enters its
# tenant's row security, with the role and the write's bounds in its message (spoolman.api.enter_key);
# the spool, locked, in one statement with its material, the material line of the printer's
# in-progress run (its run locked first), the spool's use dates, its vendor and whether the tenant
# has webhooks; the ledger row; the spool's weight and carried use; the events. The answer is built
# from the rows in hand.
USE_STATEMENTS = 5
# A printer's `GET spool/{n}`: the key, which enters its tenant; the spool with its material and vendor.
SPOOLMAN_DETAIL_STATEMENTS = 2
# With an active webhook, the dispatch task's row, in the same transaction (events.services).
USE_STATEMENTS_WITH_WEBHOOKS = USE_STATEMENTS + 1
# The REST API's spool detail: token, user, membership and tenant read and the tenant's row security
# entered in one message (tenants/resolution.py `enter_in_one_round_trip`); the spool with its material.
SPOOL_DETAIL_STATEMENTS = 2
# `adjust/`: the token's message, with the row security and the write's bounds; the spool, read and locked
# once, with whether the tenant has an active webhook; the ledger row; the weight; the event. No savepoint:
# the request's transaction holds the write alone and a JSON refusal runs no query (core.api.writes).
ADJUST_STATEMENTS = 5


TRANSACTION_CONTROL = {"BEGIN", "COMMIT"}


def captured(call):
    """The statements `call()` sent, BEGIN and COMMIT aside (one each: the request's one transaction)."""
    with CaptureQueriesContext(connection) as queries:
        response = call()
    assert response.status_code == 200, response.content
    statements = [query["sql"] for query in queries.captured_queries]
    assert [sql for sql in statements if sql in TRANSACTION_CONTROL] == ["BEGIN", "COMMIT"], statements
    return [sql for sql in statements if sql not in TRANSACTION_CONTROL]


@pytest.fixture
def attributed_run(tenant, make_run, printer, spool):
    """An in-progress run on the key's printer that uses the spool: reports during it are its material's."""
    return make_run(tenant, printer=printer, materials=[{"spool": spool, "estimated_model_g": Decimal("100.00")}])


def test_a_printer_s_use_is_five_statements_with_its_ledger_row_its_event_and_its_run(spoolman, spool, attributed_run):
    statements = captured(lambda: spoolman.put(f"spool/{spool.number}/use", {"use_weight": 2.5}))

    assert len(statements) == USE_STATEMENTS, statements
    key, read, ledger, weight, events = statements
    assert '"spoolman_integrationkey"' in key and "set_config('app.tenant_id'" in key
    assert "set_config('role'" in key and "lock_timeout" in key
    assert read.startswith("SELECT") and '"inventory_spool"' in read and '"production_productionrun"' in read
    assert read.endswith('FOR UPDATE OF "inventory_spool"') and read.count("FOR UPDATE") > 1  # the run's first
    assert [sql for sql in statements if 'FROM "inventory_spool"' in sql] == [read]  # read once (it was four times)
    assert ledger.startswith('INSERT INTO "inventory_inventorytransaction"')
    assert weight.startswith('UPDATE "inventory_spool"') and '"unbooked_use_g"' in weight
    assert events.startswith('INSERT INTO "events_event"')
    (row,) = InventoryTransaction.objects.filter(spool=spool, type=TransactionType.PRINTER_USE)
    assert (row.production_run_id, row.weight_change_g) == (attributed_run.pk, Decimal("-2.50"))


def test_a_printer_s_use_answers_the_spool_as_a_later_read_shows_it(spoolman, spool, attributed_run):
    used = spoolman.put(f"spool/{spool.number}/use", {"use_weight": 2.5})

    assert used.json() == spoolman.get(f"spool/{spool.number}").json()
    assert used.json()["remaining_weight"] == 997.5


def test_with_an_active_webhook_a_printer_s_use_also_enqueues_its_dispatch(spoolman, spool, tenant, make_webhook):
    make_webhook(tenant)

    statements = captured(lambda: spoolman.put(f"spool/{spool.number}/use", {"use_weight": 2.5}))

    assert len(statements) == USE_STATEMENTS_WITH_WEBHOOKS, statements
    assert [sql for sql in statements if sql.startswith("INSERT") and "dbtaskresult" in sql]


def test_a_printer_s_spool_detail_is_two_statements(spoolman, spool):
    statements = captured(lambda: spoolman.get(f"spool/{spool.number}"))

    assert len(statements) == SPOOLMAN_DETAIL_STATEMENTS, statements
    key, read = statements
    assert '"spoolman_integrationkey"' in key and "set_config('app.tenant_id'" in key and "lock_timeout" not in key
    assert 'FROM "inventory_spool"' in read and '"inventory_vendor"' in read


@pytest.fixture
def rest(tenant, make_member):
    """An owner's REST client as deployed ones are: a token and `X-Tenant`."""
    client = APIClient()
    token = AuthToken.objects.create(user=make_member(tenant, "owner"))[1]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}", HTTP_X_TENANT=tenant.slug)
    return client


def test_the_rest_spool_detail_is_two_statements(rest, spool):
    statements = captured(lambda: rest.get(f"/api/v1/spools/{spool.pk}/"))

    assert len(statements) == SPOOL_DETAIL_STATEMENTS, statements


def test_a_rest_adjustment_is_five_statements(rest, spool):
    statements = captured(
        lambda: rest.post(f"/api/v1/spools/{spool.pk}/adjust/", {"type": "count", "new_weight_g": "900"}, format="json")
    )

    assert len(statements) == ADJUST_STATEMENTS, statements
    spool_reads = [sql for sql in statements if sql.startswith("SELECT") and 'FROM "inventory_spool"' in sql]
    assert len(spool_reads) == 1 and "FOR UPDATE" in spool_reads[0]
    assert not [sql for sql in statements if sql.startswith('SELECT "events_webhook"')], statements
    assert '"events_webhook"' in spool_reads[0]  # the tenant's webhooks asked by the locked read


def test_with_an_active_webhook_a_rest_adjustment_also_enqueues_its_dispatch(rest, spool, tenant, make_webhook):
    make_webhook(tenant)
    statements = captured(
        lambda: rest.post(f"/api/v1/spools/{spool.pk}/adjust/", {"type": "count", "new_weight_g": "900"}, format="json")
    )

    assert len(statements) == ADJUST_STATEMENTS + 1, statements
    assert not [sql for sql in statements if sql.startswith('SELECT "events_webhook"')], statements
    assert [sql for sql in statements if sql.startswith("INSERT") and "dbtaskresult" in sql]
