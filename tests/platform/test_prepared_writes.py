"""The writes compiled once per process (core.prepared: `insert_rows`, `PreparedUpdate`) send the SQL the ORM
sends and store the rows it stores, field by field, on each database; and they fail closed like the
managers they stand for."""

import contextvars
import datetime
import functools
import re
import uuid
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from core.prepared import PreparedUpdate, Slot, insert_rows
from events.models import Event, Webhook
from events.services import NewEvent, active_webhook_lookup, record_events
from inventory.models import InventoryTransaction, Spool, TransactionType
from inventory.services import spool_update
from tenants.scoping import ScopedQuery, TenantScopeError, all_tenants, tenant_scope

MOMENT = datetime.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=datetime.UTC)


def stored(model, pk):
    """Every column of the row as the ORM reads it back."""
    with all_tenants():
        return model.objects.values(*(field.attname for field in model._meta.concrete_fields)).get(pk=pk)


def written_both_ways(model, make_rows):
    """The rows of `make_rows()` written by the ORM's `bulk_create` (then rolled back) and by `insert_rows`,
    each with the SQL it sent and the rows as stored; `make_rows` builds equal rows at each call."""
    results = []
    for write in (model._base_manager.bulk_create, functools.partial(insert_rows, model)):
        rows = make_rows()
        with transaction.atomic():
            with CaptureQueriesContext(connection) as queries:
                write(rows)
            read = [stored(model, row.pk) for row in rows]
            transaction.set_rollback(True)
        results.append(([query["sql"] for query in queries.captured_queries], rows, read))
    return results


@pytest.fixture
def spool(tenant, make_spool):
    return make_spool(tenant, initial_weight_g=Decimal("1000.00"))


def ledger_rows(spool, user, count, *, run_id=None):
    """`count` rows as `record_movements` builds them, with fixed ids: equal at each call."""
    return [
        InventoryTransaction(
            id=uuid.UUID(int=index + 1),
            tenant_id=spool.tenant_id,
            spool=spool,
            sequence=spool.ledger_version + 1 + index,
            type=TransactionType.PRINTER_USE,
            weight_before_g=Decimal("1000.00"),
            weight_change_g=Decimal("-0.01") * (index + 1),
            weight_after_g=Decimal("1000.00") - Decimal("0.01") * (index + 1),
            production_run_id=run_id,
            production_run_material_id=None,
            user=user,
            description=f"row {index} with ünïcode",
            occurred_at=MOMENT,
            reversal_of_id=None,
            printer_id=None,
            source="moonraker",
            excess_g=Decimal("0.25"),
        )
        for index in range(count)
    ]


@pytest.mark.parametrize("count", [1, 3])
def test_a_ledger_row_is_written_as_the_orm_writes_it(tenant, spool, member, count):
    with tenant_scope(tenant):
        (orm_sql, _, orm_rows), (prepared_sql, rows, prepared_rows) = written_both_ways(
            InventoryTransaction, lambda: ledger_rows(spool, member, count)
        )

    assert prepared_sql == orm_sql and len(orm_sql) == 1
    assert prepared_rows == orm_rows
    assert orm_rows[0]["weight_after_g"] == Decimal("999.99") and orm_rows[0]["user_id"] == member.pk
    assert all(not row._state.adding and row._state.db == "default" for row in rows)


def test_a_single_ledger_row_is_written_as_its_save_wrote_it(tenant, spool, member):
    """`record_movements` saved one movement's row with `save(force_insert=True)`: the same SQL and row."""
    with tenant_scope(tenant), transaction.atomic():
        (row,) = ledger_rows(spool, member, 1)
        with CaptureQueriesContext(connection) as saved:
            row.save(force_insert=True)
        orm_row = stored(InventoryTransaction, row.pk)
        transaction.set_rollback(True)
    with tenant_scope(tenant), transaction.atomic():
        (row,) = ledger_rows(spool, member, 1)
        with CaptureQueriesContext(connection) as inserted:
            insert_rows(InventoryTransaction, [row])
        assert stored(InventoryTransaction, row.pk) == orm_row
        transaction.set_rollback(True)

    assert [query["sql"] for query in inserted.captured_queries] == [query["sql"] for query in saved.captured_queries]


def events(tenant, user, count):
    payload = {"id": str(uuid.UUID(int=8)), "grams": Decimal("12.50"), "at": MOMENT, "nested": {"list": [1, None, "ü"]}}
    return [
        Event(
            tenant_id=tenant.pk,
            type="spool.adjusted",
            resource="spool",
            resource_id=uuid.UUID(int=7),
            occurred_at=MOMENT,
            actor=user if index % 2 else None,
            actor_label="someone",
            payload=payload,
        )
        for index in range(count)
    ]


@pytest.mark.parametrize("count", [1, 2])
def test_events_are_written_as_the_orm_writes_them_with_their_ids_returned(tenant, member, count):
    with tenant_scope(tenant):
        (orm_sql, orm_events, orm_rows), (prepared_sql, written, prepared_rows) = written_both_ways(
            Event, lambda: events(tenant, member, count)
        )

    assert prepared_sql == orm_sql and len(orm_sql) == 1
    # The ids come from the database (and differ); every other column, the transaction's id included, is the ORM's.
    assert [row.pop("id") for row in prepared_rows] == [event.pk for event in written]
    assert all(isinstance(event.pk, int) for event in written)
    assert [row.pop("id") for row in orm_rows] == [event.pk for event in orm_events]
    assert prepared_rows == orm_rows
    assert orm_rows[0]["payload"]["grams"] == "12.50" and orm_rows[0]["payload"]["nested"] == {"list": [1, None, "ü"]}
    assert [event.xact_id for event in written] == [row["xact_id"] for row in prepared_rows]
    assert all(not event._state.adding and event._state.db == "default" for event in written)


def test_an_insert_refuses_a_row_that_sets_a_column_it_leaves_to_the_database(tenant, member):
    (event,) = events(tenant, member, 1)
    event.xact_id = 1

    with tenant_scope(tenant), pytest.raises(ValueError, match="leaves to the database"):
        insert_rows(Event, [event])


WEIGHT_FIELDS = ("current_weight_g", "ledger_version", "updated_at", "unbooked_use_g", "first_used", "last_used")
WEIGHTS = {
    "current_weight_g": Decimal("987.65"),
    "ledger_version": 42,
    "updated_at": MOMENT,
    "unbooked_use_g": Decimal("0.004321"),
    "first_used": MOMENT - datetime.timedelta(days=1),
    "last_used": MOMENT,
}


def test_a_spool_s_update_is_the_orm_s_update(tenant, spool):
    results = []
    for update in (
        lambda: Spool.objects.filter(pk=spool.pk).update(**WEIGHTS),
        lambda: spool_update(WEIGHT_FIELDS).run(spool=spool.pk, **WEIGHTS),
    ):
        with tenant_scope(tenant), transaction.atomic():
            with CaptureQueriesContext(connection) as queries:
                count = update()
            results.append(([query["sql"] for query in queries.captured_queries], count, stored(Spool, spool.pk)))
            transaction.set_rollback(True)

    (orm_sql, orm_count, orm_row), (prepared_sql, prepared_count, prepared_row) = results
    # Its WHERE's values are slots, which Django's lookups put in parentheses as they do any expression.
    assert [re.sub(r"= \(('[0-9a-f]+'(::uuid)?)\)", r"= \1", sql) for sql in prepared_sql] == orm_sql
    assert '"tenant_id"' in orm_sql[0]
    assert prepared_count == orm_count == 1
    assert prepared_row == orm_row
    assert {name: orm_row[name] for name in WEIGHTS} == WEIGHTS


def test_a_spool_s_update_writes_only_the_scope_s_tenant_s_rows(tenant, other_tenant, make_spool):
    theirs = make_spool(other_tenant)

    with tenant_scope(tenant):
        assert spool_update(WEIGHT_FIELDS).run(spool=theirs.pk, **WEIGHTS) == 0
    assert stored(Spool, theirs.pk)["current_weight_g"] == Decimal("1000.00")
    with all_tenants():
        assert spool_update(WEIGHT_FIELDS).run(spool=theirs.pk, **WEIGHTS) == 1
    assert stored(Spool, theirs.pk)["current_weight_g"] == Decimal("987.65")


def test_prepared_writes_refuse_to_run_outside_a_scope(tenant, spool, member):
    update = ScopedQuery(
        lambda: Spool.objects.filter(pk=Slot("spool", Spool._meta.pk)),
        functools.partial(PreparedUpdate, fields=("location",)),
    )
    with pytest.raises(TenantScopeError, match="Spool queried outside a tenant scope"):
        contextvars.Context().run(update.run, spool=spool.pk, location="Gone")

    unscoped = functools.partial(
        record_events,
        tenant=tenant,
        actor=member,
        events=[NewEvent("spool.adjusted", spool.pk, {})],
        webhooks_active=False,
    )
    with pytest.raises(TenantScopeError, match="Event queried outside a tenant scope"):
        contextvars.Context().run(unscoped)


def test_the_webhook_check_answers_what_exists_answers(tenant, other_tenant, make_webhook):
    def both():
        with all_tenants():
            exists = Webhook.objects.filter(tenant_id=tenant.pk, is_active=True).exists()
            return bool(active_webhook_lookup().run(tenant=tenant.pk)), exists

    assert both() == (False, False)
    make_webhook(other_tenant)
    inactive = make_webhook(tenant, is_active=False)
    assert both() == (False, False)
    inactive.is_active = True
    inactive.save()
    assert both() == (True, True)
