"""Real database faults in the middle of a write (PostgreSQL): the backend killed, the database stuck.

Each fault is injected on the request's own connection by a hook on its SQL
(`connection.execute_wrapper`), at a statement of a stable table rather than inside a
service: after the ledger rows of `complete/` are inserted, after the run row of a
create is inserted, after the commit. There another connection ends the request's
backend with `pg_terminate_backend`, as an operator or the OOM killer would; or the
request runs a statement longer than its `statement_timeout` (a database that stopped
answering). Whatever the fault, the client gets a JSON 503 `database_unavailable` and
nothing is written, or, for a committed change, its outcome; a retry with the same
`Idempotency-Key` then gives exactly one outcome. The faults are tests/support/faults.py's;
tests/platform/test_write_faults.py kills the backend at every statement of every kind of write.
"""

import time
from decimal import Decimal

import psycopg
import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections
from rest_framework.renderers import JSONRenderer

from core.models import IdempotencyKey
from inventory.models import InventoryTransaction
from production.models import ProductionRun, ProductionRunItem, ProductionRunMaterial, RunNumberCounter
from tests.conftest import client_for, postgres_only
from tests.support.faults import (
    fault_at,
    insert_into,
    killed,
    killed_after_commit,
    next_request,
    pid_of_this_connection,
    terminate_backend,
    update_of,
)
from tests.support.ledger import assert_ledger_balances
from tests.support.threads import RowHeldByAnotherTransaction

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def spool(tenant, make_spool):
    return make_spool(tenant)


@pytest.fixture
def run(tenant, member, make_run, spool):
    return make_run(tenant, user=member, materials=[{"spool": spool, "estimated_model_g": Decimal("100.00")}])


@pytest.fixture
def client(member, tenant):
    """The member's client; a failure is answered, not raised, so that a 500 fails an assertion."""
    client = client_for(member, tenant)
    client.raise_request_exception = False
    return client


def run_body(product, spool):
    return {
        "items": [{"product": str(product.pk), "quantity": 2}],
        "materials": [{"spool": str(spool.pk), "estimated_model_g": "50.00"}],
    }


def assert_database_unavailable(response):
    assert response.status_code == 503, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "database_unavailable"
    assert int(response["Retry-After"]) > 0


# --- the backend terminated in the middle of complete/ ---------------------------------------------


def test_a_backend_killed_after_the_ledger_rows_of_complete_writes_nothing_and_answers_503(client, run, spool):
    url = f"/api/v1/production-runs/{run.pk}/complete/"
    request_pid = pid_of_this_connection()

    with fault_at(insert_into(InventoryTransaction), killed) as fired:
        response = client.post(url, {"use_estimates": True}, format="json", HTTP_IDEMPOTENCY_KEY="complete-1")

    assert fired == [request_pid]  # the request's own backend died, between its ledger insert and its commit
    assert_database_unavailable(response)
    next_request()
    assert pid_of_this_connection() != request_pid
    run.refresh_from_db()
    assert run.status == "in_progress"
    assert not InventoryTransaction.objects.filter(production_run=run).exists()
    assert not IdempotencyKey.objects.exists()
    assert len(assert_ledger_balances(spool)) == 1  # the purchase, nothing after it
    assert spool.current_weight_g == Decimal("1000.00")


def test_the_keyed_retry_of_a_complete_whose_backend_was_killed_completes_it_once(client, run, spool):
    url = f"/api/v1/production-runs/{run.pk}/complete/"
    with fault_at(insert_into(InventoryTransaction), killed):
        assert client.post(url, {"use_estimates": True}, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 503
    next_request()

    retried = client.post(url, {"use_estimates": True}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    replayed = client.post(url, {"use_estimates": True}, format="json", HTTP_IDEMPOTENCY_KEY="k")

    assert retried.status_code == 200, retried.content
    assert "Idempotent-Replayed" not in retried
    assert retried.json()["status"] == "completed"
    assert (replayed.status_code, replayed["Idempotent-Replayed"]) == (200, "true")
    assert replayed.json() == retried.json()
    (usage,) = InventoryTransaction.objects.filter(production_run=run)
    assert usage.weight_change_g == Decimal("-100.00")
    assert_ledger_balances(spool)
    assert spool.current_weight_g == Decimal("900.00")


def test_a_backend_killed_while_storing_the_key_of_complete_loses_the_completion_with_it(client, run, spool):
    # The last statement before the commit: the change and the response are written, the key not yet.
    url = f"/api/v1/production-runs/{run.pk}/complete/"

    with fault_at(update_of(IdempotencyKey), killed, after=False):
        response = client.post(url, {"use_estimates": True}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    next_request()

    assert_database_unavailable(response)
    run.refresh_from_db()
    assert run.status == "in_progress"
    assert not InventoryTransaction.objects.filter(production_run=run).exists()
    retried = client.post(url, {"use_estimates": True}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert retried.status_code == 200
    assert InventoryTransaction.objects.filter(production_run=run).count() == 1


# --- the backend terminated in the middle of a run's create ----------------------------------------


def test_a_backend_killed_after_the_run_row_of_a_create_leaves_no_run_and_no_run_number(
    client, tenant, make_product, spool
):
    body = run_body(make_product(tenant), spool)

    with fault_at(insert_into(ProductionRun), killed):
        response = client.post("/api/v1/production-runs/", body, format="json", HTTP_IDEMPOTENCY_KEY="create-1")
    next_request()

    assert_database_unavailable(response)
    assert not ProductionRun.all_objects.exists()
    assert not ProductionRunItem.objects.exists()
    assert not ProductionRunMaterial.objects.exists()
    # The day's counter was taken in the same transaction: a number is used only by a committed run.
    assert not RunNumberCounter.objects.exists()
    assert not IdempotencyKey.objects.exists()


def test_the_keyed_retry_of_a_create_whose_backend_was_killed_creates_exactly_one_run(
    client, tenant, make_product, spool
):
    body = run_body(make_product(tenant), spool)
    with fault_at(insert_into(ProductionRun), killed):
        assert client.post("/api/v1/production-runs/", body, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 503
    next_request()

    created = client.post("/api/v1/production-runs/", body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    replayed = client.post("/api/v1/production-runs/", body, format="json", HTTP_IDEMPOTENCY_KEY="k")

    assert created.status_code == 201, created.content
    assert created.json()["run_number"].endswith("-001")  # the killed request took no number
    assert (replayed.status_code, replayed["Idempotent-Replayed"]) == (201, "true")
    assert replayed.json() == created.json()
    (only,) = ProductionRun.objects.all()
    assert str(only.pk) == created.json()["id"]
    assert only.items.count() == only.materials.count() == 1


# --- the backend terminated after the commit, before the client has its answer ---------------------


def test_a_backend_killed_right_after_the_commit_of_complete_answers_the_committed_completion(client, run, spool):
    url = f"/api/v1/production-runs/{run.pk}/complete/"

    with fault_at(update_of(IdempotencyKey), killed_after_commit) as fired:
        response = client.post(url, {"use_estimates": True}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    next_request()

    # The response was built and stored before the commit: nothing after it needs the database.
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "completed"
    assert pid_of_this_connection() != fired[0]  # the backend did die
    retried = client.post(url, {"use_estimates": True}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert (retried.status_code, retried["Idempotent-Replayed"]) == (200, "true")
    assert retried.json() == response.json()
    assert InventoryTransaction.objects.filter(production_run=run).count() == 1
    assert_ledger_balances(spool)
    assert spool.current_weight_g == Decimal("900.00")


def test_a_create_whose_connection_dies_after_the_commit_answers_the_committed_run(
    client, tenant, make_product, spool, monkeypatch
):
    # The request's transaction commits once the response is rendered (tenants/row_security.py):
    # the renderer still has a live connection, and the client is told the committed outcome.
    # Dying while rendering, before that commit, is a 503 with nothing written
    # (tests/platform/test_row_security.py); the keyed retry learns the outcome either way.
    render = JSONRenderer.render

    def render_needing_the_database(self, *args, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return render(self, *args, **kwargs)

    monkeypatch.setattr(JSONRenderer, "render", render_needing_the_database)
    body = run_body(make_product(tenant), spool)

    with fault_at(update_of(IdempotencyKey), killed_after_commit):
        response = client.post("/api/v1/production-runs/", body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    next_request()
    monkeypatch.undo()

    assert response.status_code == 201, response.content
    retried = client.post("/api/v1/production-runs/", body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert (retried.status_code, retried["Idempotent-Replayed"]) == (201, "true")
    (only,) = ProductionRun.objects.all()
    assert response.json()["id"] == retried.json()["id"] == str(only.pk)


def test_a_complete_whose_commit_was_not_acknowledged_is_a_503_whose_keyed_retry_replays_the_completion(
    client, run, spool, monkeypatch
):
    # The one window no design closes: the COMMIT reached the server, its answer never reached the
    # app (the backend died in between). The client is told 503; the key then tells it the outcome.
    database = connections[DEFAULT_DB_ALIAS]
    commit = database._commit

    def commit_then_lose_the_acknowledgement():
        commit()
        terminate_backend(database.connection.info.backend_pid)
        with database.wrap_database_errors:
            raise psycopg.OperationalError("consuming input failed: server closed the connection unexpectedly")

    url = f"/api/v1/production-runs/{run.pk}/complete/"
    with monkeypatch.context() as patched:
        patched.setattr(database, "_commit", commit_then_lose_the_acknowledgement)
        response = client.post(url, {"use_estimates": True}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    next_request()

    assert_database_unavailable(response)
    run.refresh_from_db()
    assert run.status == "completed"  # committed: the 503 could not know
    retried = client.post(url, {"use_estimates": True}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert (retried.status_code, retried["Idempotent-Replayed"]) == (200, "true")
    assert retried.json()["status"] == "completed"
    assert InventoryTransaction.objects.filter(production_run=run).count() == 1
    assert_ledger_balances(spool)
    assert spool.current_weight_g == Decimal("900.00")


# --- the database stops answering during a request ------------------------------------------------


# Not simulated: a backend stopped by SIGSTOP. PostgreSQL enforces `statement_timeout` inside the
# backend (a timer signal), which a stopped process never handles, and libpq has no client-side
# query timeout; such a request is bounded only by the WSGI server's worker timeout.


def stuck(execute, context):
    """A statement that does not come back (a hung disk, a stuck backend): longer than any bound here."""
    execute("SELECT pg_sleep(60)", None, False, context)


@pytest.fixture
def short_statement_timeout(settings):
    # Short, yet long enough for the write's ordinary statements on a loaded machine.
    settings.LOCK_TIMEOUT_MS = 500  # below the statement bound, as in production
    settings.STATEMENT_TIMEOUT_MS = 2000
    return settings


def test_a_complete_whose_database_stops_answering_is_a_503_within_the_statement_timeout(
    client, run, spool, short_statement_timeout
):
    url = f"/api/v1/production-runs/{run.pk}/complete/"

    started = time.monotonic()
    with fault_at(insert_into(InventoryTransaction), stuck):
        response = client.post(url, {"use_estimates": True}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    waited = time.monotonic() - started

    assert_database_unavailable(response)
    assert waited < 30  # the 60 s statement was cancelled (at 2 s, plus whatever the load adds)
    run.refresh_from_db()
    assert run.status == "in_progress"
    assert not InventoryTransaction.objects.filter(production_run=run).exists()
    retried = client.post(url, {"use_estimates": True}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    replayed = client.post(url, {"use_estimates": True}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert retried.status_code == 200
    assert replayed["Idempotent-Replayed"] == "true"
    assert InventoryTransaction.objects.filter(production_run=run).count() == 1
    assert_ledger_balances(spool)


def test_a_create_whose_database_stops_answering_is_a_503_and_its_keyed_retry_creates_one_run(
    client, tenant, make_product, spool, short_statement_timeout
):
    body = run_body(make_product(tenant), spool)

    with fault_at(insert_into(ProductionRunItem), stuck, after=False):
        response = client.post("/api/v1/production-runs/", body, format="json", HTTP_IDEMPOTENCY_KEY="k")

    assert_database_unavailable(response)
    assert not ProductionRun.all_objects.exists()
    retried = client.post("/api/v1/production-runs/", body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert retried.status_code == 201
    assert ProductionRun.objects.count() == 1


def statement_timeout():
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        return cursor.fetchone()[0]


def test_the_statement_timeout_bounds_the_write_s_transaction_only(client, run, short_statement_timeout):
    before = statement_timeout()

    response = client.post(f"/api/v1/production-runs/{run.pk}/complete/", {"use_estimates": True}, format="json")

    assert response.status_code == 200
    assert statement_timeout() == before != "2s"  # the connection's next transactions (reads) are not bound


def test_a_lock_wait_still_ends_as_busy_under_the_statement_timeout(client, run, short_statement_timeout):
    # The statement bound is larger than the lock bound: a wait for another request's row is `busy`.
    with RowHeldByAnotherTransaction(run):
        response = client.post(f"/api/v1/production-runs/{run.pk}/complete/", {"use_estimates": True}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "busy"
