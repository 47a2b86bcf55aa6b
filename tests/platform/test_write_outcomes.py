"""A client can learn every write's outcome: JSON errors when the database fails, none for a committed change."""

import threading
import time
from decimal import Decimal

import pytest
from django.db import OperationalError, connection
from rest_framework.test import APIClient

from inventory.models import InventoryTransaction
from production import services
from production.models import Product, ProductionRun
from production.views import ProductionRunViewSet
from tests.conftest import client_for, postgres_only
from tests.support.threads import RowHeldByAnotherTransaction

GONE = "server closed the connection unexpectedly"


@pytest.fixture
def spool(tenant, make_spool):
    return make_spool(tenant)


@pytest.fixture
def run(tenant, member, make_run, spool):
    return make_run(tenant, user=member, materials=[{"spool": spool, "estimated_model_g": Decimal("100.00")}])


def run_body(product, spool):
    return {
        "items": [{"product": str(product.pk), "quantity": 2}],
        "materials": [{"spool": str(spool.pk), "estimated_model_g": "50.00"}],
    }


def lose_the_connection_while_answering(monkeypatch):
    def fail(self, run, status_code=200):
        raise OperationalError(GONE)

    monkeypatch.setattr(ProductionRunViewSet, "detail_response", fail)


# --- a failure after the change: the change goes with it --------------------------------------


@pytest.mark.django_db
def test_a_create_whose_response_fails_is_rolled_back_and_answers_503(api, tenant, make_product, spool, monkeypatch):
    lose_the_connection_while_answering(monkeypatch)

    response = api.post("/api/v1/production-runs/", run_body(make_product(tenant), spool), format="json")

    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"
    assert not ProductionRun.objects.exists()


@pytest.mark.django_db
def test_a_complete_whose_response_fails_leaves_the_run_in_progress(api, run, spool, monkeypatch):
    lose_the_connection_while_answering(monkeypatch)

    response = api.post(f"/api/v1/production-runs/{run.pk}/complete/", {"use_estimates": True}, format="json")

    assert response.status_code == 503
    run.refresh_from_db()
    spool.refresh_from_db()
    assert run.status == "in_progress"
    assert spool.current_weight_g == Decimal("1000.00")
    assert not InventoryTransaction.objects.filter(production_run=run).exists()


@pytest.mark.django_db
def test_a_keyed_retry_after_a_failed_response_creates_exactly_one_run(api, tenant, make_product, spool, monkeypatch):
    body = run_body(make_product(tenant), spool)
    lose_the_connection_while_answering(monkeypatch)
    assert api.post("/api/v1/production-runs/", body, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 503
    monkeypatch.undo()

    response = api.post("/api/v1/production-runs/", body, format="json", HTTP_IDEMPOTENCY_KEY="k")

    assert response.status_code == 201
    assert ProductionRun.objects.count() == 1


# --- a retried transition without a key: who ended the run --------------------------------------


@pytest.mark.django_db
def test_a_retried_complete_without_a_key_says_when_and_by_whom(api, manager_api, run):
    url = f"/api/v1/production-runs/{run.pk}/complete/"
    completed = api.post(url, {"use_estimates": True}, format="json").json()

    mine = api.post(url, {"use_estimates": True}, format="json")
    theirs = manager_api.post(url, {"use_estimates": True}, format="json")

    for response in (mine, theirs):
        assert response.status_code == 409
        body = response.json()
        assert body["code"] == "invalid_transition"
        assert body["status"] == "completed"
        assert body["completed_at"] == completed["completed_at"]
        assert body["completed_by"] == "member-acme"
    assert InventoryTransaction.objects.filter(production_run=run).count() == 1


@pytest.mark.django_db
def test_a_retried_fail_or_cancel_says_when_and_by_whom(api, run, manager_api):
    api.post(f"/api/v1/production-runs/{run.pk}/fail/", {"failure_reason": "adhesion"}, format="json")

    response = manager_api.post(f"/api/v1/production-runs/{run.pk}/cancel/")

    body = response.json()
    assert (response.status_code, body["code"], body["status"]) == (409, "invalid_transition", "failed")
    assert body["completed_at"] is not None
    # The failed run moved no stock (no actual usage); its history still names who failed it.
    assert body["completed_by"] == "member-acme"


@pytest.mark.django_db
def test_a_transition_of_a_run_that_never_ended_adds_no_completion(api, run):
    api.post(f"/api/v1/production-runs/{run.pk}/cancel/")

    body = api.post(f"/api/v1/production-runs/{run.pk}/cancel/").json()

    assert body["status"] == "cancelled"
    assert "completed_at" not in body and "completed_by" not in body


# --- the database away outside DRF's exception handler ----------------------------------------


class FailingMiddleware:
    """Stands for a middleware (sessions, authentication) whose database query fails."""

    error = OperationalError(GONE)

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raise self.error


@pytest.fixture
def failing_middleware(settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.FailingMiddleware"]
    return FailingMiddleware


@pytest.mark.django_db
def test_a_database_error_in_a_middleware_is_a_json_503_with_retry_after(failing_middleware, member, tenant):
    client = APIClient(raise_request_exception=False)

    response = client.get("/api/v1/production-runs/")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "The database is unavailable; try again shortly.",
        "code": "database_unavailable",
    }
    assert response["Retry-After"] == "5"


@pytest.mark.django_db
def test_a_lock_wait_that_ran_out_in_a_middleware_is_409_busy(failing_middleware, monkeypatch):
    monkeypatch.setattr(failing_middleware, "error", OperationalError("database is locked"))

    response = APIClient(raise_request_exception=False).post("/api/v1/production-runs/", {}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "busy"


@pytest.mark.django_db
def test_a_database_error_outside_the_api_keeps_django_s_answer(failing_middleware):
    response = APIClient(raise_request_exception=False).get("/admin/login/")

    assert response.status_code == 500
    assert not response["Content-Type"].startswith("application/json")


@pytest.mark.django_db
def test_a_database_error_while_rendering_is_a_json_503(api, monkeypatch):
    from core.api.renderers import JSONRenderer

    def fail(*args, **kwargs):
        raise OperationalError(GONE)

    monkeypatch.setattr(JSONRenderer, "render", fail)
    api.raise_request_exception = False

    response = api.get("/api/v1/production-runs/")

    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"


# --- PostgreSQL: real lock waits and a real concurrent request -----------------------------------


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_creating_a_run_with_a_spool_another_transaction_holds_is_409_busy(api, tenant, make_product, spool, settings):
    settings.LOCK_TIMEOUT_MS = 300
    body = run_body(make_product(tenant), spool)

    with RowHeldByAnotherTransaction(spool):
        started = time.monotonic()
        response = api.post("/api/v1/production-runs/", body, format="json")
        waited = time.monotonic() - started

    assert response.status_code == 409
    assert response.json()["code"] == "busy"
    assert waited < 10
    assert not ProductionRun.objects.exists()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_adding_a_material_on_a_spool_another_transaction_holds_is_409_busy(
    api, tenant, member, make_run, make_spool, settings
):
    settings.LOCK_TIMEOUT_MS = 300
    run = make_run(tenant, user=member)
    held = make_spool(tenant)

    with RowHeldByAnotherTransaction(held):
        response = api.post(
            f"/api/v1/production-runs/{run.pk}/materials/",
            {"spool": str(held.pk), "estimated_model_g": "10.00"},
            format="json",
        )

    assert response.status_code == 409
    assert response.json()["code"] == "busy"
    assert run.materials.count() == 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_write_that_takes_no_row_lock_still_bounds_its_foreign_key_wait(api, tenant, settings):
    # A product's create locks nothing through core.locking: only the bound the write's
    # transaction sets at its start ends its (deferred, at commit) foreign-key check on a
    # tenant row another transaction holds FOR UPDATE.
    settings.LOCK_TIMEOUT_MS = 300

    with RowHeldByAnotherTransaction(tenant):
        started = time.monotonic()
        response = api.post("/api/v1/products/", {"sku": "NEW-1", "name": "New"}, format="json")
        waited = time.monotonic() - started

    assert response.status_code == 409
    assert response.json()["code"] == "busy"
    assert waited < 10
    assert not Product.objects.filter(sku="NEW-1").exists()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_key_whose_first_request_is_running_is_409_then_replays(tenant, member, run, spool, settings, monkeypatch):
    settings.LOCK_TIMEOUT_MS = 300
    entered, release = threading.Event(), threading.Event()
    complete_run = services.complete_run
    results = {}

    def slow_complete(**kwargs):
        run = complete_run(**kwargs)
        entered.set()
        release.wait(30)
        return run

    monkeypatch.setattr(services, "complete_run", slow_complete)
    url = f"/api/v1/production-runs/{run.pk}/complete/"

    def first():
        try:
            results["first"] = client_for(member, tenant).post(
                url, {"use_estimates": True}, format="json", HTTP_IDEMPOTENCY_KEY="one"
            )
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert entered.wait(30)
        during = client_for(member, tenant).post(
            url, {"use_estimates": True}, format="json", HTTP_IDEMPOTENCY_KEY="one"
        )
    finally:
        release.set()
        thread.join(30)
    after = client_for(member, tenant).post(url, {"use_estimates": True}, format="json", HTTP_IDEMPOTENCY_KEY="one")

    assert during.status_code == 409
    assert during.json()["code"] == "idempotency_in_progress"
    assert results["first"].status_code == after.status_code == 200
    assert after["Idempotent-Replayed"] == "true"
    assert after.json() == results["first"].json()
    assert InventoryTransaction.objects.filter(production_run=run).count() == 1
