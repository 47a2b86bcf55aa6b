"""`record_event`: one row per change, written in the change's transaction, in one INSERT."""

import uuid

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

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
            webhooks_active=False,  # known to the caller: no check
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


def record(tenant):
    return record_event(
        tenant=tenant, type="run.created", resource="run", resource_id=uuid.uuid4(), actor=None, payload={}
    )


def test_a_transaction_hands_its_tenants_events_to_the_worker_once_inside_it(tenant, make_webhook):
    make_webhook(tenant)
    with transaction.atomic():
        record(tenant)
        record(tenant)
        [task] = DBTaskResult.objects.all()  # before the commit: it commits with the events

    assert task.task_path == "events.tasks.dispatch_events"
    assert task.args_kwargs["args"] == [str(tenant.pk)]


def test_without_webhooks_the_check_costs_one_query_and_queues_nothing(tenant):
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        record(tenant)

    webhook_checks = [query for query in queries if '"events_webhook"' in query["sql"]]
    assert len(webhook_checks) == 1
    assert not DBTaskResult.objects.exists()


def test_a_rolled_back_write_queues_no_dispatch(tenant, make_webhook):
    make_webhook(tenant)

    class Refused(Exception):
        pass

    with pytest.raises(Refused), transaction.atomic():
        record(tenant)
        raise Refused

    assert not DBTaskResult.objects.exists()


def test_nothing_of_an_event_s_write_runs_after_its_commit(tenant, make_webhook, django_capture_on_commit_callbacks):
    # A query after the commit could fail (the database lost) and turn the committed write into an error answer.
    make_webhook(tenant)
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        record(tenant)

    with CaptureQueriesContext(connection) as queries:
        for callback in callbacks:
            callback()

    assert len(queries) == 0
    assert DBTaskResult.objects.count() == 1
