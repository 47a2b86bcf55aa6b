"""What a database error means to a client (a lock wait that ran out, a database that is away), and when it happens."""

import logging
from collections.abc import Callable
from typing import TypeVar

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections

logger = logging.getLogger(__name__)

T = TypeVar("T")

# PostgreSQL's SQLSTATEs of a wait for other transactions that gave up: lock_not_available
# (a `lock_timeout` that ran out), deadlock_detected and serialization_failure. Retrying wins.
LOCK_WAIT_STATES = frozenset({"55P03", "40P01", "40001"})
# query_canceled: a statement that ran past its `statement_timeout` (settings.STATEMENT_TIMEOUT_MS),
# i.e. a database that stopped answering. Not a lock wait: the database is unavailable (503).
STATEMENT_TIMEOUT_STATE = "57014"


def sqlstate(exc):
    """The SQLSTATE of a database error (psycopg keeps it on the driver's exception), or None."""
    for cause in (exc, exc.__cause__):
        state = getattr(cause, "sqlstate", None)
        if state:
            return state
    return None


def is_lock_timeout(exc):
    """A lock wait that ran out (PostgreSQL's 55P03 and kin, SQLite's busy timeout): retry."""
    if not isinstance(exc, OperationalError):
        return False
    if sqlstate(exc) in LOCK_WAIT_STATES:
        return True
    return "database is locked" in str(exc) or "database table is locked" in str(exc)


def is_database_unavailable(exc):
    """Any other operational failure of the connection: refused, terminated, gone away, or a
    statement cancelled by its timeout (STATEMENT_TIMEOUT_STATE): a database that stopped answering."""
    return isinstance(exc, (OperationalError, InterfaceError)) and not is_lock_timeout(exc)


def first_round_trip(run: Callable[[], T], using: str = DEFAULT_DB_ALIAS) -> T:
    """`run()`, a request's first round trip to `using`, with Django's connection health check folded into it.

    `CONN_HEALTH_CHECKS` sends a `SELECT 1` before a reused connection's first query: a round trip
    of its own on every request. Here the first query is the check: on a connection that served an
    earlier request, a connection error from `run()` (a restarted database) closes the connection
    and `run()` goes once more on a new one, as the check would have had it. So `run()` must be
    safe to run again: its transaction is opened inside it and nothing of it was committed.
    """
    connection = connections[using]
    reused = connection.connection is not None and not connection.in_atomic_block
    if reused:
        # Django's own flag (BaseDatabaseWrapper.health_check_done), not in django-stubs.
        setattr(connection, "health_check_done", True)  # noqa: B010
    try:
        return run()
    except (OperationalError, InterfaceError):
        if not reused:
            raise
        logger.info("The database connection was lost since the last request; reconnecting")
        connection.close()
        return run()
