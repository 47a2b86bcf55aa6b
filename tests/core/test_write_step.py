"""One write step (core.writes.run_write) for both APIs: the REST API's `complete/` and the printer's Spoolman `use`
claim, replay and store their `Idempotency-Key` through the same code, each in its own answers' shape."""

from decimal import Decimal

import pytest

from core import writes
from inventory.models import InventoryTransaction, TransactionType
from spoolman import services
from tests.support.clients import SpoolmanClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def write_steps(monkeypatch):
    """Each call of the one write step: (whether it was keyed, the status it answered or the error it raised,
    whether it replayed)."""
    calls = []
    run_write = writes.run_write

    def recorded(write, **options):
        keyed = options.get("keyed")
        try:
            answer = run_write(write, **options)
        except Exception as error:
            calls.append((keyed is not None, type(error).__name__, None))
            raise
        calls.append((keyed is not None, answer.status_code, answer.get("Idempotent-Replayed")))
        return answer

    monkeypatch.setattr(writes, "run_write", recorded)
    return calls


@pytest.fixture
def spool(tenant, make_spool):
    return make_spool(tenant)


@pytest.fixture
def spoolman(tenant, member, make_printer):
    issued = services.create_key(
        tenant=tenant, user=member, draft=services.KeyDraft(printer=make_printer(tenant, name="Voron"))
    )
    return SpoolmanClient(issued.secret)


def test_a_keyed_spoolman_use_and_a_keyed_complete_replay_through_the_same_write_step(
    api, spoolman, tenant, member, make_run, spool, write_steps
):
    run = make_run(tenant, user=member, materials=[{"spool": spool, "estimated_model_g": Decimal("100.00")}])
    use = f"spool/{spool.number}/use"
    complete = f"/api/v1/production-runs/{run.pk}/complete/"

    used = spoolman.put(use, {"use_weight": 2.5}, **{"Idempotency-Key": "use-1"})
    used_again = spoolman.put(use, {"use_weight": 2.5}, **{"Idempotency-Key": "use-1"})
    completed = api.post(complete, {"use_estimates": True}, format="json", HTTP_IDEMPOTENCY_KEY="complete-1")
    completed_again = api.post(complete, {"use_estimates": True}, format="json", HTTP_IDEMPOTENCY_KEY="complete-1")

    assert write_steps == [(True, 200, None), (True, 200, "true"), (True, 200, None), (True, 200, "true")]
    assert used_again.json() == used.json()  # Spoolman's shape, stored and replayed
    assert used.json()["remaining_weight"] == 997.5
    assert completed_again.json() == completed.json()  # DRF's shape
    assert completed.json()["status"] == "completed"
    rows = InventoryTransaction.objects.filter(spool=spool).exclude(type=TransactionType.PURCHASE)
    assert sorted(row.type for row in rows) == [TransactionType.PRINTER_USE, TransactionType.USAGE]


def test_a_key_reused_for_another_body_is_refused_by_the_same_step_in_each_api_s_shape(
    api, spoolman, tenant, make_product, spool, write_steps
):
    used = spoolman.put(f"spool/{spool.number}/use", {"use_weight": 1}, **{"Idempotency-Key": "k"})
    reused_use = spoolman.put(f"spool/{spool.number}/use", {"use_weight": 2}, **{"Idempotency-Key": "k"})
    created = api.post("/api/v1/products/", {"sku": "A", "name": "A"}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    reused_create = api.post("/api/v1/products/", {"sku": "B", "name": "B"}, format="json", HTTP_IDEMPOTENCY_KEY="k")

    assert (used.status_code, created.status_code) == (200, 201)
    assert reused_use.status_code == reused_create.status_code == 422
    assert set(reused_use.json()) == {"message"}
    assert reused_create.json()["code"] == "idempotency_key_reused"
    assert write_steps == [
        (True, 200, None),
        (True, "IdempotencyKeyReused", None),  # answered by each API as its refusals are
        (True, 201, None),
        (True, "IdempotencyKeyReused", None),
    ]


def test_a_refusal_of_a_keyed_spoolman_use_is_stored_and_replayed_like_the_rest_api_s(spoolman, spool, write_steps):
    body = {"use_weight": 1, "use_length": 1}  # both: Spoolman's 400

    refused = spoolman.put(f"spool/{spool.number}/use", body, **{"Idempotency-Key": "both"})
    replayed = spoolman.put(f"spool/{spool.number}/use", body, **{"Idempotency-Key": "both"})

    assert refused.status_code == replayed.status_code == 400
    assert replayed.json() == refused.json() == {"message": "Only specify either use_weight or use_length."}
    assert write_steps == [(True, 400, None), (True, 400, "true")]
