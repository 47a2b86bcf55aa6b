"""Real database faults in the middle of a request (PostgreSQL): its backend killed by another connection.

A fault is injected on the request's own connection by a hook on its SQL
(`connection.execute_wrapper`): at a statement named by its start (`fault_at`), before its
n-th statement (`fault_before_statement`), or right after its commit (`killed_after_commit`,
the first on-commit callback: before anything else the request would still run). Another
connection then ends the request's backend with `pg_terminate_backend`, as an operator or
the OOM killer would.

Django's test client does not run `close_old_connections` around a request as the
server's handler does; `next_request()` does it, so that, as in production (with
CONN_HEALTH_CHECKS), a connection whose backend died is replaced before it is used.
"""

from contextlib import contextmanager

import psycopg
from django.db import close_old_connections, connection, transaction

TERMINATE_WAIT_MS = 20_000  # under load the backend may take a while to exit: pg_terminate_backend waits for it


def next_request():
    """What Django's handler does between two requests: drop a connection whose backend is gone."""
    close_old_connections()


# --- the faults -----------------------------------------------------------------------------------


def terminate_backend(pid):
    """Another connection ends backend `pid` (as a superuser may) and waits until it has exited."""
    settings = connection.settings_dict
    with psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        autocommit=True,
    ) as other:
        (ended,) = other.execute("SELECT pg_terminate_backend(%s, %s)", [pid, TERMINATE_WAIT_MS]).fetchone()
    assert ended, f"backend {pid} did not exit"


def backend_pid(context):
    """The pid of the backend serving the request's connection (psycopg knows it: no query)."""
    return context["connection"].connection.info.backend_pid


@contextmanager
def fault_at(statement, fault, *, after=True):
    """Run `fault(execute, context)` once, right after (or before) the request's first `statement`.

    `statement` is the start of the SQL, e.g. `INSERT INTO "inventory_inventorytransaction"`.
    Yields a list that holds the pid of the backend the fault hit, once it has fired.
    """
    fired = []

    def hook(execute, sql, params, many, context):
        if fired or not sql.startswith(statement):
            return execute(sql, params, many, context)
        fired.append(backend_pid(context))
        if after:
            result = execute(sql, params, many, context)
            fault(execute, context)
            return result
        fault(execute, context)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(hook):
        yield fired
    assert fired, f"the request never ran {statement}"


def killed(execute, context):
    terminate_backend(backend_pid(context))


def killed_after_commit(execute, context):
    pid = backend_pid(context)
    transaction.on_commit(lambda: terminate_backend(pid))


def insert_into(model):
    return f'INSERT INTO "{model._meta.db_table}"'


def update_of(model):
    return f'UPDATE "{model._meta.db_table}"'


@contextmanager
def fault_before_statement(number, fault):
    """Run `fault(execute, context)` once, right before the request's `number`-th statement (0 first).

    Yields a list that holds the pid of the backend the fault hit, once it has fired (a request
    with fewer statements leaves it empty).
    """
    fired, seen = [], [0]

    def hook(execute, sql, params, many, context):
        if not fired and seen[0] == number:
            fired.append(backend_pid(context))
            fault(execute, context)
        seen[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(hook):
        yield fired


@contextmanager
def counted_statements():
    """Yields a list that holds, once the block ends, the SQL of every statement run inside it."""
    statements = []

    def hook(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(hook):
        yield statements


def pid_of_this_connection():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


@contextmanager
def fault_after_commit(fault):
    """Run `fault(execute, context)` right after the request's first transaction commits, before
    anything else it would run then (its first on-commit callback)."""
    fired = []

    def hook(execute, sql, params, many, context):
        if not fired and connection.in_atomic_block:
            fired.append(backend_pid(context))
            transaction.on_commit(lambda: fault(execute, context))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(hook):
        yield fired
