"""Concurrent reports, completions and creations lose nothing and charge nothing twice (PostgreSQL row locks)."""

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, transaction

from inventory.models import InventoryTransaction, Material, Spool
from production.models import ProductionRun
from production.services import Completion, MaterialActuals, complete_run
from spoolman import services
from tenants.scoping import all_tenants
from tests.conftest import postgres_only
from tests.support.ledger import assert_ledger_balances
from tests.support.threads import RowHeldByAnotherTransaction, run_together

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]

THREADS = 12


def test_concurrent_small_reports_add_up_to_what_was_reported(issued, spool):
    def report(i):
        return services.report_use(
            key=issued.key, report=services.UseReport(spool=Spool.objects.get(pk=spool.pk), grams=Decimal("0.255"))
        )

    run_together(THREADS, report)

    assert_ledger_balances(spool)
    assert spool.current_weight_g == Decimal("1000.00") - Decimal("3.06")  # 12 x 0.255 = 3.060
    assert spool.unbooked_use_g == Decimal("0")


def test_a_report_racing_the_runs_completion_is_charged_once(issued, tenant, make_run, make_product, printer, spool):
    run = make_run(
        tenant,
        printer=printer,
        items=[{"product": make_product(tenant, material_kind=""), "quantity": 1}],
        materials=[{"spool": spool, "estimated_model_g": Decimal("50.00")}],
    )
    material = run.materials.get()

    def work(i):
        if i == 0:
            return services.report_use(
                key=issued.key, report=services.UseReport(spool=Spool.objects.get(pk=spool.pk), grams=Decimal("20"))
            )
        return complete_run(
            run=ProductionRun.objects.get(pk=run.pk),
            user=None,
            completion=Completion(materials=(MaterialActuals(id=material.pk, actual_model_g=Decimal("60.00")),)),
        )

    run_together(2, work)

    # Either order: the report before completion is attributed and completion charges the rest (40 g);
    # after it, the report is the spool's alone (20 g more). The ledger balances in both.
    rows = assert_ledger_balances(spool)
    reported = InventoryTransaction.objects.get(spool=spool, type="printer_use")
    if reported.production_run_id == run.pk:
        assert spool.current_weight_g == Decimal("940.00")
    else:
        assert spool.current_weight_g == Decimal("920.00")
    assert len(rows) == 3


def test_concurrent_creations_get_distinct_numbers(tenant):
    def create(i):
        return Material.objects.create(tenant=tenant, name=f"M{i}", kind="PLA").number

    numbers = run_together(THREADS, create)

    assert sorted(numbers) == list(range(1, THREADS + 1))


def waiting_for_a_lock(seconds=10):
    """Whether another backend of this database is waiting for a row lock, within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.05)
    return False


def test_a_report_waits_for_its_run_s_lock_before_it_locks_the_spool(issued, tenant, make_run, printer, spool):
    # A completion locks the run, then the spools. A report that locked the spool and then waited for the
    # run would deadlock with it; it must wait for the run holding nothing the completion will need.
    run = make_run(tenant, printer=printer, materials=[{"spool": spool, "estimated_model_g": Decimal("50.00")}])
    reported = []

    def report():
        with all_tenants():
            reported.append(
                services.report_use(
                    key=issued.key, report=services.UseReport(spool=Spool.objects.get(pk=spool.pk), grams=Decimal("5"))
                )
            )
        connection.close()

    with RowHeldByAnotherTransaction(run):
        reporter = threading.Thread(target=report)
        reporter.start()
        assert waiting_for_a_lock()
        with transaction.atomic():  # as the completion would now: the spool is free
            Spool.objects.select_for_update(nowait=True).get(pk=spool.pk)
    reporter.join(30)

    (row,) = reported
    assert row.production_run_id == run.pk
