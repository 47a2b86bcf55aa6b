"""Rules the services enforce themselves, whoever calls them (not only the serializers), and the
"not sent" versus "sent as null" contract of their change inputs."""

import datetime
from decimal import Decimal

import pytest

from core.changes import UNSET, sent
from core.errors import ErrorCode, InvalidInput
from inventory.services import SpoolChanges, update_spool
from production.services import (
    Completion,
    Failure,
    ItemOutcome,
    RunChanges,
    RunDraft,
    complete_run,
    create_run,
    fail_run,
    update_run,
)


def test_a_changes_input_names_only_the_fields_sent():
    assert sent(RunChanges()) == {}
    assert sent(RunChanges(printer=None, notes="x")) == {"printer": None, "notes": "x"}
    assert RunChanges().printer is UNSET


def test_a_changes_input_refuses_an_unknown_field():
    with pytest.raises(TypeError):
        RunChanges(run_number="X-1")


def test_printer_sent_as_null_clears_it_and_not_sent_keeps_it(tenant, make_run, make_printer):
    printer = make_printer(tenant)
    run = make_run(tenant, printer=printer)

    kept = update_run(run=run, user=None, changes=RunChanges(notes="n"))
    assert kept.printer_id == printer.pk

    cleared = update_run(run=run, user=None, changes=RunChanges(printer=None))
    assert cleared.printer_id is None


def test_update_spool_refuses_a_new_initial_weight(tenant, make_spool):
    spool = make_spool(tenant, initial_weight_g=Decimal("1000.00"))

    with pytest.raises(InvalidInput) as raised:
        update_spool(spool=spool, changes=SpoolChanges(initial_weight_g=Decimal("2000.00")))

    assert raised.value.code == ErrorCode.INITIAL_WEIGHT_FIXED
    spool.refresh_from_db()
    assert spool.initial_weight_g == Decimal("1000.00")


def test_update_spool_accepts_the_initial_weight_it_already_has(tenant, make_spool):
    spool = make_spool(tenant, initial_weight_g=Decimal("1000.00"))

    updated = update_spool(spool=spool, changes=SpoolChanges(initial_weight_g=Decimal("1000.00"), location="B2"))

    assert updated.location == "B2"


def test_create_run_refuses_a_status_other_than_the_initial_one(tenant, member):
    with pytest.raises(InvalidInput):
        create_run(tenant=tenant, user=member, draft=RunDraft(status="completed"))


def test_update_run_refuses_to_remove_the_start(tenant, make_run):
    run = make_run(tenant)

    with pytest.raises(InvalidInput):
        update_run(run=run, user=None, changes=RunChanges(started_at=None))


def test_fail_run_refuses_an_unknown_failure_reason(tenant, make_run):
    run = make_run(tenant)

    with pytest.raises(InvalidInput):
        fail_run(run=run, user=None, failure=Failure(failure_reason="gremlins"))

    run.refresh_from_db()
    assert run.status == "in_progress"


def test_an_outcome_count_not_sent_keeps_the_stored_one(tenant, make_run, make_product):
    run = make_run(tenant, items=[{"product": make_product(tenant), "quantity": 10, "failed_quantity": 2}])
    (item,) = run.items.all()

    complete_run(
        run=run,
        user=None,
        completion=Completion(
            use_estimates=True,
            completed_at=run.started_at + datetime.timedelta(hours=1),
            items=(ItemOutcome(id=item.pk, successful_quantity=7),),
        ),
    )

    item.refresh_from_db()
    assert (item.successful_quantity, item.failed_quantity) == (7, 2)
