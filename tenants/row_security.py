"""The second wall: PostgreSQL itself shows an API request its tenant's rows only.

The first wall is the application's tenant scope (tenants/scoping.py). Under it, on
PostgreSQL, every tenant-owned table has row-level security (`TenantRowSecurity`, a
migration operation in tenants/operations.py) with one policy for reads and writes:

    tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid

and an API request with a tenant runs its queries in one transaction that starts with

    SELECT set_config('role', 'printfarm_app', true), set_config('app.tenant_id', '<uuid>', true)

(`SET LOCAL ROLE` and `SET LOCAL app.tenant_id`): `APP_ROLE` is a role the migrations
create (`ApplicationRole`), which owns no table and cannot bypass row security, so the
policy applies to it; with the setting unset it sees no tenant-owned row at all. Both
settings end with the transaction, so a pooled connection carries nothing to its next use.

Everything else runs as the connecting user, the tables' owner, whom PostgreSQL does not
hold to the policies (no `FORCE ROW LEVEL SECURITY`): migrations, management commands,
the staff admin and code in `all_tenants()`. That is the documented path that may see
every tenant's rows; it never runs for a tenant's API request.

Memberships carry a `tenant_id` too, and are read once before the tenant is known: to
resolve it. Their table has the tenant policy and a second one, for reads only, that shows a
user their own rows:

    user_id = NULLIF(current_setting('app.user_id', true), '')::integer

`own_rows(user)` runs each query of a block as `APP_ROLE` with `app.user_id` set (the
session path of tenants/resolution.py, the tenant switcher), and the token path sets it
from the token's digest. Both send the switch, the query and the restoring of the role in
one message: no round trip more than before. Neither sees another user's membership, nor
any tenant-owned row.

SQLite has no row-level security: it keeps the application-level wall only, and gets
no request transaction (its IMMEDIATE transactions would make every read a writer).
"""

import uuid
from contextlib import ExitStack, contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Func, TextField

from core.locking import write_start_sql, write_started

# Cluster-wide, like every PostgreSQL role: one role serves every database of the cluster.
APP_ROLE = "printfarm_app"
TENANT_SETTING = "app.tenant_id"
POLICY_NAME = "tenant_isolation"
USER_SETTING = "app.user_id"
OWN_ROWS_POLICY_NAME = "own_rows"
# The policy's condition: NULL, so no row, when the setting is unset or reset to ''.
TENANT_CONDITION = f"tenant_id = NULLIF(current_setting('{TENANT_SETTING}', true), '')::uuid"

ENTER_SQL = f"SELECT set_config('role', %s, true), set_config('{TENANT_SETTING}', %s, true)"
# The same without parameters (the role is a constant, the tenant a UUID), to share a round trip.
ENTER_LITERAL_SQL = f"SELECT set_config('role', '{APP_ROLE}', true), set_config('{TENANT_SETTING}', '{{tenant}}', true)"
# `role = none` is `RESET ROLE`: back to the connecting user.
RESET_SQL = f"SELECT set_config('role', 'none', true), set_config('{TENANT_SETTING}', '', true)"

# Around each query that reads through the own-rows policy, in the same message as the query:
# before it, the role in force is kept in a setting and the role and user are set; after it, restored.
PREVIOUS_ROLE_SETTING = "app.previous_role"
KEEP_ROLE_SQL = f"SELECT set_config('{PREVIOUS_ROLE_SETTING}', current_setting('role'), true)"
OWN_ROWS_BEFORE_SQL = (
    f"{KEEP_ROLE_SQL}; SELECT set_config('{USER_SETTING}', %s, true), set_config('role', '{APP_ROLE}', true)"
)
# The token path's: the user is the one the token's digest names ('' if none).
TOKEN_USER_SQL = (
    f"SELECT set_config('{USER_SETTING}', "
    "COALESCE((SELECT user_id::text FROM {tokens} WHERE digest = %s), ''), true), "
    f"set_config('role', '{APP_ROLE}', true)"
)
TOKEN_OWN_ROWS_BEFORE_SQL = f"{KEEP_ROLE_SQL}; {TOKEN_USER_SQL}"
OWN_ROWS_AFTER_SQL = (
    f"SELECT set_config('role', current_setting('{PREVIOUS_ROLE_SETTING}'), true), "
    f"set_config('{USER_SETTING}', '', true)"
)
STATEMENTS_BEFORE = 2  # the query's rows are the third result of the message
# Inside a tenant's request transaction, after its token lookup: the user only; the role stays,
# and the tenant policy alone applies (tenants/resolution.py `enter_in_one_round_trip`).
USER_RESET_SQL = f"SELECT set_config('{USER_SETTING}', '', true)"

# After a lookup whose row entered its tenant (`EnteringTenant`), in the same message: the role.
APP_ROLE_SQL = f"SELECT set_config('role', '{APP_ROLE}', true)"


class EnteringTenant(Func):
    """`set_config('app.tenant_id', <the row's tenant>, true)` in a lookup's SELECT: the row that is read
    enters the row security of the tenant it names, in the lookup's own statement.

    For a lookup that finds the tenant (the Spoolman key of a secret): inside the request's
    row-security transaction, the lookup runs as the connecting user (it reads across tenants), and
    `after_entering_sql` follows it in the same message, so the tenant's queries need no round trip
    of their own to enter it. Found nothing, the setting stays unset (no tenant's row is visible)
    and the caller rolls the transaction back. PostgreSQL evaluates a volatile function of the
    SELECT list after its ORDER BY and LIMIT, so only the row returned sets it.
    """

    arity = 1
    template = f"set_config('{TENANT_SETTING}', (%(expressions)s)::text, true)"
    output_field = TextField()


def after_entering_sql(*, write):
    """What follows a lookup that entered its tenant (`EnteringTenant`), in its message: the application
    role and, for a write, the write's bounds (core.locking.write_start_sql). No parameters."""
    return f"{APP_ROLE_SQL}; {write_start_sql()}" if write else APP_ROLE_SQL


def own_rows_condition(user_id_type):
    """The own-rows policy's condition, `user_id_type` the column's SQL type."""
    return f"user_id = NULLIF(current_setting('{USER_SETTING}', true), '')::{user_id_type}"


def has_row_security(using=DEFAULT_DB_ALIAS):
    return connections[using].vendor == "postgresql"


@contextmanager
def tenant_row_security(tenant, using=DEFAULT_DB_ALIAS, *, write=False):
    """The queries inside run in one transaction, as `APP_ROLE`, seeing `tenant`'s rows only.

    `write` (a POST, PUT, PATCH or DELETE): the same first round trip also starts the write
    (core.locking.write_start_sql: its lock and statement bounds, its constraints checked by
    each statement), which the write's own transaction then skips: one round trip less.

    On PostgreSQL only; elsewhere it does nothing. Nested in an outer transaction (the test
    suite's), the block is a savepoint whose end resets the role and the setting, so the
    outer transaction goes on as the connecting user. An exception rolls the savepoint
    back, and with it the settings.
    """
    if not has_row_security(using):
        yield
        return
    connection = connections[using]
    with row_security_transaction(using) as started:
        with connection.cursor() as cursor:
            if write:
                enter = ENTER_LITERAL_SQL.format(tenant=uuid.UUID(str(tenant.pk)))
                cursor.execute(f"{enter}; {write_start_sql()}")
                started.enter_context(write_started(connection))
            else:
                cursor.execute(ENTER_SQL, [APP_ROLE, str(tenant.pk)])
        yield


@contextmanager
def row_security_transaction(using=DEFAULT_DB_ALIAS):
    """The transaction a tenant's row security lives in; yields an ExitStack closed before it ends.

    Whoever enters it sets the role and `app.tenant_id` inside (`tenant_row_security`, or the
    token path's one round trip, tenants/resolution.py). Nested in an outer transaction (the
    test suite's), it is a savepoint whose end resets the role and the settings, so the outer
    transaction goes on as the connecting user; an exception rolls the savepoint back, and
    with it the settings.
    """
    connection = connections[using]
    nested = connection.in_atomic_block
    with transaction.atomic(using=using), ExitStack() as started:
        yield started
        if nested and not connection.needs_rollback:
            with connection.cursor() as cursor:
                cursor.execute(RESET_SQL)


@contextmanager
def own_rows(user, using=DEFAULT_DB_ALIAS):
    """The reads inside run as `APP_ROLE` with `app.user_id` set: the user's own memberships, no tenant's rows.

    For reading memberships before the tenant is known (or, inside a tenant's request, the
    user's memberships of other tenants: the tenant switcher). Each query inside is sent in
    one message with the statements that switch to the role and set the user before it and
    restore the role after it (`OWN_ROWS_BEFORE_SQL`, `OWN_ROWS_AFTER_SQL`): no round trip
    more, and the role and settings around it are as they were, inside a tenant's request
    too. For the ORM's reads of memberships (their SQL has no literal `%`). PostgreSQL only.
    """
    if not has_row_security(using):
        yield
        return

    def through_own_rows(execute, sql, params, many, context):
        result = execute(
            f"{OWN_ROWS_BEFORE_SQL}; {sql}; {OWN_ROWS_AFTER_SQL}", [str(user.pk), *(params or ())], many, context
        )
        for _statement in range(STATEMENTS_BEFORE):
            context["cursor"].nextset()  # to the query's rows
        return result

    with connections[using].execute_wrapper(through_own_rows):
        yield
