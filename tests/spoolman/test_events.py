"""A printer's report is a change like any other: its events are in the outbox, by the printer, once."""

import pytest
from django.db import connection

from events.models import Event
from spoolman.consumers import spool_messages
from tests.conftest import postgres_only
from tests.support.webhooks import poll

pytestmark = pytest.mark.django_db


def spool_events(spool):
    return list(Event.objects.filter(resource_id=spool.pk).exclude(type="spool.created").order_by("id"))


def test_a_use_report_records_one_spool_adjusted_event_by_the_printer(spoolman, spool, printer):
    spoolman.put(f"spool/{spool.number}/use", {"use_weight": 10})

    (event,) = spool_events(spool)
    assert (event.type, event.actor, event.actor_label) == ("spool.adjusted", None, f"printer:{printer.name}")
    assert event.payload["current_weight_g"] == "990.00"


def test_a_report_crossing_into_low_stock_and_empty_records_those_too(spoolman, spool):
    spoolman.put(f"spool/{spool.number}/use", {"use_weight": 850})  # below 20 % of 1000 g
    spoolman.put(f"spool/{spool.number}/use", {"use_weight": 500})  # beyond what is left

    assert [event.type for event in spool_events(spool)] == [
        "spool.adjusted",
        "spool.low_stock",
        "spool.adjusted",
        "spool.empty",
    ]


def test_a_refused_report_records_nothing(spoolman, spool):
    spoolman.put(f"spool/{spool.number}/use", {"use_weight": -1})

    assert spool_events(spool) == []


@postgres_only
@pytest.mark.django_db(transaction=True)  # the feed serves only events of ended transactions
def test_the_websocket_serves_spool_changes_in_commit_order_past_a_late_commit(
    spoolman, tenant, spool, make_spool, pla
):
    # Two reports whose transactions ended in the other order than their ids were taken (made
    # so by giving the first a later transaction id): a reader whose cursor is past the second
    # id must still get the first change, which the feed orders after it.
    other = make_spool(tenant, pla, code="OTHER")
    spoolman.put(f"spool/{spool.number}/use", {"use_weight": 10})
    spoolman.put(f"spool/{other.number}/use", {"use_weight": 20})
    first, second = spool_events(spool)[0], spool_events(other)[0]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE events_event SET xact_id = (%s)::text::xid8 WHERE id = %s", [str(second.xact_id + 1), first.pk]
        )

    messages, cursor = poll(lambda: spool_messages(tenant, second.pk), lambda result: result[0])

    assert [message["payload"]["id"] for message in messages] == [spool.number]
    assert cursor == first.pk
