"""SQL expressions that behave alike on PostgreSQL and SQLite."""

from django.db import models


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
