"""Which tenant a request acts for.

In order: the `X-Tenant` header, the `?tenant=` query parameter, the tenant this
browser session chose last, the user's only membership. Without any of them a user
of several tenants gets 400 `tenant_required`.

The session step serves the browsable API: a person switches tenant by following a
`?tenant=<slug>` link, and the pages they open next (whose links carry no parameter)
stay in that tenant. Only session-authenticated requests read or write that choice,
so a REST client's token never picks up a browser's tenant. The choice only moves
between the user's own memberships, and one they no longer hold is ignored.

Two paths lead here:

- A token request (`Authorization: Token <token>`) is resolved by `TenantScopeMiddleware`
  before the view, in ONE query (`resolve_token_request`: the token's digest joined to its
  user, the user's membership and its tenant), and the request's tenant scope and
  row-security transaction are entered for the whole request: any view under the
  middleware runs in the tenant's scope, and DRF's token authentication and
  `TenantScopedViewMixin` reuse the result instead of querying again. Only a success is
  taken there; every other case (an unknown, expired or malformed token, an inactive
  user, a tenant the user is not a member of, several memberships and no choice) is left
  to the path below, which answers exactly as before (401, 403, 400).
- Every other request (a browser session, the browsable API's tenant switch, a token the
  middleware did not resolve) is resolved inside DRF, after authentication, because such
  a user is only known there; `TenantScopedViewMixin.perform_authentication` calls
  `resolve_membership` for every tenant-scoped view.

Nothing is cached between requests: a revoked or expired token, a deactivated user, a
changed role or a removed membership takes effect on the next request.
"""

import binascii
import functools
import weakref
from contextlib import ExitStack

from django.contrib.auth import get_user_model
from django.core.validators import slug_re
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import knox_settings
from rest_framework.authentication import SessionAuthentication, get_authorization_header
from rest_framework.exceptions import APIException

from core.api.writes import WRITE_METHODS
from core.database import first_round_trip
from core.errors import ErrorCode
from core.locking import write_start_sql, write_started
from core.prepared import converted
from core.routers import business_read_alias
from core.tenancy import TENANT_HEADER as TENANT_HEADER_NAME
from core.tenancy import TENANT_QUERY_PARAM
from tenants.models import Membership, Tenant
from tenants.row_security import (
    OWN_ROWS_AFTER_SQL,
    STATEMENTS_BEFORE,
    TENANT_SETTING,
    TOKEN_OWN_ROWS_BEFORE_SQL,
    TOKEN_USER_SQL,
    USER_RESET_SQL,
    has_row_security,
    own_rows,
    row_security_transaction,
    tenant_row_security,
)
from tenants.scoping import request_scope_stack, tenant_scope
from tenants.time_zones import tenant_time_zone

TENANT_HEADER = "HTTP_" + TENANT_HEADER_NAME.upper().replace("-", "_")
SESSION_KEY = "active_tenant"


class TenantRequired(APIException):
    status_code = ErrorCode.TENANT_REQUIRED.status
    default_detail = "You belong to several tenants: name one with the X-Tenant header or ?tenant=<slug>."
    default_code = ErrorCode.TENANT_REQUIRED.value


class TenantForbidden(APIException):
    status_code = ErrorCode.TENANT_FORBIDDEN.status
    # The same answer for "no such tenant" and "not yours", so slugs cannot be probed.
    default_detail = "You are not a member of this tenant."
    default_code = ErrorCode.TENANT_FORBIDDEN.value


def requested_tenant_slug(request):
    return request.META.get(TENANT_HEADER) or request.query_params.get(TENANT_QUERY_PARAM) or None


def resolve_membership(request):
    """The authenticated user's membership of the tenant this request acts for.

    Read under the memberships' own-rows policy (tenants/row_security.py `own_rows`).
    """
    with own_rows(request.user):
        return _resolve_membership(request)


def _resolve_membership(request):
    memberships = Membership.objects.select_related("tenant").filter(user=request.user)
    slug = requested_tenant_slug(request)
    if slug:
        # A value no slug can have names no tenant; querying it could fail instead
        # (PostgreSQL refuses a NUL byte in a query parameter).
        membership = memberships.filter(tenant__slug=slug).first() if slug_re.match(slug) else None
        if membership is None:
            raise TenantForbidden()
        if not request.META.get(TENANT_HEADER):
            remember_tenant(request, membership)
        return membership
    remembered = remembered_membership(request, memberships)
    if remembered is not None:
        return remembered
    candidates = list(memberships[:2])
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise TenantForbidden("You are not a member of any tenant.")
    raise TenantRequired()


def token_request_key(request):
    """The knox digest and the named tenant slug (or None) of a token request this path may decide; else None.

    knox's own check is kept wherever it does more than read: an expired token (knox deletes
    it) and `AUTO_REFRESH` (knox extends it) go that way, and so does a token whose user is
    inactive. A slug no tenant can have is left to DRF's path too (PostgreSQL refuses a NUL
    byte in a parameter).
    """
    if knox_settings.AUTO_REFRESH:
        return None
    digest = token_digest(request)
    if digest is None:
        return None
    slug = request.META.get(TENANT_HEADER) or request.GET.get(TENANT_QUERY_PARAM) or None
    if slug is not None and not slug_re.match(slug):
        return None
    return digest, slug


def resolve_token_request(request):
    """The membership of a token request's user in the tenant it acts for, in one query; or None.

    The returned membership carries its `user` and `tenant`, and `token`, the request's
    `AuthToken` (for `request.auth`). None means "not decided here": DRF's authentication
    and `resolve_membership` then answer the request as they always have, errors included.
    """
    key = token_request_key(request)
    if key is None:
        return None
    digest, slug = key
    # Never a lagging replica: a revoked token, a changed role or a removed membership ends at once.
    connection = connections[DEFAULT_DB_ALIAS]
    lookup = token_lookup(connection.vendor, by_slug=slug is not None)
    params = lookup.params(digest, slug, connection)
    with connection.cursor() as cursor:
        if lookup.own_rows:
            # One round trip: the role and the token's user set for the own-rows policy, the query, the role restored.
            cursor.execute(lookup.sql, [digest, *params])
            for _statement in range(STATEMENTS_BEFORE):
                cursor.nextset()
        else:
            cursor.execute(lookup.sql, params)
        rows = cursor.fetchall()
    return lookup.membership(rows, connection)


class TokenLookup:
    """The one query of `resolve_token_request`, written once per database vendor.

    Written as SQL rather than built by the ORM for each request: building and compiling
    this four-table query cost about a millisecond of CPU per request, its round trip a
    few hundredths. The rows become model instances the ORM's way (the backend's and the
    fields' converters, then `Model.from_db`), so they are what a queryset would return.
    """

    MODELS = (Membership, Tenant, None, AuthToken)  # None: the user model, looked up when first used

    def __init__(self, vendor, *, by_slug):
        user_model = get_user_model()
        self.models = [user_model if model is None else model for model in self.MODELS]
        connection = connections[DEFAULT_DB_ALIAS]
        quote = connection.ops.quote_name
        aliases = ("m", "t", "u", "k")
        self.columns = [list(model._meta.concrete_fields) for model in self.models]
        pairs = [(alias, field) for alias, fields in zip(aliases, self.columns, strict=True) for field in fields]
        select = ", ".join(f"{alias}.{quote(field.column)}" for alias, field in pairs)
        # Per column: the converters a queryset would apply to it (SQLite's UUIDs and datetimes, say).
        self.converters = []
        for index, (_alias, field) in enumerate(pairs):
            column = field.get_col(field.model._meta.db_table)
            converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if converters:
                self.converters.append((index, (converters, column)))
        membership, tenant, user, token = (quote(model._meta.db_table) for model in self.models)
        joins = (
            f"FROM {token} k "
            f"INNER JOIN {user} u ON u.{quote('id')} = k.{quote('user_id')} "
            f"INNER JOIN {membership} m ON m.{quote('user_id')} = u.{quote('id')} "
            f"INNER JOIN {tenant} t ON t.{quote('id')} = m.{quote('tenant_id')} "
            f"WHERE k.{quote('digest')} = %s AND (k.{quote('expiry')} IS NULL OR k.{quote('expiry')} > %s) "
            f"AND u.{quote('is_active')} = %s" + (f" AND t.{quote('slug')} = %s LIMIT 1" if by_slug else " LIMIT 2")
        )
        self.sql = f"SELECT {select} {joins}"
        # On PostgreSQL the memberships are read as the application role, under their own-rows
        # policy (tenants/row_security.py): the statements before set the role and the token's
        # user, the one after restores the role (inside an outer transaction; otherwise all end together).
        self.own_rows = vendor == "postgresql"
        if self.own_rows:
            self.token_user_sql = TOKEN_USER_SQL.format(tokens=token)
            # The same query inside the request's row-security transaction (`enter_token_request`): it
            # also sets the tenant the rows name, only when there is exactly one (the window counts
            # the matches before LIMIT), so a token of several tenants and no choice sets none.
            entering_sql = (
                f"SELECT {select}, set_config('{TENANT_SETTING}', "
                f"CASE WHEN count(*) OVER () = 1 THEN t.{quote('id')}::text ELSE '' END, true) {joins}"
            )
            # Planning this four-table join costs PostgreSQL about 0.3 ms a request, several times its
            # execution, and the client waits that long for its answer (a wait that costs CPU too).
            # A prepared statement is planned once per database session (`entering_sql_for`).
            self.statement_name = f"printfarm_token_lookup_{'by_slug' if by_slug else 'only'}"
            self.prepare_sql = f"PREPARE {self.statement_name} AS {numbered_placeholders(entering_sql)}"
            placeholders = ", ".join(["%s"] * entering_sql.count("%s"))
            self.entering_sql = f"EXECUTE {self.statement_name}({placeholders})"
            self.sql = f"{TOKEN_OWN_ROWS_BEFORE_SQL.format(tokens=token)}; {self.sql}; {OWN_ROWS_AFTER_SQL}"

    def params(self, digest, slug, connection):
        """The lookup's parameters (after the own-rows statement's digest)."""
        params = [digest, connection.ops.adapt_datetimefield_value(timezone.now()), True]
        return params if slug is None else [*params, slug]

    def membership(self, rows, connection):
        """The membership the rows name, with its `user`, `tenant` and `token`; None unless exactly one."""
        # Without a choice, only a user of exactly one tenant has a tenant: two rows say "several".
        if len(rows) != 1:
            return None
        membership, tenant, user, token = self.instances(rows[0], connection)
        membership.tenant, membership.user, token.user = tenant, user, user
        membership.token = token
        return membership

    def instances(self, row, connection):
        """The row's membership, tenant, user and token (extra columns after theirs are ignored)."""
        values = converted(list(row), self.converters, connection)
        found, start = [], 0
        for model, fields in zip(self.models, self.columns, strict=True):
            # Every concrete field is selected: no field names needed (Django reads None so; its stubs do not).
            row_values = values[start : start + len(fields)]
            found.append(model.from_db(connection.alias, None, row_values))  # type: ignore[arg-type]
            start += len(fields)
        return found


@functools.cache
def token_lookup(vendor, *, by_slug):
    return TokenLookup(vendor, by_slug=by_slug)


def numbered_placeholders(sql):
    """`sql` with psycopg's `%s` placeholders as PostgreSQL's `$1`, `$2`, ... (the parameters of a PREPARE)."""
    pieces = sql.split("%s")
    return pieces[0] + "".join(f"${number}{piece}" for number, piece in enumerate(pieces[1:], 1))


# Per psycopg connection (one database session: a reconnection is a new object), the token
# lookups prepared in it. Prepared statements last as long as the session, whatever its
# transactions do (a rollback keeps them), and nothing in this project deallocates them.
_prepared_lookups: weakref.WeakKeyDictionary[object, set[str]] = weakref.WeakKeyDictionary()


def entering_sql_for(connection, lookup):
    """The lookup's `EXECUTE`, once its statement is prepared in the connection's database session.

    The PREPARE is the session's set-up, sent on the driver's own cursor as Django sends its
    connection's (time zone, role): it is not one of the request's statements. Its errors are
    Django's, so a connection lost since the last request is retried as the lookup would be.
    """
    prepared = _prepared_lookups.setdefault(connection.connection, set())
    if lookup.statement_name not in prepared:
        with connection.wrap_database_errors, connection.connection.cursor() as cursor:
            cursor.execute(lookup.prepare_sql)
        prepared.add(lookup.statement_name)
    return lookup.entering_sql


def enter_token_request(request):
    """Resolve a token request's tenant and enter its scope for the whole request.

    Sets on the Django request what DRF and the views read: `user`, `token_authentication`
    (DRF's `(user, token)`), `membership` and `tenant`. Does nothing when the request is
    not resolved here.

    On PostgreSQL (with the tenant's reads on the primary) the request's row-security
    transaction is opened first and entered in the same round trip as the lookup
    (`enter_in_one_round_trip`); elsewhere the lookup's query, then `enter_tenant`.
    """
    if has_row_security() and business_read_alias() == DEFAULT_DB_ALIAS:
        membership = enter_in_one_round_trip(request)
    else:
        membership = resolve_token_request(request)
        if membership is not None:
            enter_tenant(request, membership.tenant)
    if membership is None:
        return
    request.user = membership.user
    request.token_authentication = (membership.user, membership.token)
    request.membership, request.tenant = membership, membership.tenant


def enter_in_one_round_trip(request):
    """Token, user, membership and tenant read, and the tenant's row security entered, in one round trip.

    Inside the transaction, one string of statements: the token's user for the memberships'
    own-rows policy (and the application role), the lookup that also sets `app.tenant_id`, the
    user's reset and, for a write, the write's bounds (core.locking.write_start_sql). Two round
    trips (BEGIN, then the statements) where the two-step path took four (Django's connection
    health check, the lookup, BEGIN, the settings). The lookup is a statement prepared once per
    database session (`entering_sql_for`; its PREPARE is one round trip more, on the session's
    first token request). What the lookup does not decide is rolled back and left to DRF's path,
    as `resolve_token_request`'s None is.

    Django's connection health check is folded into the same round trip (core.database.first_round_trip).
    """
    key = token_request_key(request)
    if key is None:
        return None
    connection = connections[DEFAULT_DB_ALIAS]
    return first_round_trip(lambda: _enter_in_one_round_trip(request, connection, *key))


def _enter_in_one_round_trip(request, connection, digest, slug):
    lookup = token_lookup(connection.vendor, by_slug=slug is not None)
    write = request.method in WRITE_METHODS
    # One string of statements (the simple protocol runs them in order, in one round trip): the
    # token's user and the role, the lookup that sets the tenant, the user's reset, a write's bounds.
    with ExitStack() as entered:
        started = entered.enter_context(row_security_transaction(DEFAULT_DB_ALIAS))
        sql = f"{lookup.token_user_sql}; {entering_sql_for(connection, lookup)}; {USER_RESET_SQL}"
        if write:
            sql = f"{sql}; {write_start_sql()}"
        with connection.cursor() as cursor:
            cursor.execute(sql, [digest, *lookup.params(digest, slug, connection)])
            cursor.nextset()
            rows = cursor.fetchall()
        membership = lookup.membership(rows, connection)
        if membership is None:
            transaction.set_rollback(True)
            return None
        if write:
            started.enter_context(write_started(connection))
        stack = request_scope_stack(request)
        stack.enter_context(tenant_scope(membership.tenant))
        stack.enter_context(entered.pop_all())
        stack.enter_context(tenant_time_zone(membership.tenant))
    return membership


def enter_tenant(request, tenant):
    """The tenant's scope, and on PostgreSQL its row-security transaction, until the response is rendered."""
    stack = request_scope_stack(request)
    stack.enter_context(tenant_scope(tenant))
    # On the database the request's tenant-owned reads go to: the replica for a GET when there is one.
    write = request.method in WRITE_METHODS
    stack.enter_context(tenant_row_security(tenant, using=business_read_alias(), write=write))
    # Times in and out in the tenant's zone (tenants/time_zones.py).
    stack.enter_context(tenant_time_zone(tenant))


def token_digest(request):
    """The knox digest of the request's `Authorization: Token <token>`, or None for any other header."""
    parts = get_authorization_header(request).split()
    if len(parts) != 2 or parts[0].lower() != knox_settings.AUTH_HEADER_PREFIX.lower().encode():
        return None
    try:
        return hash_token(parts[1].decode("utf-8"))
    except (UnicodeDecodeError, TypeError, binascii.Error):
        return None


def uses_session(request):
    return isinstance(getattr(request, "successful_authenticator", None), SessionAuthentication)


def remember_tenant(request, membership):
    """Keep a `?tenant=` choice for the next pages of this browser session."""
    if uses_session(request) and request.session.get(SESSION_KEY) != membership.tenant.slug:
        request.session[SESSION_KEY] = membership.tenant.slug


def remembered_membership(request, memberships=None):
    """The membership of the tenant this browser session chose last, if the user still holds it."""
    slug = request.session.get(SESSION_KEY) if uses_session(request) else None
    if not slug:
        return None
    if memberships is None:
        with own_rows(request.user):
            return Membership.objects.select_related("tenant").filter(user=request.user, tenant__slug=slug).first()
    return memberships.filter(tenant__slug=slug).first()
