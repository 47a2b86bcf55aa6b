"""The bench's own database: created when missing, migrated, and emptied on start."""

from pathlib import Path

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from psycopg import sql


class NotAThrowawayDatabase(SystemExit):
    pass


def prepare_database():
    """Make the configured database exist, migrated and empty; return its vendor."""
    db = settings.DATABASES["default"]
    name = str(db["NAME"])
    # The harness deletes everything in it: refuse a name that does not say it is a bench database.
    if "bench" not in Path(name).name:
        raise NotAThrowawayDatabase(
            f"Refusing to benchmark in {name!r}: its data would be deleted. "
            "Use a throwaway database whose name contains 'bench', e.g. .../pf_bench."
        )
    if connection.vendor == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(name + suffix).unlink(missing_ok=True)
    elif connection.vendor == "postgresql":
        create_postgres_database(db)
    call_command("migrate", interactive=False, verbosity=0)
    if connection.vendor != "sqlite":
        call_command("flush", interactive=False, verbosity=0)
    return connection.vendor


def create_postgres_database(db):
    """CREATE DATABASE through the `postgres` maintenance database when it does not exist yet."""
    params = {"host": db["HOST"], "port": db["PORT"], "user": db["USER"], "password": db["PASSWORD"]}
    params = {key: value for key, value in params.items() if value}
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as maintenance:
        exists = maintenance.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone()
        if not exists:
            maintenance.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))


def database_version():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]}"
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            return f"SQLite {cursor.fetchone()[0]}"
    return connection.vendor


def analyze():
    """Planner statistics for the fresh data, as autovacuum (or a long-lived SQLite file) would have them."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
