"""What database errors answer: a lost uniqueness race, a broken invariant, a lock wait, a lost connection."""

from contextlib import contextmanager
from decimal import Decimal
from unittest import mock

import psycopg.errors
import pytest
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import RestrictedError

from core.api.exceptions import exception_handler
from core.database import is_database_unavailable, is_lock_timeout
from inventory.models import InventoryTransaction, Spool
from tenants.serializers import TenantOwnedSerializer
from tests.conftest import postgres_only
from tests.support.threads import RowHeldByAnotherTransaction

pytestmark = pytest.mark.django_db


def integrity_error_of(write):
    """The IntegrityError the database raises for `write`, rolled back to a savepoint."""
    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        write()
    return raised.value


def driver_error(django_error, driver_exception, message):
    """A Django database error caused by a driver exception, as Django's wrapper raises it."""
    error = django_error(message)
    error.__cause__ = driver_exception
    return error


# --- integrity errors ---------------------------------------------------------------------------


def test_a_lost_per_tenant_uniqueness_race_is_a_field_error_on_that_field(tenant, make_spool):
    spool = make_spool(tenant, code="PLA-RED-001")
    error = integrity_error_of(
        lambda: Spool.objects.create(tenant=tenant, material=spool.material, code="PLA-RED-001", initial_weight_g=1)
    )

    response = exception_handler(error, {})

    assert response.status_code == 400
    assert response.data == {"code": ["A spool with this code already exists."]}


def test_the_api_answers_a_lost_uniqueness_race_on_the_field(manager_api, tenant, make_spool):
    """The serializer's check passed (the other request had not committed yet); the database refused."""
    spool = make_spool(tenant, code="PLA-RED-001")
    body = {"code": "PLA-RED-001", "material": str(spool.material_id), "initial_weight_g": "1000.00"}

    with mock.patch.object(TenantOwnedSerializer, "validate", lambda self, attrs: attrs):
        response = manager_api.post("/api/v1/spools/", body, format="json")

    assert response.status_code == 400, response.content
    assert list(response.json()) == ["code"]
    assert Spool.objects.filter(code="PLA-RED-001").count() == 1


def test_a_ledger_row_that_does_not_balance_is_not_disguised_as_a_client_error(tenant, make_spool):
    spool = make_spool(tenant)
    row = InventoryTransaction.objects.get(spool=spool)
    error = integrity_error_of(
        lambda: InventoryTransaction.objects.filter(pk=row.pk).update(weight_after_g=row.weight_after_g + 1)
    )

    with mock.patch("core.api.exceptions.logger") as logger:
        response = exception_handler(error, {})

    assert response is None  # DRF re-raises it: Django logs it and answers 500
    logger.error.assert_called_once()


def test_a_duplicate_ledger_position_is_not_a_client_error(tenant, make_spool):
    spool = make_spool(tenant)
    row = InventoryTransaction.objects.get(spool=spool)
    duplicate = {field.attname: getattr(row, field.attname) for field in InventoryTransaction._meta.concrete_fields}
    duplicate.pop("id")
    error = integrity_error_of(lambda: InventoryTransaction.objects.create(**duplicate))

    assert exception_handler(error, {}) is None


# --- lock waits and lost connections ---------------------------------------------------------------


def test_lock_timeouts_and_deadlocks_are_busy_and_nothing_else_is():
    assert is_lock_timeout(driver_error(OperationalError, psycopg.errors.LockNotAvailable(), "lock timeout"))
    assert is_lock_timeout(driver_error(OperationalError, psycopg.errors.DeadlockDetected(), "deadlock"))
    assert is_lock_timeout(OperationalError("database is locked"))  # SQLite's busy timeout
    lost = driver_error(OperationalError, psycopg.errors.AdminShutdown(), "terminating connection")
    assert not is_lock_timeout(lost)
    assert is_database_unavailable(lost)
    assert not is_database_unavailable(OperationalError("database is locked"))


def test_a_statement_that_ran_past_its_timeout_is_the_database_unavailable_not_busy():
    cancelled = driver_error(OperationalError, psycopg.errors.QueryCanceled(), "canceling statement due to timeout")

    assert not is_lock_timeout(cancelled)
    assert is_database_unavailable(cancelled)


@contextmanager
def raised_by_the_spool_s_locked_read(error):
    """`error` raised by `adjust/`'s read of its spool, which locks it (by its SQL: the read is compiled once per
    process, so patching the queryset that builds it would only fault the process's first request)."""

    def hook(execute, sql, params, many, context):
        if 'FROM "inventory_spool"' in sql:
            raise error
        return execute(sql, params, many, context)

    with connection.execute_wrapper(hook):
        yield


def test_a_lost_connection_while_locking_is_a_503_not_busy(manager_api, tenant, make_spool):
    spool = make_spool(tenant)
    lost = driver_error(OperationalError, psycopg.errors.AdminShutdown(), "terminating connection")

    with raised_by_the_spool_s_locked_read(lost):
        response = manager_api.post(f"/api/v1/spools/{spool.pk}/adjust/", {"type": "waste", "delta_g": "-1"})

    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"
    assert int(response["Retry-After"]) > 0


def test_a_lock_wait_that_runs_out_while_locking_is_busy(manager_api, tenant, make_spool):
    spool = make_spool(tenant)
    timeout = driver_error(OperationalError, psycopg.errors.LockNotAvailable(), "canceling statement: lock timeout")

    with raised_by_the_spool_s_locked_read(timeout):
        response = manager_api.post(f"/api/v1/spools/{spool.pk}/adjust/", {"type": "waste", "delta_g": "-1"})

    assert response.status_code == 409
    assert response.json()["code"] == "busy"
    assert InventoryTransaction.objects.filter(spool=spool).count() == 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_spool_held_by_another_transaction_answers_busy_after_the_lock_timeout(
    manager_api, tenant, make_spool, settings
):
    settings.LOCK_TIMEOUT_MS = 200
    spool = make_spool(tenant, initial_weight_g=Decimal("1000.00"))

    with RowHeldByAnotherTransaction(spool):
        response = manager_api.post(f"/api/v1/spools/{spool.pk}/adjust/", {"type": "waste", "delta_g": "-1"})

    assert response.status_code == 409, response.content
    assert response.json()["code"] == "busy"
    spool.refresh_from_db()
    assert spool.current_weight_g == Decimal("1000.00")


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_lock_timeout_is_set_for_the_locking_transaction_only(tenant, make_spool, settings):
    """SET LOCAL: the bound ends with the transaction, and the connection keeps the server's default."""
    settings.LOCK_TIMEOUT_MS = 1234
    spool = make_spool(tenant)
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        (default,) = cursor.fetchone()

    with transaction.atomic():
        from core.locking import lock_rows

        lock_rows(Spool.objects.filter(pk=spool.pk))
        with connection.cursor() as cursor:
            cursor.execute("SHOW lock_timeout")
            assert cursor.fetchone() == ("1234ms",)

    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        assert cursor.fetchone() == (default,)


def test_a_run_number_clash_is_a_broken_invariant_not_a_client_error(tenant, make_run):
    """Per tenant, but chosen by the server: a clash means the counter is broken, not the input."""
    first, second = make_run(tenant), make_run(tenant)
    error = integrity_error_of(
        lambda: type(second).all_objects.filter(pk=second.pk).update(run_number=first.run_number)
    )

    assert exception_handler(error, {}) is None


def test_a_delete_restricted_by_a_referrer_is_a_409_naming_it(tenant, make_spool):
    """RESTRICT (Django's RestrictedError, which names its rows `restricted_objects`) answers as PROTECT does."""
    spool = make_spool(tenant)

    response = exception_handler(RestrictedError("restricted", {spool}), {})

    assert response.status_code == 409
    assert response.data["code"] == "protected"
    assert "spools" in response.data["detail"]
