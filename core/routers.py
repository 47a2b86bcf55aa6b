"""An optional read replica: a request's safe reads of business data go to it, everything else to the primary.

Active when `DATABASE_REPLICA_URL` is set (settings: the `replica` alias,
`READ_REPLICA_ALIAS`, `READ_REPLICA_APPS`). Then, for the length of a GET, HEAD or
OPTIONS request (`TenantScopeMiddleware` enters `replica_reads`):

- reads of the business apps' models (`READ_REPLICA_APPS`: inventory, production) go to
  the replica; the request's row-security transaction is opened there (tenants/resolution.py),
  so PostgreSQL holds the replica's reads to the tenant as it does the primary's;
- a read inside a transaction of the primary (a write, and what it reads) stays on the
  primary, and so does every write;
- users, tokens, memberships, tenants, sessions, the cache and the login limit are read
  from the primary: a revoked token or a changed role takes effect at once, whatever the
  replica's lag.

Every other request (a write, the admin, a management command) uses the primary only.
A replica shows the primary's data as of its replication lag: a client that writes and
then reads at once may not see its write there (the write's own response shows it).
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

_reads = ContextVar("replica_reads", default=None)


@contextmanager
def replica_reads(enabled=True):
    """Inside: the business apps' reads go to the replica (when one is configured and `enabled`)."""
    alias = getattr(settings, "READ_REPLICA_ALIAS", None) if enabled else None
    previous = _reads.get()
    _reads.set(alias)
    try:
        yield
    finally:
        _reads.set(previous)


def business_read_alias():
    """Where a read of a business app's model goes now: the replica inside `replica_reads`, else the primary."""
    alias = _reads.get()
    if alias is None or connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    return alias


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if model._meta.app_label in getattr(settings, "READ_REPLICA_APPS", ()):
            return business_read_alias()
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the primary's rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS
