"""Row locking shared by the services, with its wait bounded where the lock is taken."""

from contextlib import contextmanager

from django.conf import settings
from django.db import connection, transaction

from core.database import is_lock_timeout
from core.errors import Conflict, ErrorCode


class RecordBusy(Conflict):
    default_code = ErrorCode.BUSY


_WRITE_STATE = "printfarm_api_write"


def lock_rows(queryset, *, of=(), pks=None):
    """Lock the rows of `queryset` in primary-key order and return them.

    `of` names the tables to lock when the queryset joins others (`select_related`): e.g.
    `("self",)` locks the queryset's own rows and only reads the joined ones.

    `pks`, when the caller knows them (the queryset is `pk__in=pks`): rows the API write's
    view already read and locked for this write (`lock_on_read`) are handed over without a
    second read, so an API write locks each row on its first read.

    One statement in a fixed order means two transactions that lock overlapping
    sets cannot deadlock. On PostgreSQL the wait is bounded by `SET LOCAL
    lock_timeout` (settings.LOCK_TIMEOUT_MS) for the rest of this transaction only,
    so it covers this statement and the foreign-key checks that follow it, and no
    other connection's work; SQLite's writers queue on its busy timeout instead.
    A wait that runs out becomes a 409 `busy` the client can retry; any other
    database error (a lost connection) is left to the exception handler's 503.
    """
    if pks is not None:
        held = held_rows(queryset.model, pks)
        if held is not None:
            return held
    bound_lock_wait()
    with busy_on_lock_timeout():
        return list(queryset.select_for_update(of=of).order_by("pk"))


@contextmanager
def busy_on_lock_timeout():
    """A lock wait that runs out inside becomes a 409 `busy`; other database errors pass (a 503)."""
    try:
        yield
    except Exception as exc:
        if is_lock_timeout(exc):
            raise RecordBusy("The record is being changed by another request; try again.") from exc
        raise


def bound_lock_wait():
    """Bound this transaction's lock waits, unless the API write it belongs to already did."""
    if _write_state() is None:
        _set_local(lock_timeout=settings.LOCK_TIMEOUT_MS)


def bound_write_transaction():
    """Start a write on PostgreSQL: bound its lock waits and statements, check its constraints at once.

    One round trip for three settings, all ending with the transaction:
    - the lock bound (`SET LOCAL lock_timeout`, settings.LOCK_TIMEOUT_MS) turns a wait for
      another request's row into a 409 `busy`;
    - the statement bound (`SET LOCAL statement_timeout`, settings.STATEMENT_TIMEOUT_MS) ends
      a statement of a database that stopped answering (a stuck backend, storage that hangs),
      which becomes a 503 `database_unavailable` (SQLSTATE 57014, core.database) instead of a
      request that never returns. It is the larger one, so a lock wait runs out as `busy` first;
    - `SET CONSTRAINTS ALL IMMEDIATE`: the foreign keys are `DEFERRABLE INITIALLY DEFERRED`, which
      PostgreSQL would check (and wait for a referenced row another transaction holds) at the
      COMMIT of the request's transaction, after the response is rendered
      (tenants/row_security.py); checked by each statement of the write instead, a refusal or
      a lock wait is the view's error, rolls the write back and maps to its answer.
    The values are integers from the settings, written into the SQL: a statement with
    parameters could not carry the `SET CONSTRAINTS` in the same round trip.
    A request's row-security transaction that starts for a write already ran this SQL in its
    first round trip (`write_started`, tenants/row_security.py): then it costs nothing here.
    """
    if connection.vendor != "postgresql" or in_transaction_started_for_write():
        return
    with connection.cursor() as cursor:
        cursor.execute(write_start_sql())


WRITE_STARTED = "printfarm_write_started"


def in_transaction_started_for_write():
    """Whether this connection's transaction was opened for one write and started it (`write_started`): a
    request's row-security transaction (PostgreSQL), which holds that write and the reads before it only."""
    return getattr(connection, WRITE_STARTED, False)


def write_start_sql():
    """`bound_write_transaction`'s statements: no parameters, so they may share a round trip."""
    lock_ms, statement_ms = int(settings.LOCK_TIMEOUT_MS), int(settings.STATEMENT_TIMEOUT_MS)
    return (
        "SET CONSTRAINTS ALL IMMEDIATE; "
        f"SELECT set_config('lock_timeout', '{lock_ms}ms', true), "
        f"set_config('statement_timeout', '{statement_ms}ms', true)"
    )


@contextmanager
def write_started(database):
    """Inside: `database`'s transaction already ran `write_start_sql()`, so a write inside skips it."""
    previous = getattr(database, WRITE_STARTED, False)
    setattr(database, WRITE_STARTED, True)
    try:
        yield
    finally:
        setattr(database, WRITE_STARTED, previous)


@contextmanager
def api_write_transaction(*, savepoint=True):
    """The transaction of one API write (core.writes), bounded once for all its locks.

    `savepoint` False: nested in the request's transaction, the write is no savepoint of its
    own (two statements fewer), for a caller whose request's transaction holds nothing else and
    whose error answer runs no query: an error inside then rolls the whole request's
    transaction back, at its end.

    Inside it:
    - `bound_lock_wait` costs nothing: the `SET LOCAL` at its start covers the rest of the
      transaction, every savepoint inside included (a savepoint's rollback undoes only the
      settings made after it);
    - `write_step` blocks are no savepoints: any error inside ends the whole write (the view
      catches none; a keyed request's handler has its own savepoint), so rolling back to a
      savepoint of the step would never be used;
    - a row the view reads with `lock_on_read` is handed to the service's first `lock_rows`
      of it instead of being read again.
    """
    with transaction.atomic(savepoint=savepoint):
        bound_write_transaction()
        previous = _write_state()
        # Kept on the connection: the write's state is per connection, as its transaction is.
        setattr(connection, _WRITE_STATE, {"held": {}})
        try:
            yield
        finally:
            setattr(connection, _WRITE_STATE, previous)


def write_step():
    """The atomic block of a service step: a savepoint, except inside an API write (see above)."""
    return transaction.atomic(savepoint=_write_state() is None)


def lock_on_read(read):
    """`read()` (a queryset read of one row, e.g. a view's `get_object`) under `FOR UPDATE`,
    inside an API write: the row is locked by the read that finds it, and handed over to the
    service's `lock_rows` of it. Only for a row the service locks first and alone, so the
    order of locks stays the services' (primary key) order. Outside an API write, `read()`.
    """
    state = _write_state()
    if state is None:
        return read()
    state["reading"] = True
    try:
        with busy_on_lock_timeout():
            instance = read()
    finally:
        state["reading"] = False
    state["held"][(instance._meta.label, instance.pk)] = instance
    return instance


def locking_read():
    """`lock_on_read` is reading: the row it reads is to be read `FOR UPDATE OF` its own table."""
    state = _write_state()
    return state is not None and bool(state.get("reading"))


def locking_queryset(queryset):
    """`queryset` with `FOR UPDATE OF` its own table when `lock_on_read` is reading (else unchanged)."""
    return queryset.select_for_update(of=("self",)) if locking_read() else queryset


def held_rows(model, pks):
    """The rows of `model` with these `pks` that the API write's view already read and locked for this
    write (`lock_on_read`), in primary-key order, handed over once; None unless it holds them all.
    For a caller that would build a costly queryset only to have `lock_rows` hand them over."""
    state = _write_state()
    if state is None or not pks:
        return None
    held = state["held"]
    keys = [(model._meta.label, pk) for pk in pks]
    if not all(key in held for key in keys):
        return None
    # Once: a later lock in the same write reads the rows again, as they are then.
    return sorted((held.pop(key) for key in keys), key=lambda instance: instance.pk)


def _write_state():
    return getattr(connection, _WRITE_STATE, None)


def _set_local(**milliseconds):
    """`SET LOCAL` each named timeout for the rest of this transaction, in one statement (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        return
    calls = ", ".join("set_config(%s, %s, true)" for _ in milliseconds)
    values = [value for name, ms in milliseconds.items() for value in (name, f"{ms}ms")]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {calls}", values)
