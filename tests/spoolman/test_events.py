"""A printer's report is a change like any other: its events are in the outbox, by the printer, once."""

import pytest

from events.models import Event

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
