"""The ledger invariant as a property: whatever the sequence of creates and adjustments, every spool balances."""

from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import InvalidInput
from inventory.models import InventoryTransaction, Material, Spool
from inventory.services import Adjustment, SpoolDraft, adjust_spool, create_spool
from tenants.models import Tenant
from tests.support.ledger import assert_ledger_balances

grams = st.decimals(min_value=Decimal("-1500"), max_value=Decimal("1500"), places=2, allow_nan=False)
weights = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("2000"), places=2, allow_nan=False)

create = st.tuples(st.just("create"), weights)
# Adjustments name a spool by position (modulo the spools created so far), as a delta or a new weight;
# deltas may well go below zero, which the service must refuse without writing anything.
adjust_by = st.tuples(st.just("delta"), st.integers(0, 10), st.sampled_from(["adjustment", "count", "waste"]), grams)
adjust_to = st.tuples(st.just("to"), st.integers(0, 10), st.sampled_from(["adjustment", "count", "waste"]), weights)
steps = st.lists(st.one_of(create, adjust_by, adjust_to), min_size=1, max_size=25)


@pytest.mark.django_db
@settings(max_examples=40, deadline=None)
@given(steps=steps)
def test_every_spool_balances_after_any_sequence_of_creates_and_adjustments(steps):
    # hypothesis runs every example inside one test (and one fixture set): each example makes its own
    # tenant inside a savepoint and rolls it back, so examples cannot see each other's spools.
    with transaction.atomic():
        run_example(steps)
        transaction.set_rollback(True)


def run_example(steps):
    tenant = Tenant.objects.create(slug="prop", name="Prop", run_prefix="PROP")
    material = Material.objects.create(tenant=tenant, name="PLA", kind="PLA")
    spools, expected, rows_written = [], {}, 0

    def new_spool(initial):
        spool = create_spool(
            tenant=tenant,
            user=None,
            draft=SpoolDraft(**{"code": f"P-{len(spools)}", "material": material, "initial_weight_g": initial}),
        )
        spools.append(spool)
        expected[spool.pk] = initial
        return 1

    for step in steps:
        if step[0] == "create":
            rows_written += new_spool(step[1])
            continue
        if not spools:
            rows_written += new_spool(Decimal("100.00"))
        kind, index, type_, amount = step
        spool = spools[index % len(spools)]
        target = expected[spool.pk] + amount if kind == "delta" else amount
        arguments = {"delta_g": amount} if kind == "delta" else {"new_weight_g": amount}
        if target < 0:
            with pytest.raises(InvalidInput):
                adjust_spool(spool=spool, user=None, adjustment=Adjustment(type=type_, **arguments))
        else:
            adjust_spool(spool=spool, user=None, adjustment=Adjustment(type=type_, **arguments))
            expected[spool.pk] = target
            rows_written += 1

    assert InventoryTransaction.objects.filter(tenant=tenant).count() == rows_written
    for spool in Spool.objects.filter(tenant=tenant):
        assert spool.current_weight_g == expected[spool.pk]
        assert_ledger_balances(spool)
