"""Which integrity errors a client's input explains: the per-tenant unique values a client chooses.

A serializer checks uniqueness before writing, but two requests can pass that check
together; the database then refuses the second. Only the constraints a model marks
as the client's (`UniqueConstraint(fields=["tenant", "code"], ...,
violation_error_code=CLIENT_UNIQUE)`: a spool's code, a product's sku) turn such a
refusal into a 400 on the field they name, found by the constraint's name
(PostgreSQL) or its columns (SQLite). Every other integrity error (a ledger row that
does not balance, two rows at one ledger position, a foreign key to nothing) is a
broken invariant, not input, and is not disguised as one.
"""

import re
from dataclasses import dataclass
from functools import cache

from django.apps import apps
from django.db import models

from core.database import sqlstate

# The marker of a client-facing unique constraint (also Django's code for its validation error).
CLIENT_UNIQUE = "unique"
UNIQUE_VIOLATION = "23505"
# SQLite names the columns, not the constraint: "UNIQUE constraint failed: table.col, table.col".
SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?P<columns>[\w., ]+)")


@dataclass(frozen=True)
class UniqueViolation:
    field: str
    message: str


@cache
def tenant_unique_constraints():
    """{constraint name: (model, field names)} and {(table, columns): same}, of the client-facing ones."""
    by_name, by_columns = {}, {}
    for model in apps.get_models():
        for constraint in model._meta.constraints:
            if not isinstance(constraint, models.UniqueConstraint) or constraint.condition is not None:
                continue
            if constraint.violation_error_code != CLIENT_UNIQUE:
                continue
            fields = tuple(constraint.fields)
            if len(fields) < 2 or fields[0] != "tenant":
                continue
            entry = (model, fields[1:])
            by_name[constraint.name] = entry
            columns = tuple(model._meta.get_field(name).column for name in fields)  # type: ignore[union-attr]
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
