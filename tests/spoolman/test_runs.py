"""A printer's reports during a run on it belong to that run's material; the run's end charges only the rest."""

from decimal import Decimal

import pytest

from inventory.models import InventoryTransaction
from production.models import ProductionRun
from production.services import Completion, Failure, MaterialActuals, cancel_run, complete_run, fail_run, reopen_run
from spoolman import services
from tests.support.ledger import assert_ledger_balances

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(tenant, make_run, make_product, printer, spool):
    return make_run(
        tenant,
        printer=printer,
        items=[{"product": make_product(tenant, material_kind=""), "quantity": 2}],
        materials=[{"spool": spool, "estimated_model_g": Decimal("100.00")}],
    )


def report(issued, spool, grams):
    return services.report_use(key=issued.key, report=services.UseReport(spool=spool, grams=Decimal(grams)))


def rows_of(spool, type):
    return list(InventoryTransaction.objects.filter(spool=spool, type=type).order_by("sequence"))


def material_of(run):
    return run.materials.get()


def complete(run, **actuals):
    materials = (MaterialActuals(id=material_of(run).pk, **actuals),) if actuals else ()
    return complete_run(run=run, user=None, completion=Completion(materials=materials))


def test_a_report_during_the_printers_run_is_attributed_to_its_material(issued, spool, run):
    row = report(issued, spool, "30")

    assert (row.production_run_id, row.production_run_material_id) == (run.pk, material_of(run).pk)
    assert row.printer_id == issued.key.printer_id


def test_a_report_from_another_printer_or_for_another_spool_is_not_attributed(
    issued, tenant, make_printer, make_spool, spool, run
):
    other = services.create_key(tenant=tenant, user=None, draft=services.KeyDraft(printer=make_printer(tenant)))
    assert report(other, spool, "5").production_run_id is None
    assert report(issued, make_spool(tenant), "5").production_run_id is None


def test_completion_charges_only_what_the_printer_did_not_report(issued, spool, run):
    report(issued, spool, "30")
    report(issued, spool, "45.5")

    complete(run, actual_model_g=Decimal("110.00"))

    (usage,) = rows_of(spool, "usage")
    assert usage.weight_change_g == Decimal("-34.50")
    assert_ledger_balances(spool)
    assert spool.current_weight_g == Decimal("890.00")


def test_without_actuals_the_reports_are_the_runs_use(issued, spool, run):
    report(issued, spool, "42")

    run = complete(run)

    assert rows_of(spool, "usage") == []
    assert material_of(run).actual_total_g == Decimal("42.00")
    assert spool.__class__.objects.get(pk=spool.pk).current_weight_g == Decimal("958.00")


def test_an_actual_below_the_reports_gives_the_difference_back(issued, spool, run):
    report(issued, spool, "50")

    complete(run, actual_model_g=Decimal("40.00"))

    assert rows_of(spool, "usage")[0].weight_change_g == Decimal("10.00")
    assert_ledger_balances(spool)
    assert spool.current_weight_g == Decimal("960.00")


def test_reopening_and_completing_again_never_charges_twice(issued, spool, run):
    report(issued, spool, "30")
    run = complete(run, actual_model_g=Decimal("50.00"))
    run = reopen_run(run=run, user=None)
    report(issued, spool, "10")  # the reopened run prints on

    complete(ProductionRun.objects.get(pk=run.pk), actual_model_g=Decimal("70.00"))

    assert_ledger_balances(spool)
    assert spool.current_weight_g == Decimal("930.00")


def test_failing_the_run_wastes_only_the_unreported_rest(issued, spool, run):
    report(issued, spool, "20")

    fail_run(
        run=run,
        user=None,
        failure=Failure(
            failure_reason="spaghetti",
            materials=(MaterialActuals(id=material_of(run).pk, actual_model_g=Decimal("25.00")),),
        ),
    )

    assert rows_of(spool, "waste")[0].weight_change_g == Decimal("-5.00")
    assert_ledger_balances(spool)
    assert spool.current_weight_g == Decimal("975.00")


def test_after_the_run_ended_a_late_report_is_booked_but_not_attributed(issued, spool, run):
    cancel_run(run=run, user=None)

    assert report(issued, spool, "3").production_run_id is None
