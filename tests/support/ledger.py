"""The ledger invariant, checked the same way wherever a test moves stock."""

from decimal import Decimal

from inventory.models import InventoryTransaction


def ledger_rows(spool):
    return list(InventoryTransaction.objects.filter(spool=spool).order_by("sequence"))


def assert_ledger_balances(*spools):
    """Each spool's ledger is one unbroken chain from zero that adds up to its weight; returns the last one's rows.

    The rows start with the purchase and are numbered 1..n; each starts where the one before
    ended (the first at 0 g), ends at its start plus its change and never below zero; the spool
    weighs what the last row says and what the changes sum to, and has counted every row.
    """
    rows = []
    for spool in spools:
        spool.refresh_from_db()
        rows = ledger_rows(spool)
        assert rows, f"{spool.code}: no ledger row, not even its purchase"
        assert rows[0].type == "purchase", spool.code
        assert [row.sequence for row in rows] == list(range(1, len(rows) + 1)), spool.code
        previous_after = Decimal("0")
        for row in rows:
            assert row.weight_before_g == previous_after, (spool.code, row.sequence)
            assert row.weight_after_g == row.weight_before_g + row.weight_change_g, (spool.code, row.sequence)
            assert row.weight_after_g >= 0, (spool.code, row.sequence)
            previous_after = row.weight_after_g
        assert spool.current_weight_g == previous_after == sum((row.weight_change_g for row in rows), Decimal("0")), (
            spool.code
        )
        assert spool.ledger_version == len(rows), spool.code
    return rows
