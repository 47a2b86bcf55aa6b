"""The request's scopes: the middleware that owns them for the whole request, and how they close.

It sits above the scoping primitives (tenants/scoping.py) and the token resolution
(tenants/resolution.py), which it calls: scoping <- models <- resolution <- middleware, one way.
"""

import logging
from contextlib import ExitStack, contextmanager

from django.db import DatabaseError

from core.routers import replica_reads
from tenants.resolution import enter_token_request
from tenants.scoping import all_tenants

logger = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


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
