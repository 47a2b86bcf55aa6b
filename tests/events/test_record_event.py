"""`record_event`: one row per change, written in the change's transaction, in one INSERT."""

import uuid

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from events.models import Event
from events.services import NewEvent, record_event, record_events

pytestmark = pytest.mark.django_db


def test_an_event_is_stored_with_its_actor_and_payload(tenant, member):
    resource_id = uuid.uuid4()

    event = record_event(
        tenant=tenant,
        type="spool.created",
        resource="spool",
        resource_id=resource_id,
        actor=member,
        payload={"code": "SP-001", "current_weight_g": "1000.00"},
    )

    stored = Event.objects.get(pk=event.pk)
    assert (stored.tenant, stored.type, stored.resource, stored.resource_id) == (
        tenant,
        "spool.created",
        "spool",
        resource_id,
    )
    assert (stored.actor, stored.actor_label) == (member, member.username)
    assert stored.payload == {"code": "SP-001", "current_weight_g": "1000.00"}


def test_an_integration_actor_is_named_by_its_label(tenant):
    event = record_event(
        tenant=tenant,
        type="spool.updated",
        resource="spool",
        resource_id=uuid.uuid4(),
        actor=None,
        payload={},
        actor_label="printer:Prusa A",
    )

    assert Event.objects.get(pk=event.pk).actor_label == "printer:Prusa A"
    assert Event.objects.get(pk=event.pk).actor is None


def test_several_events_of_one_write_cost_one_insert(tenant, member):
    with CaptureQueriesContext(connection) as queries:
        events = record_events(
            tenant=tenant,
            actor=member,
            events=[NewEvent("spool.adjusted", uuid.uuid4(), {}), NewEvent("spool.low_stock", uuid.uuid4(), {})],
        )

    assert len(queries) == 1
    assert [event.type for event in Event.objects.filter(pk__in=[e.pk for e in events]).order_by("id")] == [
        "spool.adjusted",
        "spool.low_stock",
    ]


def test_an_event_rolls_back_with_its_change(tenant):
    with pytest.raises(RuntimeError), transaction.atomic():
        record_event(
            tenant=tenant, type="run.created", resource="run", resource_id=uuid.uuid4(), actor=None, payload={}
        )
        raise RuntimeError("the change failed")

    assert not Event.objects.exists()


@pytest.mark.parametrize(
    ("type_", "resource"), [("spool.exploded", "spool"), ("run.created", "spool")], ids=["unknown", "mismatch"]
)
def test_an_unknown_type_or_a_mismatched_resource_is_a_programming_error(tenant, type_, resource):
    with pytest.raises(ValueError):
        record_event(tenant=tenant, type=type_, resource=resource, resource_id=uuid.uuid4(), actor=None, payload={})
    assert not Event.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL transaction ids")
def test_each_row_carries_its_writing_transactions_id(tenant):
    with transaction.atomic():
        event = record_event(
            tenant=tenant, type="run.created", resource="run", resource_id=uuid.uuid4(), actor=None, payload={}
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_xact_id()::text")
            [(current,)] = cursor.fetchall()

    assert Event.objects.get(pk=event.pk).xact_id == int(current)
    assert event.xact_id == int(current)  # returned by the INSERT itself
