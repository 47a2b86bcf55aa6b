"""The PostgreSQL backend (core/backends/postgresql): `timestamptz` read by psycopg's C loader answers
exactly what Django's own loader answers, and Django's loader stays wherever the two would differ."""

import datetime
import zoneinfo

import psycopg
import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.postgresql.psycopg_any import BaseTzLoader
from psycopg import pq

from tenants.models import Tenant

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL backend's datetime loader"),
]

VALUES = (
    "2026-01-01 10:00:00.5+05",
    "1999-12-31 23:59:59.999999-08",
    "2000-02-29 00:00:00+00",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
    "2026-03-29 02:30:00+02:00",
)
SELECT_VALUES = "SELECT " + ", ".join(f"'{value}'::timestamptz" for value in VALUES) + ", NULL::timestamptz"


class DjangoUtcLoader(BaseTzLoader):
    timezone = datetime.UTC


def read_values(*, loader=None):
    with connection.cursor() as cursor:
        if loader is not None:
            cursor.cursor.adapters.register_loader("timestamptz", loader)
        cursor.execute(SELECT_VALUES)
        return cursor.fetchone()


def test_a_timestamptz_is_read_as_django_reads_it():
    ours, djangos = read_values(), read_values(loader=DjangoUtcLoader)

    assert ours == djangos
    assert [value.tzinfo for value in ours[:-1]] == [datetime.UTC] * len(VALUES)
    assert [value.isoformat() for value in ours[:-1]] == [value.isoformat() for value in djangos[:-1]]
    assert ours[0] == datetime.datetime(2026, 1, 1, 5, 0, 0, 500000, tzinfo=datetime.UTC)
    assert ours[-1] is None


def test_the_connection_reads_timestamptz_with_psycopg_s_c_loader():
    connection.ensure_connection()
    adapters = connection.connection.adapters
    oid = adapters.types["timestamptz"].oid
    loader = adapters.get_loader(oid, pq.Format.TEXT)(oid, None)

    reading = type(loader.load.__self__)  # the loader whose method reads each value
    assert reading is psycopg.adapters.get_loader(oid, pq.Format.TEXT)
    assert reading.__module__.startswith("psycopg_binary")


def test_a_model_s_datetime_round_trips_in_utc():
    written = datetime.datetime(2026, 7, 1, 12, 30, 15, 123456, tzinfo=zoneinfo.ZoneInfo("Pacific/Auckland"))
    tenant = Tenant.objects.create(slug="kiwi", name="Kiwi", run_prefix="KIWI")
    Tenant.objects.filter(pk=tenant.pk).update(created_at=written)

    read = Tenant.objects.values_list("created_at", flat=True).get(pk=tenant.pk)

    assert read == written
    assert read.tzinfo is datetime.UTC


def test_a_connection_in_another_zone_keeps_django_s_loader():
    other = type(connections[DEFAULT_DB_ALIAS])({**connection.settings_dict, "TIME_ZONE": "Europe/Rome"}, alias="rome")
    context = other.get_connection_params()["context"]

    loader = context.get_loader(context.types["timestamptz"].oid, pq.Format.TEXT)

    assert issubclass(loader, BaseTzLoader)
    assert loader.timezone == zoneinfo.ZoneInfo("Europe/Rome")
