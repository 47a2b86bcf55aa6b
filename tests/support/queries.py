"""Query budgets that depend on the database."""

from django.db import connection


def lock_wait_bounds(locks):
    """The `SET LOCAL lock_timeout` statements `locks` row locks cost (PostgreSQL only: SQLite queues writers)."""
    return locks if connection.vendor == "postgresql" else 0


def row_security_statements():
    """What a tenant API request's row-security transaction costs here (PostgreSQL only; SQLite has none).

    In production: BEGIN, `set_config(role, app.tenant_id)`, COMMIT, of which only the
    `set_config` is a query Django counts. Under the test's transaction the request's
    transaction is a savepoint: savepoint, `set_config`, the reset of role and setting
    at its end, release (tenants/row_security.py).
    """
    return 4 if connection.vendor == "postgresql" else 0
