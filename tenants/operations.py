"""Migration operations that make PostgreSQL refuse a reference across tenants.

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
    ]
"""

from django.db.migrations.operations.base import Operation


class _PostgresOnlyOperation(Operation):
    reduces_to_sql = True
    reversible = True

    def state_forwards(self, app_label, state):
        pass  # database-only: the models do not change

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(self.forwards_sql(schema_editor, to_state.apps))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(self.backwards_sql(schema_editor, from_state.apps))


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
