"""What a database error means to a client (a lock wait that ran out, a database that is away), and when it happens."""

from django.db import InterfaceError, OperationalError

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
