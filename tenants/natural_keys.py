"""Natural keys: the tenant-unique, readable name a body or a filter may give instead of a row's id.

A model declares it as `natural_key_field = "sku"` (a field unique per tenant, by a constraint
that starts with the tenant). A value that parses as a UUID is tried as the id first; any other
string, and a UUID that names no row by id, is tried as the natural key.
"""

import uuid

from django.db.models import Q


def natural_key_field(model):
    return getattr(model, "natural_key_field", None)


def as_uuid(value):
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def lookup_condition(model, values):
    """A condition matching every row some value of `values` names (by id or natural key); None if none can."""
    key = natural_key_field(model)
    ids = {pk for pk in map(as_uuid, values) if pk is not None}
    keys = {value for value in values if isinstance(value, str)} if key else set()
    condition = Q(pk__in=ids) if ids else None
    if keys:
        by_key = Q(**{f"{key}__in": keys})
        condition = by_key if condition is None else condition | by_key
    return condition


def resolve(queryset, values):
    """{value: row} for each of `values` that names a row of `queryset`, in one query.

    An id wins over a natural key: a spool coded like another spool's id is named by the id.
    """
    # No stored key holds a NUL character, and PostgreSQL refuses one in a query parameter: such
    # a value names no row (a 400 from the caller), never a 500.
    values = [value for value in values if value is not None and "\x00" not in str(value)]
    condition = lookup_condition(queryset.model, values)
    if condition is None:
        return {}
    key = natural_key_field(queryset.model)
    rows = list(queryset.filter(condition))
    by_key = {getattr(row, key): row for row in rows} if key else {}
    by_id = {str(row.pk): row for row in rows}
    resolved = {}
    for value in values:
        pk = as_uuid(value)
        row = by_id.get(str(pk)) if pk is not None else None
        if row is None and isinstance(value, str):
            row = by_key.get(value)
        if row is not None:
            resolved[str(value)] = row
    return resolved


def describe(model):
    """How a value names a row of `model`, for the schema: "id or sku"."""
    key = natural_key_field(model)
    return f"id or {key}" if key else "id"
