"""`production.services.complete_run`, `fail_run` and `reopen_run` called directly: the core rules."""

import datetime
from decimal import Decimal

import pytest

from core.errors import InvalidInput
from inventory.models import InventoryTransaction
from inventory.services import InsufficientStock
from production.models import ProductionRun, RunStatus
from production.services import Completion, Failure, InvalidTransition, cancel_run, complete_run, fail_run, reopen_run
from tests.support.ledger import assert_ledger_balances

pytestmark = pytest.mark.django_db

STARTED = datetime.datetime(2024, 5, 6, 8, 0, tzinfo=datetime.UTC)


@pytest.fixture
def spools(tenant, make_spool):
    return make_spool(tenant, code="S-1"), make_spool(tenant, code="S-2")


@pytest.fixture
def run(tenant, member, make_run, make_product, spools):
    return make_run(
        tenant,
        user=member,
        started_at=STARTED,
        items=[{"product": make_product(tenant), "quantity": 5}],
        materials=[
            {"spool": spools[0], "estimated_model_g": Decimal("30.00")},
            {"spool": spools[1], "estimated_model_g": Decimal("20.00"), "estimated_flushed_g": Decimal("2.50")},
        ],
    )


def actuals(run, **by_code):
    return [{"id": m.pk, "actual_model_g": by_code[m.spool.code]} for m in run.materials.select_related("spool")]


def test_ledger_invariant_holds_through_complete_reopen_complete(run, member, spools):
    assert_ledger_balances(*spools)

    complete_run(
        run=run,
        user=member,
        completion=Completion.from_data(
            {"materials": actuals(run, **{"S-1": Decimal("31.10"), "S-2": Decimal("19.90")})}
        ),
    )
    assert_ledger_balances(*spools)
    assert [s.current_weight_g for s in spools] == [Decimal("968.90"), Decimal("980.10")]

    reopen_run(run=run, user=member)
    assert_ledger_balances(*spools)
    assert [s.current_weight_g for s in spools] == [Decimal("1000.00"), Decimal("1000.00")]

    complete_run(
        run=run,
        user=member,
        completion=Completion.from_data(
            {"materials": actuals(run, **{"S-1": Decimal("5.00"), "S-2": Decimal("6.00")})}
        ),
    )
    assert_ledger_balances(*spools)
    assert [s.current_weight_g for s in spools] == [Decimal("995.00"), Decimal("994.00")]

    reopen_run(run=run, user=member)
    fail_run(
        run=run,
        user=member,
        failure=Failure.from_data(
            {
                "failure_reason": "spaghetti",
                "materials": actuals(run, **{"S-1": Decimal("1.00"), "S-2": Decimal("0")}),
            }
        ),
    )
    assert_ledger_balances(*spools)
    assert [s.current_weight_g for s in spools] == [Decimal("999.00"), Decimal("1000.00")]


def test_complete_run_sets_status_times_and_outcomes(run, member):
    completed_at = STARTED + datetime.timedelta(minutes=90)

    result = complete_run(
        run=run, user=member, completion=Completion.from_data({"use_estimates": True, "completed_at": completed_at})
    )

    run.refresh_from_db()
    assert result.pk == run.pk
    assert run.status == RunStatus.COMPLETED
    assert run.completed_at == completed_at
    assert run.duration_hours == Decimal("1.50")
    item = run.items.get()
    assert (item.successful_quantity, item.failed_quantity) == (5, 0)
    assert run.actual_total_g == run.estimated_total_g == Decimal("52.50")
    assert run.material_cost == (Decimal("52.50") * Decimal("0.0250")).quantize(Decimal("0.01"))
    assert run.cost_per_successful_unit == (run.material_cost / 5).quantize(Decimal("0.01"))


def test_complete_run_writes_usage_rows_with_the_run_and_user(run, member, spools):
    complete_run(run=run, user=member, completion=Completion.from_data({"use_estimates": True}))

    rows = InventoryTransaction.objects.filter(production_run=run)
    assert sorted(rows.values_list("type", flat=True)) == ["usage", "usage"]
    assert {row.user_id for row in rows} == {member.pk}
    assert {row.production_run_material_id for row in rows} == set(run.materials.values_list("pk", flat=True))
    assert {row.occurred_at for row in rows} == {ProductionRun.objects.get(pk=run.pk).completed_at}


def test_complete_run_refuses_a_completed_run(run, member, spools):
    complete_run(run=run, user=member, completion=Completion.from_data({"use_estimates": True}))
    rows = InventoryTransaction.objects.count()

    with pytest.raises(InvalidTransition) as refused:
        complete_run(run=run, user=member, completion=Completion.from_data({"use_estimates": True}))

    assert refused.value.code == "invalid_transition"
    completed = ProductionRun.objects.get(pk=run.pk).completed_at
    assert refused.value.extra == {"status": "completed", "completed_at": completed, "completed_by": member.username}
    assert InventoryTransaction.objects.count() == rows


def test_complete_run_sees_the_current_status_not_a_stale_instance(run, member):
    stale = ProductionRun.objects.get(pk=run.pk)
    complete_run(run=run, user=member, completion=Completion.from_data({"use_estimates": True}))

    with pytest.raises(InvalidTransition):
        complete_run(run=stale, user=member, completion=Completion.from_data({"use_estimates": True}))


def test_insufficient_stock_raises_before_any_write(run, member, spools):
    rows = InventoryTransaction.objects.count()

    with pytest.raises(InsufficientStock) as refused:
        complete_run(
            run=run,
            user=member,
            completion=Completion.from_data(
                {"materials": actuals(run, **{"S-1": Decimal("1"), "S-2": Decimal("1000.01")})}
            ),
        )

    assert refused.value.extra == {"spool": "S-2", "available_g": "1000.00", "required_g": "1000.01"}
    assert InventoryTransaction.objects.count() == rows
    assert_ledger_balances(*spools)
    assert [s.current_weight_g for s in spools] == [Decimal("1000.00"), Decimal("1000.00")]
    run.refresh_from_db()
    assert run.status == RunStatus.IN_PROGRESS
    assert not run.materials.filter(actual_model_g__isnull=False).exists()


def test_missing_actuals_name_the_spools(run, member):
    with pytest.raises(InvalidInput) as refused:
        complete_run(
            run=run,
            user=member,
            completion=Completion.from_data({"materials": actuals(run, **{"S-1": Decimal("1"), "S-2": None})}),
        )

    assert refused.value.code == "missing_actuals"
    assert refused.value.extra == {"materials": ["S-2"]}


def test_fail_run_writes_waste_only_for_used_materials(run, member, spools):
    fail_run(
        run=run,
        user=member,
        failure=Failure.from_data(
            {"failure_reason": "adhesion", "materials": actuals(run, **{"S-1": Decimal("3.30"), "S-2": None})}
        ),
    )

    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.failure_reason == "adhesion"
    (row,) = InventoryTransaction.objects.filter(production_run=run)
    assert (row.type, row.spool_id, row.weight_change_g) == ("waste", spools[0].pk, Decimal("-3.30"))
    item = run.items.get()
    assert (item.successful_quantity, item.failed_quantity) == (0, 5)
    assert_ledger_balances(*spools)


def test_reopen_run_reverses_only_rows_not_yet_reversed(run, member, spools):
    complete_run(run=run, user=member, completion=Completion.from_data({"use_estimates": True}))
    reopen_run(run=run, user=member)
    complete_run(run=run, user=member, completion=Completion.from_data({"use_estimates": True}))

    reopen_run(run=run, user=member)

    rows = InventoryTransaction.objects.filter(production_run=run)
    assert rows.filter(type="usage").count() == 4
    assert rows.filter(type="reversal").count() == 4
    for usage in rows.filter(type="usage"):
        assert usage.reversals.get().weight_change_g == -usage.weight_change_g
    assert_ledger_balances(*spools)


def test_reopen_run_refuses_in_progress_and_cancelled_runs(run, member):
    with pytest.raises(InvalidTransition):
        reopen_run(run=run, user=member)

    cancel_run(run=run, user=member)
    with pytest.raises(InvalidTransition) as refused:
        reopen_run(run=run, user=member)

    assert refused.value.extra == {"status": "cancelled"}
    assert not InventoryTransaction.objects.filter(production_run=run).exists()


def test_reopen_run_clears_the_outcome_of_a_failed_run(run, member):
    fail_run(run=run, user=member, failure=Failure.from_data({"failure_reason": "warping"}))

    reopen_run(run=run, user=member)

    run.refresh_from_db()
    assert (run.status, run.completed_at, run.duration_hours, run.failure_reason) == (
        RunStatus.IN_PROGRESS,
        None,
        None,
        "",
    )
