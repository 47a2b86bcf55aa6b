"""SQL expressions that behave alike on PostgreSQL and SQLite."""

from django.db import models
from django.db.models.sql import Query


class ToDecimal(models.Func):
    """A number as a fraction-capable value, so that a division is not an integer division.

    PostgreSQL divides integers as integers, and SQLite stores a whole decimal (25.00) as an
    integer: `25 / 1000` is 0 on both. PostgreSQL gets an exact `numeric`; SQLite has no
    decimal type, so it gets a `REAL` (its decimals are floats anyway).
    """

    template = "CAST(%(expressions)s AS numeric)"
    output_field = models.DecimalField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="CAST(%(expressions)s AS REAL)", **extra_context)


class OuterColumn(models.Expression):
    """A column of the outer query's `model` row, named by its table (`"inventory_spool"."id"`).

    Where `OuterRef` is resolved against the query a subquery is put into, this is written as
    the table's own name, which is how a query names its base table: a subquery filtered on it
    can be compiled once (`compiled_sql`) and its SQL put into any query whose base table is
    `model`'s. Not into a query that is itself nested (Django renames the tables of a nested
    query, never a name inside SQL text).
    """

    def __init__(self, model, field_name):
        self.table = model._meta.db_table
        self.target = model._meta.get_field(field_name)
        super().__init__(output_field=self.target)

    def as_sql(self, compiler, connection):
        quote = connection.ops.quote_name
        return f"{quote(self.table)}.{quote(self.target.column)}", []


def compiled_sql(model, expression, using):
    """`expression` (over `model`'s rows, outer rows named by `OuterColumn`) as SQL and parameters for `using`.

    What `QuerySet.annotate` would add to the SELECT of a query of `model`, compiled now: a
    `RawSQL` of it annotates a queryset per request without resolving and compiling the
    expression again (a few correlated subqueries cost a millisecond and more of CPU to build).
    """
    query = Query(model)
    resolved = expression.resolve_expression(query, allow_joins=True, reuse=None)
    sql, params = query.get_compiler(using).compile(resolved)
    return sql, tuple(params), resolved.output_field
