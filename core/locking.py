"""Row locking shared by the services, with its wait bounded where the lock is taken."""

from django.conf import settings
from django.db import connection

from core.database import is_lock_timeout
from core.errors import Conflict, ErrorCode


class RecordBusy(Conflict):
    default_code = ErrorCode.BUSY


def lock_rows(queryset, *, of=()):
    """Lock the rows of `queryset` in primary-key order and return them.

    `of` names the tables to lock when the queryset joins others (`select_related`): e.g.
    `("self",)` locks the queryset's own rows and only reads the joined ones.

    One statement in a fixed order means two transactions that lock overlapping
    sets cannot deadlock. On PostgreSQL the wait is bounded by `SET LOCAL
    lock_timeout` (settings.LOCK_TIMEOUT_MS) for the rest of this transaction only,
    so it covers this statement and the foreign-key checks that follow it, and no
    other connection's work; SQLite's writers queue on its busy timeout instead.
    A wait that runs out becomes a 409 `busy` the client can retry; any other
    database error (a lost connection) is left to the exception handler's 503.
    """
    bound_lock_wait()
    try:
        return list(queryset.select_for_update(of=of).order_by("pk"))
    except Exception as exc:
        if is_lock_timeout(exc):
            raise RecordBusy("The record is being changed by another request; try again.") from exc
        raise


def bound_lock_wait():
    _set_local(lock_timeout=settings.LOCK_TIMEOUT_MS)


def bound_write_transaction():
    """Bound this transaction's lock waits and each of its statements (PostgreSQL, `SET LOCAL`).

    The lock bound (settings.LOCK_TIMEOUT_MS) turns a wait for another request's row into
    a 409 `busy`; the statement bound (settings.STATEMENT_TIMEOUT_MS) ends a statement of a
    database that stopped answering (a stuck backend, storage that hangs), which becomes a
    503 `database_unavailable` (SQLSTATE 57014, core.database) instead of a request that
    never returns. The statement bound is the larger one, so a lock wait still runs out as
    `busy` first. One statement for both: an API write pays a single round trip for them.
    """
    _set_local(lock_timeout=settings.LOCK_TIMEOUT_MS, statement_timeout=settings.STATEMENT_TIMEOUT_MS)


def _set_local(**milliseconds):
    """`SET LOCAL` each named timeout for the rest of this transaction, in one statement (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        return
    calls = ", ".join("set_config(%s, %s, true)" for _ in milliseconds)
    values = [value for name, ms in milliseconds.items() for value in (name, f"{ms}ms")]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {calls}", values)
