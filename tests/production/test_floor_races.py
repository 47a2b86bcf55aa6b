"""Starts and dispatches racing on PostgreSQL: real threads, each with its own APIClient and connection."""

from decimal import Decimal

import pytest

from production.models import ProductionRun
from production.services import RunDraft, create_run
from production.services.slots import SlotLoad, load_slot
from tests.conftest import client_for, postgres_only
from tests.support.threads import run_together

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]


def warmed(clients):
    """The clients, after one request in this thread: the first request sets up the middleware (its
    metrics' registry), which threads must not race to do."""
    clients[0].get("/api/v1/queue/")
    return clients


def planned(tenant, member, product, *, printer=None, materials=()):
    draft = RunDraft.from_data(
        {
            "status": "planned",
            "printer": printer,
            "items": [{"product": product, "quantity": 1}],
            "materials": list(materials),
        }
    )
    return create_run(tenant=tenant, user=member, draft=draft)


def test_of_starts_racing_for_the_last_grams_exactly_one_wins(tenant, member, make_spool, make_printer, make_product):
    spool = make_spool(tenant)  # 1000 g: room for one run of 600 g
    product = make_product(tenant)
    runs = [
        planned(
            tenant,
            member,
            product,
            printer=make_printer(tenant),
            materials=[{"spool": spool, "estimated_model_g": Decimal("600.00")}],
        )
        for _ in range(6)
    ]
    clients = warmed([client_for(member, tenant) for _ in runs])

    def start(i):
        response = clients[i].post(f"/api/v1/production-runs/{runs[i].pk}/start/", {}, format="json")
        return response.status_code, response.json()

    results = run_together(len(runs), start)

    assert sorted(status for status, _ in results) == [200] + [409] * 5
    assert {body["code"] for status, body in results if status == 409} == {"insufficient_stock"}
    assert ProductionRun.objects.filter(status="in_progress").count() == 1


def test_eight_dispatchers_start_each_run_once_and_each_printer_at_most_one(
    tenant, member, make_spool, make_printer, make_product, make_material
):
    material = make_material(tenant)
    product = make_product(tenant)
    printers = [make_printer(tenant, slot_count=2) for _ in range(8)]
    for printer in printers:
        spool = make_spool(tenant, material, initial_weight_g=Decimal("2000.00"))
        load_slot(printer=printer, user=None, load=SlotLoad(slot=0, spool=spool))
    # Five runs any printer can take (a material-only line), so three printers find none.
    runs = [
        planned(tenant, member, product, materials=[{"material": material, "estimated_model_g": Decimal("100.00")}])
        for _ in range(5)
    ]
    clients = warmed([client_for(member, tenant) for _ in printers])

    def dispatch(i):
        response = clients[i].post(f"/api/v1/printers/{printers[i].pk}/dispatch/")
        return response.status_code, response.json()

    results = run_together(len(printers), dispatch)

    started = [body for status, body in results if status == 200]
    assert len(started) == len(runs)
    assert sorted(body["id"] for body in started) == sorted(str(run.pk) for run in runs)
    assert len({body["printer"] for body in started}) == len(runs)
    assert {body["code"] for status, body in results if status != 200} == {"no_run_fits"}
    in_progress = ProductionRun.objects.filter(status="in_progress")
    assert in_progress.count() == len(runs)
    assert in_progress.values("printer").distinct().count() == len(runs)
    for run in in_progress.prefetch_related("materials"):
        (line,) = run.materials.all()
        assert line.spool.printer_slots.get().printer_id == run.printer_id


def test_dispatches_of_one_printer_start_one_run(tenant, member, make_spool, make_printer, make_product):
    printer = make_printer(tenant)
    spool = make_spool(tenant, initial_weight_g=Decimal("5000.00"))
    load_slot(printer=printer, user=None, load=SlotLoad(slot=0, spool=spool))
    product = make_product(tenant)
    for _ in range(4):
        planned(tenant, member, product, materials=[{"spool": spool, "estimated_model_g": Decimal("10.00")}])
    clients = warmed([client_for(member, tenant) for _ in range(8)])

    def dispatch(i):
        response = clients[i].post(f"/api/v1/printers/{printer.pk}/dispatch/")
        return response.status_code, response.json().get("code")

    results = run_together(8, dispatch)

    assert sorted(status for status, _ in results) == [200] + [409] * 7
    assert {code for status, code in results if status == 409} == {"printer_busy"}
    assert ProductionRun.objects.filter(status="in_progress", printer=printer).count() == 1
