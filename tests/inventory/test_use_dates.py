"""A spool's `first_used`/`last_used`: stored, kept by the ledger's writer for its use rows (usage, waste,
printer_use), in the UPDATE that moves its weight."""

import datetime
from decimal import Decimal

from django.utils import timezone

from inventory.models import Spool, TransactionType
from inventory.services import Adjustment, Movement, adjust_spool, record_movements

EARLY = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
LATE = datetime.datetime(2024, 6, 1, tzinfo=datetime.UTC)


def stored(spool):
    row = Spool.objects.get(pk=spool.pk)
    return row.first_used, row.last_used


def test_a_new_spool_and_its_corrections_are_not_use(tenant, make_spool):
    spool = make_spool(tenant)
    adjust_spool(spool=spool, user=None, adjustment=Adjustment(type="count", new_weight_g=Decimal("990")))

    assert stored(spool) == (None, None)


def test_a_use_row_sets_both_dates_and_the_spool_in_hand(tenant, make_spool):
    spool = make_spool(tenant)
    before = timezone.now()

    adjust_spool(spool=spool, user=None, adjustment=Adjustment(type="waste", delta_g=Decimal("-5")))

    first, last = stored(spool)
    assert first == last and first >= before
    assert (spool.first_used, spool.last_used) == (first, last)


def test_a_later_use_moves_last_used_and_an_earlier_one_first_used(tenant, make_spool):
    spool = make_spool(tenant)
    use = [Movement(spool_id=spool.pk, type=TransactionType.USAGE, change_g=Decimal("-1"))]

    record_movements(movements=use, user=None, occurred_at=LATE)
    assert stored(spool) == (LATE, LATE)
    record_movements(movements=use, user=None, occurred_at=EARLY)
    assert stored(spool) == (EARLY, LATE)


def test_a_batch_sets_the_dates_of_the_spools_it_uses_only(tenant, make_spool):
    used, corrected = make_spool(tenant), make_spool(tenant)

    record_movements(
        movements=[
            Movement(spool_id=used.pk, type=TransactionType.PRINTER_USE, change_g=Decimal("-2")),
            Movement(spool_id=corrected.pk, type=TransactionType.ADJUSTMENT, change_g=Decimal("1")),
        ],
        user=None,
        occurred_at=LATE,
    )

    assert (stored(used), stored(corrected)) == ((LATE, LATE), (None, None))


def test_the_rest_api_shows_them_read_only_beside_lot_comment_and_extra(api, tenant, make_spool):
    spool = make_spool(tenant)
    record_movements(
        movements=[Movement(spool_id=spool.pk, type=TransactionType.USAGE, change_g=Decimal("-1"))],
        user=None,
        occurred_at=LATE,
    )

    response = api.patch(
        f"/api/v1/spools/{spool.pk}/",
        {"first_used": "2001-01-01T00:00:00Z", "lot_nr": "L-42", "comment": "Dry it", "extra": {"a": '"b"'}},
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["first_used"] == body["last_used"] and "2024-06-01" in body["first_used"]
    assert (body["lot_nr"], body["comment"], body["extra"]) == ("L-42", "Dry it", {"a": '"b"'})
    assert stored(spool) == (LATE, LATE)
