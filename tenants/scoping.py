"""Tenant scoping that fails closed: a tenant-owned model cannot be queried without a scope.

Every tenant-owned model's managers are `TenantScopedManager`s. Asking one for a queryset
(`Spool.objects.filter(...)`, `run.items.all()`, a prefetch, a serializer's choices...)
returns rows of the active tenant only, and RAISES `TenantScopeError` when no scope is
active. A scope is one of:

- `tenant_scope(tenant)`: the API enters it for the whole request once the tenant is
  resolved (`TenantScopedViewMixin`, into the ExitStack `TenantScopeMiddleware` owns
  (tenants/middleware.py), which closes it after the response is rendered);
- `all_tenants()`: THE escape hatch, greppable, for code that legitimately spans tenants:
  the Django admin (entered by the middleware for the admin's views), management
  commands, the benchmark harness and the test bodies (tests/conftest.py).

The check runs when the queryset is built, not when it is evaluated: a queryset built inside a
scope keeps its tenant filter wherever it is evaluated, and one built at import time (a class
attribute) raises at import, so views name the manager (`queryset = Model.objects`) and build
their querysets per request.

This is django-scopes' idea written for this project rather than the library: its disabled
queryset still runs `exists()` and `explain()` unscoped, and a custom queryset method
(`Spool.objects.with_material()`) outside a scope fails with an AttributeError instead of a
scope error; raising in `get_queryset` closes both.

A query that every request builds alike (a printer's spool by its number) can be compiled once
per process instead (`ScopedQuery`, core.prepared): it is built with every manager filtering by
a tenant *slot*, which each run fills with the tenant of the scope active then, so it fails
closed the same way.

`ProductionRun.all_objects` is a different hatch on another axis: it shows soft-deleted
runs, but it is scoped like every manager here (inside `all_tenants()` it shows every
tenant's runs, deleted ones included, which is what the admin uses).
"""

from collections.abc import Callable, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Protocol

from django.db import connections, models
from django.db.backends.base.base import BaseDatabaseWrapper

from core.prepared import PreparedQuery, Slot

ALL_TENANTS = object()
# The scope a `ScopedQuery` is built in: managers filter by this slot, filled at each run.
TENANT_SLOT = Slot("scope's tenant", models.UUIDField())
_active_scope = ContextVar("tenant_scope", default=None)


class TenantScopeError(RuntimeError):
    """A tenant-owned model was queried outside `tenant_scope()` and `all_tenants()`."""


@contextmanager
def _scoped(value):
    # Restores the previous value rather than resetting a token: under ASGI, asgiref copies the
    # view's context changes back to the middleware's context, where a token would not reset.
    previous = _active_scope.get()
    _active_scope.set(value)
    try:
        yield
    finally:
        _active_scope.set(previous)


@contextmanager
def tenant_scope(tenant):
    """Every tenant-owned query inside sees `tenant`'s rows only."""
    with _scoped(tenant.pk):
        yield


@contextmanager
def all_tenants():
    """The escape hatch: tenant-owned queries inside see every tenant's rows. Use sparingly."""
    with _scoped(ALL_TENANTS):
        yield


def active_tenant_id():
    """The scoped tenant's id; None when no scope or `all_tenants()` is active."""
    active = _active_scope.get()
    return None if active is ALL_TENANTS or active is TENANT_SLOT else active


def outside_scope(model: type[models.Model]) -> TenantScopeError:
    return TenantScopeError(
        f"{model.__name__} queried outside a tenant scope: run it in an API request, "
        "or wrap code that spans tenants in tenants.scoping.all_tenants()."
    )


def ensure_scope(model: type[models.Model]) -> None:
    """Raise as `model`'s manager would outside any scope: for a write compiled once (core.prepared), which
    asks no manager for a queryset."""
    active = _active_scope.get()
    if active is None or active is TENANT_SLOT:
        raise outside_scope(model)


class TenantScopedManager(models.Manager):
    """The manager of every tenant-owned model: the active scope's rows, or an error."""

    def get_queryset(self):
        queryset = super().get_queryset()
        active = _active_scope.get()
        if active is ALL_TENANTS:
            return queryset
        if active is None:
            raise outside_scope(self.model)
        return queryset.filter(tenant_id=active)

    def none(self):
        # An empty queryset reveals nothing, and schema generation asks for one without a tenant.
        return super().get_queryset().none()


class Prepared(Protocol):
    """A statement compiled once for a connection (core.prepared), run with its slots' values."""

    def run(self, connection: BaseDatabaseWrapper, values: Mapping[str, Any]) -> Any: ...


class ScopedQuery:
    """A queryset of tenant-owned rows built and compiled once per process, database and kind of scope.

    `build` makes the queryset with the slots (core.prepared.Slot) of its per-request values; each
    `run` answers what that queryset would, built in the scope active then. In a tenant's scope it
    is the one built where every scoped manager (its subqueries' too) filters by a tenant slot, as
    it would by the active tenant, and the run fills that slot with the scope's tenant; inside
    `all_tenants()` the one built there, with no tenant filter of the scope's; outside any scope
    it raises `TenantScopeError`, as a manager would.

    `prepare` compiles the queryset for a connection: a read (`PreparedQuery`, by default), or a
    write of its rows (e.g. `functools.partial(PreparedUpdate, fields=...)`: its run answers the count).
    """

    def __init__(
        self,
        build: Callable[[], models.QuerySet],
        prepare: Callable[[models.QuerySet, BaseDatabaseWrapper], Prepared] = PreparedQuery,
    ) -> None:
        self.build = build
        self.prepare = prepare
        # Never evaluated: they hold slots. Their `db` is where each run reads (the router's choice then).
        self.querysets: dict[object, models.QuerySet] = {}
        self.prepared: dict[tuple[str, object], Prepared] = {}
        self.model = self.queryset(TENANT_SLOT).model

    def queryset(self, scope: object) -> models.QuerySet:
        queryset = self.querysets.get(scope)
        if queryset is None:
            with _scoped(scope):
                queryset = self.querysets[scope] = self.build()
        return queryset

    def run(self, **values: object) -> Any:
        """The queryset's instances (or what its write answers), its slots filled with `values` (and the
        active scope's tenant)."""
        ensure_scope(self.model)
        active = _active_scope.get()
        scope = ALL_TENANTS if active is ALL_TENANTS else TENANT_SLOT
        if scope is TENANT_SLOT:
            values = {**values, TENANT_SLOT.name: active}
        queryset = self.queryset(scope)
        connection = connections[queryset.db]
        prepared = self.prepared.get((connection.alias, scope))
        if prepared is None:
            prepared = self.prepared[connection.alias, scope] = self.prepare(queryset, connection)
        return prepared.run(connection, values)


def request_scope_stack(request):
    """The ExitStack the request's scopes are entered into; closed once the response is rendered."""
    stack = getattr(request, "tenant_scope_stack", None)
    if stack is None:
        raise RuntimeError("tenants.middleware.TenantScopeMiddleware is not installed (see MIDDLEWARE).")
    return stack
