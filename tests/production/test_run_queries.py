"""Query budgets: list, detail and `complete/` cost a fixed number of queries whatever the size."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from production.services import RunChanges, update_run
from tests.support.queries import row_security_statements, write_savepoint_statements

pytestmark = pytest.mark.django_db

# The budgets, so a regression shows as a changed number and not only as a difference.
# Every request with a tenant also pays for its row-security transaction on PostgreSQL
# (`row_security_statements`: one `set_config` in production). For a write that same first
# round trip also bounds its lock waits and statements and makes its foreign keys checked by
# each statement (core.locking.write_start_sql): no statement of its own for them any more.
# list: membership, count, runs, items (with products), materials (with spools and materials).
LIST_QUERIES = 5 + row_security_statements()
# The list's `product` and `spool` filters each look their value up once.
FILTERED_LIST_QUERIES = LIST_QUERIES + 2
# detail: membership, run, items, materials.
DETAIL_QUERIES = 4 + row_security_statements()
# complete (17): get_object (the run alone); savepoint, lock run, items, materials; the grams the
# run's printer already reported (`printer_use` rows, so none is charged twice); lock spools,
# insert ledger rows, update spools (no savepoint of their own inside an API write:
# core.locking.write_step); update items, update materials, update run, insert the history row;
# one insert for the events (the spools' `spool.updated` and the run's `run.completed`, whose
# payload, built from the rows already loaded, is also the response: the run is not read again),
# and the check for the tenant's active webhooks (inside the transaction, events.services); release.
# Plus the write's own savepoint and its release on SQLite (`write_savepoint_statements`; on
# PostgreSQL the write is the request's transaction). On PostgreSQL, the request's row-security statements:
# the write's bounds ride in the request's first round trip, cover every lock, and check each
# statement's constraints at once (core.locking.api_write_transaction).
COMPLETE_QUERIES = 17 + write_savepoint_statements() + row_security_statements()
# history: membership, the path's run, count, events (with their users).
HISTORY_QUERIES = 4 + row_security_statements()
# fail: the same steps as complete.
FAIL_QUERIES = COMPLETE_QUERIES
# reopen: membership; get_object (1); savepoint, lock run, the rows to reverse; savepoint, lock
# spools, insert reversals, update spools, release; update run, insert the history row, release;
# the two lock wait bounds; the write's savepoint (SQLite) and its lock wait bound, as above. (15
# before the run history's insert.) Then the events: the run's items and materials for the
# payload of `run.reopened` (2), and one insert for it and the spools' `spool.updated` rows; the
# payload is the response, which no longer reads the run, its items and materials again (3); the
# check for the tenant's active webhooks, inside the transaction (+1).
REOPEN_QUERIES = 15 + write_savepoint_statements() + row_security_statements()


def count_queries(call):
    with CaptureQueriesContext(connection) as captured:
        response = call()
    return response, len(captured)


@pytest.fixture
def catalog(tenant, make_spool, make_product):
    spools = [make_spool(tenant, initial_weight_g=Decimal("10000.00")) for _ in range(6)]
    products = [make_product(tenant) for _ in range(3)]
    return spools, products


@pytest.fixture
def make_full_run(tenant, member, make_run, catalog):
    """A run with 3 items and `materials` materials (spools are shared between runs)."""
    spools, products = catalog

    def make(materials=2):
        return make_run(
            tenant,
            user=member,
            items=[{"product": product, "quantity": 2} for product in products],
            materials=[{"spool": spool, "estimated_model_g": Decimal("10.00")} for spool in spools[:materials]],
        )

    return make


def test_list_costs_the_same_at_1_and_50_runs(api, make_full_run):
    make_full_run()
    one, at_one = count_queries(lambda: api.get("/api/v1/production-runs/", {"page_size": 100}))
    for _ in range(49):
        make_full_run()

    fifty, at_fifty = count_queries(lambda: api.get("/api/v1/production-runs/", {"page_size": 100}))

    assert one.status_code == fifty.status_code == 200
    assert len(one.json()["results"]) == 1
    assert len(fifty.json()["results"]) == 50
    assert all(len(run["items"]) == 3 and len(run["materials"]) == 2 for run in fifty.json()["results"])
    assert at_one == at_fifty
    assert at_fifty == LIST_QUERIES


def test_list_with_filters_keeps_its_budget(api, make_full_run, catalog, django_assert_num_queries):
    for _ in range(5):
        make_full_run()
    spools, products = catalog

    with django_assert_num_queries(FILTERED_LIST_QUERIES):
        response = api.get(
            "/api/v1/production-runs/",
            {"status": "in_progress", "spool": str(spools[0].pk), "product": str(products[0].pk), "search": "ACME"},
        )

    assert response.status_code == 200
    assert response.json()["count"] == 5


def test_detail_costs_the_same_with_1_and_6_materials(api, make_full_run):
    small, large = make_full_run(materials=1), make_full_run(materials=6)

    one, at_one = count_queries(lambda: api.get(f"/api/v1/production-runs/{small.pk}/"))
    six, at_six = count_queries(lambda: api.get(f"/api/v1/production-runs/{large.pk}/"))

    assert one.status_code == six.status_code == 200
    assert len(six.json()["materials"]) == 6
    assert at_one == at_six
    assert at_six == DETAIL_QUERIES


def test_complete_costs_the_same_with_1_and_6_materials(api, make_full_run):
    small, large = make_full_run(materials=1), make_full_run(materials=6)

    def complete(run):
        return lambda: api.post(f"/api/v1/production-runs/{run.pk}/complete/", {"use_estimates": True}, format="json")

    one, at_one = count_queries(complete(small))
    six, at_six = count_queries(complete(large))

    assert one.status_code == six.status_code == 200
    assert len(six.json()["materials"]) == 6
    assert at_one == at_six
    assert at_six == COMPLETE_QUERIES


def test_reopen_and_fail_cost_the_same_with_1_and_6_materials(api, manager_api, make_full_run):
    small, large = make_full_run(materials=1), make_full_run(materials=6)
    counts = {}
    for run in (small, large):
        _, counts[run, "complete"] = count_queries(
            lambda run=run: api.post(
                f"/api/v1/production-runs/{run.pk}/complete/", {"use_estimates": True}, format="json"
            )
        )
        reopened, counts[run, "reopen"] = count_queries(
            lambda run=run: manager_api.post(f"/api/v1/production-runs/{run.pk}/reopen/")
        )
        assert reopened.status_code == 200, reopened.content
        body = {
            "failure_reason": "other",
            "materials": [{"id": str(m.pk), "actual_model_g": "1.00"} for m in run.materials.all()],
        }
        failed, counts[run, "fail"] = count_queries(
            lambda run=run, body=body: api.post(f"/api/v1/production-runs/{run.pk}/fail/", body, format="json")
        )
        assert failed.status_code == 200, failed.content

    assert counts[small, "reopen"] == counts[large, "reopen"] == REOPEN_QUERIES
    assert counts[small, "fail"] == counts[large, "fail"] == FAIL_QUERIES


def test_history_costs_the_same_with_1_and_30_events_by_distinct_users(api, tenant, make_member, make_full_run):
    run = make_full_run()
    url = f"/api/v1/production-runs/{run.pk}/history/"
    one, at_one = count_queries(lambda: api.get(url, {"page_size": 100}))
    for n in range(29):
        update_run(run=run, user=make_member(tenant, "member", f"editor-{n}"), changes=RunChanges(notes=f"n{n}"))

    thirty, at_thirty = count_queries(lambda: api.get(url, {"page_size": 100}))

    assert one.status_code == thirty.status_code == 200
    assert len(thirty.json()["results"]) == 30
    assert at_one == at_thirty == HISTORY_QUERIES
