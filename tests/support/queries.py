"""Query budgets that depend on the database."""

from django.db import connection


def lock_wait_bounds(locks):
    """The `SET LOCAL lock_timeout` statements `locks` row locks cost (PostgreSQL only: SQLite queues writers)."""
    return locks if connection.vendor == "postgresql" else 0
