"""No error answer ever comes with a committed change: every kind of write, its backend killed at each statement.

Each write runs once to learn its statements, then again (on fresh rows) with the request's
backend killed before each of them in turn, and once right after its commit (the moment that
must not turn a committed change into an error: nothing of the write may run after it, as
a webhook check once did). The tenant has an active webhook, so the writes' events are handed
to the worker too. Each outcome must agree with the database: an answer of 400 or above with
nothing committed, any other with the change committed; and an error is JSON in the API's own
shape (a printer's client retries a JSON 503; an HTML 500 with its use booked would book it twice).
The one window no design closes (the COMMIT reached the server, its acknowledgement was lost) is
tests/platform/test_faults.py's.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.http import HttpResponse
from knox.models import AuthToken
from rest_framework.test import APIClient

from inventory.models import InventoryTransaction, Spool, TransactionType
from production.models import Product, ProductionRun
from spoolman import services
from tests.conftest import postgres_only
from tests.support.clients import SpoolmanClient
from tests.support.faults import (
    counted_statements,
    fault_after_commit,
    fault_before_statement,
    killed,
    next_request,
)

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]


@dataclass
class Write:
    send: Callable[[], HttpResponse]
    committed: Callable[[], bool]


class Farm:
    """A tenant with an active webhook, a member's and an owner's token client, and a printer's key."""

    def __init__(self, tenant, make_member, make_webhook, make_spool, make_run, make_product, make_material, printer):
        make_webhook(tenant)
        self.tenant = tenant
        self.member = token_client(make_member(tenant, "member"), tenant)
        self.owner = token_client(make_member(tenant, "owner"), tenant)
        issued = services.create_key(tenant=tenant, user=None, draft=services.KeyDraft(printer=printer))
        self.printer = SpoolmanClient(issued.secret)
        self.printer.client.raise_request_exception = False
        self.make_spool = lambda **fields: make_spool(tenant, **fields)
        self.make_run = lambda: make_run(tenant)
        self.make_product = lambda: make_product(tenant)
        self.make_material = lambda: make_material(tenant)


def token_client(user, tenant):
    """A REST client as deployed ones are: a token and `X-Tenant`; a failure is answered, not raised."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}", HTTP_X_TENANT=tenant.slug)
    client.raise_request_exception = False
    return client


@pytest.fixture
def farm(tenant, make_member, make_webhook, make_spool, make_run, make_product, make_material, make_printer):
    return Farm(
        tenant, make_member, make_webhook, make_spool, make_run, make_product, make_material, make_printer(tenant)
    )


def run_status_is(run, status):
    return lambda: ProductionRun.all_objects.get(pk=run.pk).status == status


def create_product(farm):
    sku = uuid.uuid4().hex[:12]
    return Write(
        lambda: farm.member.post("/api/v1/products/", {"sku": sku, "name": "Axolotl"}, format="json"),
        lambda: Product.objects.filter(sku=sku).exists(),
    )


def update_product(farm):
    product = farm.make_product()
    return Write(
        lambda: farm.member.patch(f"/api/v1/products/{product.pk}/", {"name": "Renamed"}, format="json"),
        lambda: Product.objects.get(pk=product.pk).name == "Renamed",
    )


def delete_product(farm):
    product = farm.make_product()
    return Write(
        lambda: farm.owner.delete(f"/api/v1/products/{product.pk}/"),
        lambda: not Product.objects.filter(pk=product.pk).exists(),
    )


def create_spool(farm):
    code = uuid.uuid4().hex[:12]
    body = {"code": code, "material": str(farm.make_material().pk), "initial_weight_g": "1000.00"}
    return Write(
        lambda: farm.member.post("/api/v1/spools/", body, format="json"),
        lambda: Spool.objects.filter(code=code).exists(),
    )


def adjust_spool(farm):
    spool = farm.make_spool()
    return Write(
        lambda: farm.owner.post(
            f"/api/v1/spools/{spool.pk}/adjust/", {"type": "waste", "delta_g": "-5.00"}, format="json"
        ),
        lambda: InventoryTransaction.objects.filter(spool=spool, type=TransactionType.WASTE).exists(),
    )


def create_run(farm):
    notes = uuid.uuid4().hex
    body = {
        "notes": notes,
        "items": [{"product": str(farm.make_product().pk), "quantity": 2}],
        "materials": [{"spool": str(farm.make_spool().pk), "estimated_model_g": "50.00"}],
    }
    return Write(
        lambda: farm.member.post("/api/v1/production-runs/", body, format="json"),
        lambda: ProductionRun.all_objects.filter(notes=notes).exists(),
    )


def add_run_item(farm):
    run = farm.make_run()
    body = {"product": str(farm.make_product().pk), "quantity": 1}
    return Write(
        lambda: farm.member.post(f"/api/v1/production-runs/{run.pk}/items/", body, format="json"),
        lambda: run.items.count() == 2,
    )


def run_action(action, body, status, *, prepare=None):
    def write(farm):
        run = farm.make_run()
        if prepare is not None:
            prepare(farm, run)
        client = farm.owner if action == "reopen" else farm.member
        return Write(
            lambda: client.post(f"/api/v1/production-runs/{run.pk}/{action}/", body, format="json"),
            run_status_is(run, status),
        )

    return write


def completed(farm, run):
    response = farm.member.post(f"/api/v1/production-runs/{run.pk}/complete/", {"use_estimates": True}, format="json")
    assert response.status_code == 200, response.content


def printer_use(farm):
    spool = farm.make_spool()
    return Write(
        lambda: farm.printer.put(f"spool/{spool.number}/use", {"use_weight": 0.25}),
        lambda: InventoryTransaction.objects.filter(spool=spool, type=TransactionType.PRINTER_USE).exists(),
    )


def printer_measure(farm):
    spool = farm.make_spool(empty_spool_weight_g=Decimal("200.00"))
    return Write(
        lambda: farm.printer.put(f"spool/{spool.number}/measure", {"weight": 900}),
        lambda: InventoryTransaction.objects.filter(spool=spool, type=TransactionType.COUNT).exists(),
    )


WRITES = {
    "POST /products/": create_product,
    "PATCH /products/{id}/": update_product,
    "DELETE /products/{id}/": delete_product,
    "POST /spools/": create_spool,
    "POST /spools/{id}/adjust/": adjust_spool,
    "POST /production-runs/": create_run,
    "POST /production-runs/{id}/items/": add_run_item,
    "POST complete/": run_action("complete", {"use_estimates": True}, "completed"),
    "POST fail/": run_action("fail", {"failure_reason": "other"}, "failed"),
    "POST cancel/": run_action("cancel", {}, "cancelled"),
    "POST reopen/": run_action("reopen", {}, "in_progress", prepare=completed),
    "Spoolman PUT spool/{n}/use": printer_use,
    "Spoolman PUT spool/{n}/measure": printer_measure,
}


def disagreement(fault, response, committed):
    """What is wrong with this outcome, or None."""
    if response.status_code >= 400:
        if committed:
            return f"{fault}: answered {response.status_code} {response.content[:200]!r} with the change committed"
        if response["Content-Type"] != "application/json":
            return f"{fault}: answered {response.status_code} as {response['Content-Type']}, not JSON"
        return None
    if not committed:
        return f"{fault}: answered {response.status_code} with nothing committed"
    return None


@pytest.mark.parametrize("kind", WRITES)
def test_no_error_answer_comes_with_a_committed_change_wherever_the_backend_dies(farm, kind):
    prepare = WRITES[kind]
    for _ in range(2):  # the first of its kind may run more (a tenant's first number counter...): count the second
        write = prepare(farm)
        with counted_statements() as statements:
            response = write.send()
        assert response.status_code < 300, response.content
        assert write.committed()

    faults = [(f"killed before statement {n} ({sql[:60]})", n) for n, sql in enumerate(statements)]
    disagreements, fired_faults, failed = [], 0, 0
    for fault, n in [*faults, ("killed right after the commit", None)]:
        next_request()
        write = prepare(farm)
        with fault_after_commit(killed) if n is None else fault_before_statement(n, killed) as fired:
            response = write.send()
        next_request()
        fired_faults += bool(fired)
        failed += response.status_code >= 400
        disagreements.append(disagreement(fault, response, write.committed()))

    assert [problem for problem in disagreements if problem] == []
    assert fired_faults >= len(faults)  # every statement's fault, and the one after the commit, hit a write
    assert failed >= len(faults) // 2  # and most of them failed it
