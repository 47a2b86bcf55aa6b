"""Migration operations that make PostgreSQL refuse a reference across tenants, or a row of another tenant.

Every tenant-owned row carries `tenant_id`. A reference between two tenant-owned tables
is then also declared as a composite foreign key `(tenant_id, x_id) -> x (tenant_id, id)`,
beside Django's own `x_id -> x (id)`: the database itself refuses a row of one tenant
pointing at another tenant's row, whatever the application does. The target needs a
`UNIQUE (tenant_id, id)` key for that (`TenantKey`).

Both are PostgreSQL-only (other databases get nothing: SQLite cannot add a constraint to
an existing table) and change no model state. Like Django's foreign keys they are
`DEFERRABLE INITIALLY DEFERRED`, and MATCH SIMPLE, so a NULL reference stays optional.
Later migrations reuse them for their own tables:

    operations = [
        TenantKey("production.RunEvent"),                      # if other rows will point at it
        SameTenantReference("production.RunEvent", "run"),     # productionrun already has its key
        TenantRowSecurity("production.RunEvent"),              # every tenant-owned table: see below
    ]

Row-level security (tenants/row_security.py) is built the same way: `ApplicationRole`
(once, tenants 0002) creates the role the API's queries run as, and `TenantRowSecurity`
enables the tenant policy on one tenant-owned table. A new tenant-owned model needs its
`TenantRowSecurity` in the migration that creates its table (and a dependency on
tenants 0002); tests/platform/test_row_security.py fails for any table with a `tenant_id`
without it. `OwnRowsPolicy` adds, to a table that has it, a read policy for a user's own
rows (memberships: read to resolve the tenant, before it is known).
"""

from django.db.migrations.operations.base import Operation

from tenants.row_security import APP_ROLE, OWN_ROWS_POLICY_NAME, POLICY_NAME, TENANT_CONDITION, own_rows_condition


class _PostgresOnlyOperation(Operation):
    reduces_to_sql = True
    reversible = True

    def state_forwards(self, app_label, state):
        pass  # database-only: the models do not change

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            run(schema_editor, self.forwards_sql(schema_editor, to_state.apps))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            run(schema_editor, self.backwards_sql(schema_editor, from_state.apps))


def run(schema_editor, sql):
    """One statement or a list of them; without parameters, so `%` in a DO block is plain text."""
    for statement in [sql] if isinstance(sql, str) else sql:
        schema_editor.execute(statement, params=None)


def tenant_key_name(schema_editor, table):
    return schema_editor._create_index_name(table, ["tenant_id", "id"], suffix="_tenant_key")


class TenantKey(_PostgresOnlyOperation):
    """`UNIQUE (tenant_id, id)` on a tenant-owned table: what a same-tenant reference points at."""

    def __init__(self, model):
        self.model = model  # "app_label.ModelName"

    def deconstruct(self):
        return self.__class__.__name__, [self.model], {}

    def describe(self):
        return f"Unique (tenant_id, id) on {self.model} (PostgreSQL)"

    def forwards_sql(self, schema_editor, apps):
        table = apps.get_model(self.model)._meta.db_table
        name = tenant_key_name(schema_editor, table)
        return (
            f"ALTER TABLE {schema_editor.quote_name(table)} ADD CONSTRAINT {schema_editor.quote_name(name)} "
            f"UNIQUE ({schema_editor.quote_name('tenant_id')}, {schema_editor.quote_name('id')})"
        )

    def backwards_sql(self, schema_editor, apps):
        table = apps.get_model(self.model)._meta.db_table
        name = tenant_key_name(schema_editor, table)
        return f"ALTER TABLE {schema_editor.quote_name(table)} DROP CONSTRAINT {schema_editor.quote_name(name)}"


class SameTenantReference(_PostgresOnlyOperation):
    """`model.field` may only point at a row of the same tenant: a composite foreign key.

    The target model must have its `TenantKey` (from this or an earlier migration).
    """

    def __init__(self, model, field):
        self.model, self.field = model, field  # "app_label.ModelName", "foreign_key_name"

    def deconstruct(self):
        return self.__class__.__name__, [self.model, self.field], {}

    def describe(self):
        return f"Same-tenant foreign key {self.model}.{self.field} (PostgreSQL)"

    def parts(self, schema_editor, apps):
        field = apps.get_model(self.model)._meta.get_field(self.field)
        table, column = field.model._meta.db_table, field.column
        name = constraint_name(schema_editor, table, column)
        return table, column, field.related_model._meta.db_table, name

    def forwards_sql(self, schema_editor, apps):
        table, column, target, name = self.parts(schema_editor, apps)
        q = schema_editor.quote_name
        return (
            f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} "
            f"FOREIGN KEY ({q('tenant_id')}, {q(column)}) REFERENCES {q(target)} ({q('tenant_id')}, {q('id')}) "
            "MATCH SIMPLE DEFERRABLE INITIALLY DEFERRED"
        )

    def backwards_sql(self, schema_editor, apps):
        table, _column, _target, name = self.parts(schema_editor, apps)
        return f"ALTER TABLE {schema_editor.quote_name(table)} DROP CONSTRAINT {schema_editor.quote_name(name)}"


def constraint_name(schema_editor, table, column):
    """The composite foreign key's name: Django's scheme, hashed to fit PostgreSQL's 63 characters."""
    return schema_editor._create_index_name(table, ["tenant_id", column], suffix="_same_tenant")


class ApplicationRole(_PostgresOnlyOperation):
    """The role the API's tenant queries run as (`SET LOCAL ROLE`): row security applies to it.

    Created only if missing (roles are cluster-wide: another database of the cluster may
    have made it), NOLOGIN (it is only ever switched to) and refused if it exists with
    SUPERUSER or BYPASSRLS. The migrating user is made a member, so that it may switch to
    it; the application must connect as that user (or another member that owns the
    tables). The role gets the data privileges on every table and sequence of the schema,
    and by default on those the migrating user creates later (`createcachetable`, new
    migrations). It owns nothing, so the policies bind it.

    Reversed, the privileges of this database are revoked and the role is dropped unless
    another database of the cluster still grants it something.
    """

    def deconstruct(self):
        return self.__class__.__name__, [], {}

    def describe(self):
        return f"Role {APP_ROLE} for row-level security (PostgreSQL)"

    def forwards_sql(self, schema_editor, apps):
        return [CREATE_APP_ROLE_SQL]

    def backwards_sql(self, schema_editor, apps):
        return [DROP_APP_ROLE_SQL]


# Roles are cluster-wide: two databases' migrations may race to create it.
CREATE_APP_ROLE_SQL = f"""DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
        BEGIN
            CREATE ROLE {APP_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}' AND (rolsuper OR rolbypassrls)) THEN
        RAISE EXCEPTION 'role {APP_ROLE} exists with SUPERUSER or BYPASSRLS: row security would not bind it';
    END IF;
    IF NOT pg_has_role(current_user, '{APP_ROLE}', 'MEMBER') THEN
        GRANT {APP_ROLE} TO current_user;
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO {APP_ROLE}', current_schema());
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO {APP_ROLE}', current_schema());
    EXECUTE format('GRANT USAGE ON ALL SEQUENCES IN SCHEMA %I TO {APP_ROLE}', current_schema());
    EXECUTE format(
        'ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE}',
        current_schema()
    );
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE ON SEQUENCES TO {APP_ROLE}', current_schema());
END
$$"""

DROP_APP_ROLE_SQL = f"""DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
        RETURN;
    END IF;
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE ALL ON SEQUENCES FROM {APP_ROLE}', current_schema());
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE ALL ON TABLES FROM {APP_ROLE}', current_schema());
    EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM {APP_ROLE}', current_schema());
    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM {APP_ROLE}', current_schema());
    EXECUTE format('REVOKE ALL ON SCHEMA %I FROM {APP_ROLE}', current_schema());
    BEGIN
        DROP ROLE {APP_ROLE};
    EXCEPTION WHEN dependent_objects_still_exist THEN
        RAISE NOTICE 'role {APP_ROLE} kept: another database of the cluster still grants it privileges';
    END;
END
$$"""


class TenantRowSecurity(_PostgresOnlyOperation):
    """Row-level security on a tenant-owned table: `APP_ROLE` reads and writes its tenant's rows only.

    One policy for every command, to every non-owner role, with the same condition as
    `USING` (which rows a query sees, updates or deletes) and `WITH CHECK` (which rows an
    insert or update may leave behind). The owner is not held to it (no FORCE): that is
    the migrations', commands' and admin's path. The table's data privileges are granted
    to `APP_ROLE` here too, for a table the default privileges missed (one created by
    another user). Needs `ApplicationRole` (tenants 0002) applied first.
    """

    def __init__(self, model):
        self.model = model  # "app_label.ModelName"

    def deconstruct(self):
        return self.__class__.__name__, [self.model], {}

    def describe(self):
        return f"Row-level security on {self.model} (PostgreSQL)"

    def forwards_sql(self, schema_editor, apps):
        q = schema_editor.quote_name
        table = q(apps.get_model(self.model)._meta.db_table)
        return [
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {APP_ROLE}",
            f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
            f"CREATE POLICY {q(POLICY_NAME)} ON {table} USING ({TENANT_CONDITION}) WITH CHECK ({TENANT_CONDITION})",
        ]

    def backwards_sql(self, schema_editor, apps):
        q = schema_editor.quote_name
        table = q(apps.get_model(self.model)._meta.db_table)
        # The grant stays: `ApplicationRole` gave it to every table too, and revokes it when reversed.
        return [f"DROP POLICY {q(POLICY_NAME)} ON {table}", f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY"]


class OwnRowsPolicy(_PostgresOnlyOperation):
    """A second policy, for reads only: `APP_ROLE` also sees the rows whose `user_id` is `app.user_id`.

    Policies of one table are OR'd: under `app.tenant_id` the tenant's rows, under
    `app.user_id` the user's own (tenants/row_security.py `own_rows`), with neither nothing.
    Writes keep the tenant policy only. Needs the table's `TenantRowSecurity` first.
    """

    def __init__(self, model):
        self.model = model  # "app_label.ModelName", with a `user` foreign key

    def deconstruct(self):
        return self.__class__.__name__, [self.model], {}

    def describe(self):
        return f"Own-rows read policy on {self.model} (PostgreSQL)"

    def forwards_sql(self, schema_editor, apps):
        q = schema_editor.quote_name
        model = apps.get_model(self.model)
        user_id_type = model._meta.get_field("user").target_field.rel_db_type(schema_editor.connection)
        condition = own_rows_condition(user_id_type)
        return [f"CREATE POLICY {q(OWN_ROWS_POLICY_NAME)} ON {q(model._meta.db_table)} FOR SELECT USING ({condition})"]

    def backwards_sql(self, schema_editor, apps):
        q = schema_editor.quote_name
        return [f"DROP POLICY {q(OWN_ROWS_POLICY_NAME)} ON {q(apps.get_model(self.model)._meta.db_table)}"]
