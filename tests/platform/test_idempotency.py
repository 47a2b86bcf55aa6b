"""`Idempotency-Key` on every POST: replay, reuse with another request, a request still running, purging."""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from core.models import IdempotencyKey
from inventory.models import InventoryTransaction
from production.models import ProductionRun
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def post(client, url, body, key, **headers):
    return client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key, **headers)


@pytest.fixture
def spool(tenant, make_spool):
    return make_spool(tenant)


@pytest.fixture
def run_body(tenant, make_product, spool):
    product = make_product(tenant)
    return {
        "items": [{"product": str(product.pk), "quantity": 2}],
        "materials": [{"spool": str(spool.pk), "estimated_model_g": "50.00"}],
    }


@pytest.fixture
def run(tenant, member, make_run, spool):
    return make_run(tenant, user=member, materials=[{"spool": spool, "estimated_model_g": Decimal("100.00")}])


def test_a_retried_create_replays_the_stored_response_and_creates_one_run(api, run_body):
    first = post(api, "/api/v1/production-runs/", run_body, "create-1")
    again = post(api, "/api/v1/production-runs/", run_body, "create-1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert ProductionRun.objects.count() == 1


def test_a_retried_complete_completes_once_and_replays(api, run, spool):
    url = f"/api/v1/production-runs/{run.pk}/complete/"
    first = post(api, url, {"use_estimates": True}, "complete-1")
    again = post(api, url, {"use_estimates": True}, "complete-1")

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert InventoryTransaction.objects.filter(production_run=run, type="usage").count() == 1
    spool.refresh_from_db()
    assert spool.current_weight_g == Decimal("900.00")


def test_the_same_key_with_another_body_is_422_and_runs_nothing(api, run_body):
    post(api, "/api/v1/production-runs/", run_body, "create-1")
    other = {**run_body, "notes": "another run"}

    response = post(api, "/api/v1/production-runs/", other, "create-1")

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert ProductionRun.objects.count() == 1


def test_the_same_key_on_another_path_is_422(api, run, run_body):
    post(api, "/api/v1/production-runs/", run_body, "key-1")

    response = post(api, f"/api/v1/production-runs/{run.pk}/cancel/", run_body, "key-1")

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    run.refresh_from_db()
    assert run.status == "in_progress"


def test_a_key_whose_request_is_still_running_is_409(api, member, tenant, run):
    url = f"/api/v1/production-runs/{run.pk}/complete/"
    response = post(api, url, {"use_estimates": True}, "running")  # claims and completes the key
    assert response.status_code == 200
    # What another request sees while the first one's row has no response yet.
    IdempotencyKey.objects.filter(key="running").update(response_status=None, response_body="")

    response = post(api, url, {"use_estimates": True}, "running")

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_in_progress"
    assert "Idempotent-Replayed" not in response


def test_keys_are_per_user_and_per_tenant(api, run_body, tenant, make_member, other_tenant):
    colleague = client_for(make_member(tenant, "member", "colleague"), tenant)

    post(api, "/api/v1/production-runs/", run_body, "shared")
    response = post(colleague, "/api/v1/production-runs/", run_body, "shared")

    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert ProductionRun.objects.count() == 2


def test_a_domain_refusal_is_stored_and_replayed(api, run, spool):
    body = {"materials": [{"id": str(run.materials.get().pk), "actual_model_g": "5000.00"}]}
    url = f"/api/v1/production-runs/{run.pk}/complete/"

    first = post(api, url, body, "too-much")
    again = post(api, url, body, "too-much")

    assert first.status_code == again.status_code == 409
    assert again.json() == first.json()
    assert first.json()["code"] == "insufficient_stock"
    assert again["Idempotent-Replayed"] == "true"
    run.refresh_from_db()
    assert run.status == "in_progress"


def test_field_validation_is_not_stored_so_a_corrected_retry_runs(api, run_body):
    bad = {**run_body, "items": [{**run_body["items"][0], "quantity": 0}]}
    assert post(api, "/api/v1/production-runs/", bad, "fixable").status_code == 400
    assert not IdempotencyKey.objects.exists()


def test_a_busy_refusal_is_not_stored(api, run, monkeypatch):
    from core.locking import RecordBusy
    from production import services

    def busy(**kwargs):
        raise RecordBusy("The record is being changed by another request; try again.")

    url = f"/api/v1/production-runs/{run.pk}/complete/"
    monkeypatch.setattr(services, "complete_run", busy)
    assert post(api, url, {"use_estimates": True}, "retry-me").json()["code"] == "busy"
    monkeypatch.undo()

    response = post(api, url, {"use_estimates": True}, "retry-me")

    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response


@pytest.mark.parametrize("key", ["", "x" * 256, "clé"])
def test_an_invalid_key_is_400(api, run_body, key):
    response = api.post("/api/v1/production-runs/", run_body, format="json", headers={"Idempotency-Key": key})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_idempotency_key"
    assert not ProductionRun.objects.exists()


def test_a_write_without_a_key_stores_nothing(api, run_body):
    assert api.post("/api/v1/production-runs/", run_body, format="json").status_code == 201
    assert not IdempotencyKey.objects.exists()


def test_an_expired_key_runs_the_request_again(api, run_body):
    post(api, "/api/v1/production-runs/", run_body, "old")
    IdempotencyKey.objects.update(created_at=timezone.now() - datetime.timedelta(hours=25))

    response = post(api, "/api/v1/production-runs/", run_body, "old")

    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert ProductionRun.objects.count() == 2


def test_purge_deletes_keys_older_than_24_hours(api, run_body):
    post(api, "/api/v1/production-runs/", run_body, "old")
    post(api, "/api/v1/production-runs/", run_body, "new")
    IdempotencyKey.objects.filter(key="old").update(created_at=timezone.now() - datetime.timedelta(hours=25))
    out = StringIO()

    call_command("purge_idempotency_keys", stdout=out)

    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
    assert "Deleted 1" in out.getvalue()


def test_every_post_of_the_schema_documents_the_key_and_the_replay_header(api):
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    posts = {path: item["post"] for path, item in schema["paths"].items() if "post" in item}
    # auth/token/ is the one POST without a key: it writes only a token, and a retry gets another.
    # Nor does an integration key's: its answer holds the secret, which must never be stored in clear.
    keyed = set(posts) - {
        "/api/v1/auth/token/",
        "/api/v1/printers/{printer_id}/integration-keys/",
        "/api/v1/integration-keys/",
    }

    for path in keyed:
        operation = posts[path]
        assert "Idempotency-Key" in {p["name"] for p in operation["parameters"] if p["in"] == "header"}, path
        success = next(response for status, response in operation["responses"].items() if status.startswith("2"))
        assert "Idempotent-Replayed" in success["headers"], path
        assert "422" in operation["responses"], path
    assert "/api/v1/production-runs/{id}/complete/" in keyed
