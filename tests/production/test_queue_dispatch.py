"""The queue and dispatch (SPEC 8.1, 8.3): dispatch order, readiness, shortages, `?printer=`, CSV,
`POST printers/{id}/dispatch/`, and their query budgets."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events.models import Event
from production.models import ProductionRun
from production.services import RunDraft, create_run
from production.services.slots import SlotLoad, load_slot
from tests.support.queries import row_security_statements, write_savepoint_statements

pytestmark = pytest.mark.django_db

QUEUE = "/api/v1/queue/"
# queue list: membership, the queue state (planned run order, reserving lines, their spools, their
# materials' stock, the busy printers), count, runs, items, materials.
QUEUE_QUERIES = 10 + row_security_statements()
# `?printer=`: also the printer, whether it prints, the window's runs and lines, its loaded spools,
# their in-progress reservations.
QUEUE_FOR_PRINTER_QUERIES = QUEUE_QUERIES + 6


@pytest.fixture
def product(tenant, make_product):
    return make_product(tenant)


@pytest.fixture
def plan(tenant, member, product):
    def make(*, materials=(), **fields):
        draft = RunDraft.from_data(
            {
                "status": "planned",
                "items": [{"product": product, "quantity": 1}],
                "materials": list(materials),
                **fields,
            }
        )
        return create_run(tenant=tenant, user=member, draft=draft)

    return make


def line(spool=None, grams="100.00", material=None):
    return {"spool": spool, "material": material, "estimated_model_g": Decimal(grams)}


def load(printer, slot, spool):
    load_slot(printer=printer, user=None, load=SlotLoad(slot=slot, spool=spool))


def numbers(response):
    return [run["run_number"] for run in response.json()["results"]]


def test_the_queue_is_in_dispatch_order(api, plan):
    soon = timezone.now() + datetime.timedelta(hours=1)
    later = soon + datetime.timedelta(hours=5)
    normal_unscheduled = plan()
    low = plan(priority="low", planned_start=soon)
    normal_later = plan(planned_start=later)
    urgent = plan(priority="urgent")
    normal_soon = plan(planned_start=soon)
    high = plan(priority="high", planned_start=later)

    response = api.get(QUEUE)

    assert response.status_code == 200
    expected = [urgent, high, normal_soon, normal_later, normal_unscheduled, low]
    assert numbers(response) == [run.run_number for run in expected]


def test_the_queue_holds_only_planned_runs(api, plan, make_run, tenant):
    planned = plan()
    make_run(tenant)
    cancelled = plan()
    api.post(f"/api/v1/production-runs/{cancelled.pk}/cancel/")

    assert numbers(api.get(QUEUE)) == [planned.run_number]


def test_shortage_follows_the_queue_and_the_runs_in_progress(api, plan, make_run, make_spool, tenant):
    spool = make_spool(tenant)  # 1000 g
    make_run(tenant, materials=[line(spool, "300.00")])  # in progress: 700 g left to plan with
    first = plan(priority="high", materials=[line(spool, "500.00")])
    second = plan(materials=[line(spool, "400.00")])

    results = {run["id"]: run for run in api.get(QUEUE).json()["results"]}

    assert results[str(first.pk)]["materials"][0]["shortage_g"] == "0.00"
    assert results[str(first.pk)]["ready"] is True
    assert results[str(second.pk)]["materials"][0]["shortage_g"] == "200.00"
    assert results[str(second.pk)]["ready"] is False


def test_a_material_only_line_is_short_of_its_materials_stock(api, plan, make_material, make_spool, tenant):
    material = make_material(tenant)
    make_spool(tenant, material, initial_weight_g=Decimal("250.00"))
    run = plan(materials=[line(material=material, grams="300.00")])

    (queued,) = api.get(QUEUE).json()["results"]

    assert queued["id"] == str(run.pk)
    assert queued["materials"][0]["shortage_g"] == "50.00"
    assert queued["ready"] is False


def test_a_run_on_a_printing_printer_is_not_ready(api, plan, make_run, make_printer, tenant):
    printer = make_printer(tenant)
    make_run(tenant, printer=printer)
    plan(printer=printer)

    (queued,) = api.get(QUEUE).json()["results"]

    assert queued["ready"] is False


def test_the_printer_filter_keeps_what_would_start_on_it(api, plan, make_printer, make_spool, make_material, tenant):
    printer = make_printer(tenant, name="X1C", slot_count=4)
    loaded, elsewhere = make_spool(tenant), make_spool(tenant)
    load(printer, 0, loaded)
    fits = plan(materials=[line(loaded, "50.00")])
    plan(materials=[line(elsewhere, "50.00")])  # its spool is not in the printer
    plan(printer=make_printer(tenant, name="Other"))  # planned for another printer

    response = api.get(QUEUE, {"printer": "X1C"})

    assert response.status_code == 200
    assert numbers(response) == [fits.run_number]


def test_the_printer_filter_of_a_printing_printer_is_empty(api, plan, make_run, make_printer, tenant):
    printer = make_printer(tenant)
    make_run(tenant, printer=printer)
    plan()

    assert api.get(QUEUE, {"printer": str(printer.pk)}).json()["results"] == []


def test_an_unknown_or_foreign_printer_filter_is_400(api, make_printer, other_tenant):
    foreign = make_printer(other_tenant, name="Theirs")

    for value in ("nope", str(foreign.pk)):
        response = api.get(QUEUE, {"printer": value})
        assert response.status_code == 400
        assert "printer" in response.json()


def test_the_queue_exports_csv_with_readiness(api, plan):
    plan(priority="urgent", notes="first")
    plan()

    response = api.get(QUEUE, {"format": "csv"})

    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["priority"] for row in rows] == ["urgent", "normal"]
    assert {row["ready"] for row in rows} == {"true"}


def test_viewers_read_the_queue(viewer_api, plan):
    plan()

    assert viewer_api.get(QUEUE).status_code == 200


def test_the_queue_costs_the_same_at_1_and_10_runs(api, plan, make_spool, make_material, tenant):
    material = make_material(tenant)
    plan(materials=[line(make_spool(tenant, material)), line(material=material)])
    with CaptureQueriesContext(connection) as one:
        api.get(QUEUE)
    for _ in range(9):
        plan(materials=[line(make_spool(tenant, material)), line(material=material)])
    with CaptureQueriesContext(connection) as ten:
        response = api.get(QUEUE)

    assert response.json()["count"] == 10
    assert len(one) == len(ten) == QUEUE_QUERIES


def test_the_printer_filter_costs_the_same_at_1_and_10_runs(api, plan, make_printer, make_spool, tenant):
    printer = make_printer(tenant, slot_count=4)
    spool = make_spool(tenant, initial_weight_g=Decimal("5000.00"))
    load(printer, 0, spool)
    plan(materials=[line(spool)])
    with CaptureQueriesContext(connection) as one:
        api.get(QUEUE, {"printer": str(printer.pk)})
    for _ in range(9):
        plan(materials=[line(spool)])
    with CaptureQueriesContext(connection) as ten:
        response = api.get(QUEUE, {"printer": str(printer.pk)})

    assert response.json()["count"] == 10
    assert len(one) == len(ten) == QUEUE_FOR_PRINTER_QUERIES


# --- dispatch ----------------------------------------------------------------------------------


def dispatch(api, printer):
    return api.post(f"/api/v1/printers/{printer.pk}/dispatch/")


@pytest.fixture
def ams(tenant, make_printer):
    return make_printer(tenant, name="X1C", slot_count=4)


def test_dispatch_starts_the_first_queued_run_that_fits(api, plan, ams, make_spool, tenant):
    loaded, missing = make_spool(tenant), make_spool(tenant)
    load(ams, 1, loaded)
    plan(priority="urgent", materials=[line(missing)])  # first in the queue, its spool not loaded
    fits = plan(materials=[line(loaded)])

    response = dispatch(api, ams)

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["status"], body["printer"]) == (str(fits.pk), "in_progress", str(ams.pk))
    assert Event.objects.filter(type="run.started", resource_id=fits.pk).exists()
    printer = api.get(f"/api/v1/printers/{ams.pk}/").json()
    assert (printer["state"], printer["current_run"]) == ("printing", str(fits.pk))


def test_dispatch_gives_a_material_only_line_a_loaded_spool(api, plan, ams, make_material, make_spool, tenant):
    material = make_material(tenant)
    make_spool(tenant, material)  # not loaded: never taken by a dispatch
    loaded = make_spool(tenant, material)
    load(ams, 3, loaded)
    run = plan(materials=[line(material=material, grams="80.00")])

    response = dispatch(api, ams)

    assert response.status_code == 200, response.content
    assert response.json()["materials"][0]["spool"] == str(loaded.pk)
    assert run.materials.get().spool == loaded


def test_dispatch_on_a_printing_printer_is_409_printer_busy(api, plan, ams, make_run, tenant):
    make_run(tenant, printer=ams)
    plan()

    response = dispatch(api, ams)

    assert response.status_code == 409
    assert response.json()["code"] == "printer_busy"


def test_no_run_fits_names_the_first_runs_and_why(api, plan, ams, make_spool, make_material, make_printer, tenant):
    unloaded = make_spool(tenant)
    small = make_spool(tenant, initial_weight_g=Decimal("50.00"))
    load(ams, 0, small)
    too_big = plan(priority="urgent", materials=[line(small, "80.00")])
    not_loaded = plan(priority="high", materials=[line(unloaded)])
    elsewhere = plan(printer=make_printer(tenant, name="Mini"))
    no_spool = plan(materials=[line(material=make_material(tenant, name="TPU 95A", kind="TPU"))])

    response = dispatch(api, ams)

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "no_run_fits"
    reasons = {entry["run_number"]: entry["reason"] for entry in body["runs"]}
    assert [entry["id"] for entry in body["runs"]] == [str(r.pk) for r in (too_big, not_loaded, elsewhere, no_spool)]
    assert "50.00 g available" in reasons[too_big.run_number]
    assert f"Spool {unloaded.code} is not loaded" in reasons[not_loaded.run_number]
    assert "Mini" in reasons[elsewhere.run_number]
    assert "TPU 95A" in reasons[no_spool.run_number]
    assert not ProductionRun.objects.filter(status="in_progress").exists()


def test_dispatch_of_an_empty_queue_is_409_no_run_fits(api, ams):
    response = dispatch(api, ams)

    assert response.status_code == 409
    assert (response.json()["code"], response.json()["runs"]) == ("no_run_fits", [])


def test_viewers_may_not_dispatch_and_another_tenants_printer_is_404(viewer_api, api, plan, make_printer, other_tenant):
    plan()
    theirs = make_printer(other_tenant, name="Theirs")
    mine = make_printer(plan().tenant, name="Mine")

    assert dispatch(viewer_api, mine).status_code == 403
    assert dispatch(api, theirs).status_code == 404
    assert not ProductionRun.objects.filter(status="in_progress").exists()


def test_dispatch_costs_the_same_at_1_and_10_queued_runs(api, plan, ams, make_spool, make_material, tenant):
    material = make_material(tenant)
    spool = make_spool(tenant, material, initial_weight_g=Decimal("5000.00"))
    load(ams, 0, spool)
    other = make_spool(tenant)

    def count_dispatch():
        with CaptureQueriesContext(connection) as captured:
            response = dispatch(api, ams)
        assert response.status_code == 200, response.content
        count = len(captured)  # before the next request, which starts a new log
        api.post(f"/api/v1/production-runs/{response.json()['id']}/cancel/")
        return count

    plan(materials=[line(material=material)])
    one = count_dispatch()
    for _ in range(9):
        plan(priority="urgent", materials=[line(other)])  # ahead in the queue, not fitting
    plan(materials=[line(material=material)])
    ten = count_dispatch()

    assert (one, ten) == (DISPATCH_QUERIES, DISPATCH_QUERIES)


# dispatch: membership; get_object (the printer); lock the printer; whether it prints; the queue window's
# runs (with their printers) and their lines (with spools and materials); the printer's loaded spools; their
# in-progress reservations; lock the first run that fits; its items and lines; the loaded spools that can feed
# its material-only line and their in-progress reservations; lock the spools; their reservations under the
# lock; update the line's spool; update the run; the history row; the event (its payload is the answer)
# and the check for the tenant's active webhooks (events.services).
# Plus the service's savepoint and its release, and on SQLite the API write's (`write_savepoint_statements`).
DISPATCH_QUERIES = 20 + 2 + write_savepoint_statements() + row_security_statements()
# start: membership; get_object (the run); lock the printer; lock the run; whether the printer prints; then
# as dispatch from the run's items on.
START_QUERIES = 16 + 2 + write_savepoint_statements() + row_security_statements()


def test_start_costs_a_fixed_number_of_queries(api, plan, ams, make_spool, make_material, tenant):
    material = make_material(tenant)
    make_spool(tenant, material)
    spools = [make_spool(tenant) for _ in range(3)]
    run = plan(printer=ams, materials=[*(line(spool) for spool in spools), line(material=material)])

    with CaptureQueriesContext(connection) as captured:
        response = api.post(f"/api/v1/production-runs/{run.pk}/start/", {}, format="json")

    assert response.status_code == 200, response.content
    assert len(captured) == START_QUERIES
