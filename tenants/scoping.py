"""Tenant scoping that fails closed: a tenant-owned model cannot be queried without a scope.

Every tenant-owned model's managers are `TenantScopedManager`s. Asking one for a queryset
(`Spool.objects.filter(...)`, `run.items.all()`, a prefetch, a serializer's choices...)
returns rows of the active tenant only, and RAISES `TenantScopeError` when no scope is
active. A scope is one of:

- `tenant_scope(tenant)`: the API enters it for the whole request once the tenant is
  resolved (`TenantScopedViewMixin`, into the ExitStack `TenantScopeMiddleware` owns, which
  closes it after the response is rendered);
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

`ProductionRun.all_objects` is a different hatch on another axis: it shows soft-deleted
runs, but it is scoped like every manager here (inside `all_tenants()` it shows every
tenant's runs, deleted ones included, which is what the admin uses).
"""

import logging
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar

from django.db import DatabaseError, models

from core.routers import replica_reads

logger = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

ALL_TENANTS = object()
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
    return None if active is ALL_TENANTS else active


class TenantScopedManager(models.Manager):
    """The manager of every tenant-owned model: the active scope's rows, or an error."""

    def get_queryset(self):
        queryset = super().get_queryset()
        active = _active_scope.get()
        if active is ALL_TENANTS:
            return queryset
        if active is None:
            raise TenantScopeError(
                f"{self.model.__name__} queried outside a tenant scope: run it in an API request, "
                "or wrap code that spans tenants in tenants.scoping.all_tenants()."
            )
        return queryset.filter(tenant_id=active)

    def none(self):
        # An empty queryset reveals nothing, and schema generation asks for one without a tenant.
        return super().get_queryset().none()


def request_scope_stack(request):
    """The ExitStack the request's scopes are entered into; closed once the response is rendered."""
    stack = getattr(request, "tenant_scope_stack", None)
    if stack is None:
        raise RuntimeError("tenants.scoping.TenantScopeMiddleware is not installed (see MIDDLEWARE).")
    return stack


@contextmanager
def request_scopes(request):
    """Owns the request's scope stack for as long as the request is handled."""
    with ExitStack() as stack:
        request.tenant_scope_stack = stack
        try:
            yield stack
        finally:
            del request.tenant_scope_stack


class TenantScopeMiddleware:
    """Gives each request an ExitStack for its tenant scope, open until the response is rendered.

    A token request's tenant is resolved here, before the view, in one query, and its scope
    entered into this stack (tenants/resolution.py `resolve_token_request`), so every view
    under this middleware runs in it. For any other request (a session) the tenant is known
    only after DRF authenticates (in the view), so the view enters `tenant_scope` into this
    stack. Django renders a DRF/template response inside `get_response`, so the browsable
    API's forms still query inside the scope. The admin's views run in `all_tenants()`: staff
    see every tenant (the admin checks staff itself).

    On PostgreSQL the stack also holds the request's transaction (tenants/row_security.py),
    so closing it commits: see `close_request_scopes`.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # A safe request's business reads may go to the read replica, when one is configured (core/routers.py).
        with replica_reads(request.method in SAFE_METHODS), request_scopes(request) as stack:
            response = self.get_response(request)
            close_request_scopes(request, stack, response)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if "admin" in request.resolver_match.namespaces:
            request.tenant_scope_stack.enter_context(all_tenants())
            return
        view_class = getattr(view_func, "cls", None)  # a DRF view's class
        if view_class is not None and not getattr(view_class, "tenant_scoped", False):
            return  # auth/token/, me/, the schema: no tenant needed, so none is looked up
        # A token request: token, user, membership and tenant in one query, then the tenant's scope
        # (and on PostgreSQL its row-security transaction) for the whole request, whatever the view.
        from tenants.resolution import enter_token_request  # resolution imports the models, which import this

        enter_token_request(request)


class ResponseFailed(Exception):
    """Thrown into the request's scopes for a 5xx answer: their transaction rolls back."""


def close_request_scopes(request, stack, response):
    """Close the scopes the request entered; on PostgreSQL this commits the request's transaction.

    - A 5xx answer (an exception Django turned into a response, a JSON 503) closes them
      as the exception would have: the transaction rolls back, so no error is answered
      for a change that stays.
    - A database error while closing (the commit of a killed connection) surfaces for a
      write, where the client must not be told the change happened: it becomes the JSON
      503 (or 409 `busy`) of core.middleware.DatabaseUnavailableMiddleware. A read's
      response is already complete and changed nothing: it is answered, and the error logged.
    """
    try:
        if response.status_code >= 500:
            try:
                with stack:
                    raise ResponseFailed(response.status_code)
            except ResponseFailed:
                pass
        else:
            stack.close()
    except DatabaseError:
        if request.method not in SAFE_METHODS:
            raise
        logger.warning("Database error closing a read's transaction; its response stands", exc_info=True)
