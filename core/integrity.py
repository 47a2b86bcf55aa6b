"""Which integrity errors a client's input explains: the per-tenant unique constraints, by name.

A serializer checks uniqueness before writing, but two requests can pass that check
together; the database then refuses the second. Only those refusals, of constraints
a model declares as unique per tenant (`UniqueConstraint(fields=["tenant", ...])`),
are a client's 400 on the field they name. Every other integrity error (a ledger row
that does not balance, a foreign key to nothing) is a broken invariant, not input.
"""

import re
from dataclasses import dataclass
from functools import cache

from django.apps import apps
from django.db import models

from core.database import sqlstate

UNIQUE_VIOLATION = "23505"
# SQLite names the columns, not the constraint: "UNIQUE constraint failed: table.col, table.col".
SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?P<columns>[\w., ]+)")


@dataclass(frozen=True)
class UniqueViolation:
    field: str
    message: str


@cache
def tenant_unique_constraints():
    """{constraint name: (model, field names)} and {(table, columns): same}, of every installed model."""
    by_name, by_columns = {}, {}
    for model in apps.get_models():
        for constraint in model._meta.constraints:
            if not isinstance(constraint, models.UniqueConstraint) or constraint.condition is not None:
                continue
            fields = tuple(constraint.fields)
            if len(fields) < 2 or fields[0] != "tenant":
                continue
            entry = (model, fields[1:])
            by_name[constraint.name] = entry
            columns = tuple(model._meta.get_field(name).column for name in fields)
            by_columns[(model._meta.db_table, columns)] = entry
    return by_name, by_columns


def unique_violation(exc):
    """The field a per-tenant unique constraint refused, or None for any other integrity error."""
    by_name, by_columns = tenant_unique_constraints()
    entry = None
    if sqlstate(exc) == UNIQUE_VIOLATION:
        name = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)
        entry = by_name.get(name)
    else:
        match = SQLITE_UNIQUE.search(str(exc))
        if match:
            qualified = [column.strip() for column in match["columns"].split(",")]
            tables = {column.rpartition(".")[0] for column in qualified}
            if len(tables) == 1:
                columns = tuple(column.rpartition(".")[2] for column in qualified)
                entry = by_columns.get((tables.pop(), columns))
    if entry is None:
        return None
    model, fields = entry
    field = fields[-1]
    noun = model._meta.verbose_name
    return UniqueViolation(field=field, message=f"A {noun} with this {field} already exists.")
