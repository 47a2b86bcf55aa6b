"""The PostgreSQL backend: django-prometheus' (queries, errors and connections for `/metrics`), with
psycopg's C loader for `timestamptz` where it answers what Django's would.

Django registers a loader of its own for `timestamptz` (django.db.backends.postgresql.psycopg_any
`BaseTzLoader`) so that every datetime read comes back in the connection's time zone. It is
psycopg's pure-Python loader plus a `replace(tzinfo=...)`: about 2.3 us a value where psycopg's
C loader takes 0.2 us, and a page of 20 spools reads about 50 of them (a tenth of a millisecond
of each spool list's CPU; issue 17). With Django's time zone support on and the connection in
UTC (its default: `DATABASES[...]["TIME_ZONE"]` unset), Django sets the session's `TimeZone` to
UTC when it connects and the C loader answers the same datetimes, `tzinfo` `datetime.timezone.utc`
(psycopg's own UTC): so it is used there, and Django's loader everywhere else.
"""

import datetime

from django_prometheus.db.backends.postgresql import base
from psycopg import adapters, pq
from psycopg.adapt import AdaptersMap

# psycopg's own loader of `timestamptz` text: the C one of psycopg_binary (the pure-Python one without it).
PSYCOPG_TIMESTAMPTZ_LOADER = adapters.get_loader(adapters.types["timestamptz"].oid, pq.Format.TEXT)


class UtcTimestamptzLoader:
    """psycopg's C `timestamptz` loader, with the `timezone` attribute Django's cursors check
    (`DatabaseWrapper.create_cursor` registers its own loader on a cursor whose zone differs).

    Not a subclass: psycopg's C loaders are final types. Its `load` is the C loader's own bound
    method, so reading a value runs no Python frame.
    """

    format = pq.Format.TEXT
    timezone = datetime.UTC

    def __init__(self, oid, context=None):
        assert PSYCOPG_TIMESTAMPTZ_LOADER is not None  # psycopg registers one for each built-in type
        self.load = PSYCOPG_TIMESTAMPTZ_LOADER(oid, context).load


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        if self.timezone is datetime.UTC:  # time zone support on, the connection's zone unset: UTC
            context = AdaptersMap(params["context"])  # Django's template (cached, shared), extended
            context.register_loader("timestamptz", UtcTimestamptzLoader)
            params["context"] = context
        return params
