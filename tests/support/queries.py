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


def write_savepoint_statements():
    """What an API write's own savepoint costs under the test's transaction for a JSON client: on
    PostgreSQL none (the write runs in the request's row-security transaction, opened for it alone:
    core.api.writes `needs_savepoint`); on SQLite its savepoint and release (BEGIN/COMMIT in production)."""
    return 0 if connection.vendor == "postgresql" else 2


def token_request_statements():
    """What a token request's entry costs (tenants/resolution.py `enter_in_one_round_trip`).

    On PostgreSQL one message inside the request's transaction (the token's user and the role,
    the lookup that sets the tenant, the user's reset) plus, under the test's transaction, the
    savepoint, the reset of role and tenant at its end and the release. SQLite: the lookup.
    """
    return 4 if connection.vendor == "postgresql" else 1


def key_request_statements():
    """What a Spoolman request's entry costs (spoolman/api.py `enter_key`): as a token request's, one
    message on PostgreSQL (the key, whose row enters its tenant, and the role) plus, under the test's
    transaction, the savepoint, the reset of role and tenant and the release. SQLite: the key."""
    return token_request_statements()


def count_statements(captured):
    """The `COUNT(*)` statements among `captured`'s (a CaptureQueriesContext): a list's count."""
    return [query["sql"] for query in captured.captured_queries if "COUNT(*)" in query["sql"]]
