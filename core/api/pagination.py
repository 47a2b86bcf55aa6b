"""Every list's pagination: page numbers (`?page=`, with a count), or a cursor (`?cursor=`, without one).

- `?page=N&page_size=M` (the default): `{"count", "next", "previous", "results"}`. The
  count is exact, one `COUNT(*)` of the filtered list per page; OFFSET makes a deep page
  cost what it skips. A view may have another queryset counted, the same rows without the
  columns its page reads (`counted`: core.api.pages.WrittenPageMixin).
- `?cursor=` (empty: the first page) and then the `next`/`previous` links:
  `{"next", "previous", "results"}`, with no count. A keyset page: the rows after the last
  row of the page before, in the list's order (its `?ordering=` or default, with the id
  appended as the tie-break), found through the same index as the first page, so page
  10,000 of a tenant costs what page 1 does and no page counts the tenant's rows. Rows
  added or removed meanwhile never shift a page (no repeats, no skips). The cursor is an
  opaque token: the last row's ordering values; a tampered one is a 400, and it can only
  ever select rows of the request's own filtered, tenant-scoped list. An ordering through
  a relation has no cursor (a 400 naming it). A field that may be null (a planned run's
  `started_at`) sorts its nulls as the largest value, on every database (PostgreSQL's own
  default), so its nulls come last ascending and first descending.
"""

import base64
import binascii
import json
import operator
from functools import reduce
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Q
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

CURSOR_PARAM = "cursor"


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=` and `?page_size=` (default 20, at most 100); a bad page_size is a 400; or `?cursor=`."""

    page_size = 20
    page_size_query_param = "page_size"
    page_size_query_description = "Results per page: default 20; larger than 100 gives 100; below 1 is a 400."
    max_page_size = 100
    cursor_query_param = CURSOR_PARAM
    cursor_query_description = (
        "Cursor pagination instead of page numbers: send it empty for the first page, then follow `next` and "
        "`previous`. Such a page has no `count`, and a deep page costs what the first one does."
    )

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if size < 1:
            raise ValidationError({self.page_size_query_param: ["A whole number of at least 1 is required."]})
        return min(size, self.max_page_size)

    def paginate_queryset(self, queryset, request, view=None, counted=None):
        """The page of `queryset`; its `count` is of `counted` when given (the same rows, read leaner)."""
        self.keyset = None
        if self.cursor_query_param in request.query_params:
            self.request = request
            self.keyset = KeysetPage(
                queryset, request.query_params[self.cursor_query_param], self.get_page_size(request)
            )
            return self.keyset.rows
        # Django's Paginator takes any sliceable object with a `count()` (DRF's stub names querysets and sequences).
        rows: Any = queryset if counted is None else CountedRows(queryset, counted)
        return super().paginate_queryset(rows, request, view)

    def get_paginated_response(self, data):
        if self.keyset is None:
            return super().get_paginated_response(data)
        assert self.request is not None  # set by paginate_queryset, which a keyset page came from
        url = self.request.build_absolute_uri()
        url = remove_query_param(url, self.page_query_param)

        def link(token):
            return None if token is None else replace_query_param(url, self.cursor_query_param, token)

        return Response(
            {"next": link(self.keyset.next_token), "previous": link(self.keyset.previous_token), "results": data}
        )

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        paginated["required"] = ["results"]  # `count` is left out of a cursor page
        paginated["properties"]["count"]["description"] = "Rows of the filtered list (page numbers only)."
        return paginated

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["minimum"] = 1  # get_page_size answers 400 below it
        parameters.append(
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": self.cursor_query_description,
                "schema": {"type": "string"},
            }
        )
        return parameters


class CountedRows:
    """A page's queryset as Django's Paginator reads it, counted through `counted`: the same rows without the
    page's columns and annotations, whose `COUNT(*)` Django builds without first cloning and stripping them."""

    def __init__(self, rows, counted):
        self.rows, self.counted = rows, counted

    @property
    def ordered(self):
        return self.rows.ordered  # the Paginator warns of an unordered list

    def count(self):
        return self.counted.count()

    def __getitem__(self, key):
        return self.rows[key]


def invalid_cursor(message="The cursor is not valid: follow a `next` or `previous` link, or send it empty."):
    return ValidationError({CURSOR_PARAM: [message]})


class KeysetPage:
    """One cursor page of `queryset`: its rows, and the tokens of the pages after and before it.

    A token holds the ordering values of a boundary row and a direction: forwards, the rows
    after it; backwards (a `previous` link), the rows before it, read in reverse and turned
    round. An empty page keeps the boundary it was asked for, inclusive, so that its link
    back returns the row it started from.
    """

    def __init__(self, queryset, token, size):
        fields = ordering_fields(queryset)
        position, backwards = decode(token, fields) if token else (None, False)
        order = [flip(entry) for entry in fields] if backwards else fields
        ordered = queryset.order_by(*(order_name(entry) for entry in order))
        if position is not None:
            ordered = ordered.filter(beyond(order, position))
        rows = list(ordered[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        if backwards:
            rows.reverse()
        self.rows = rows
        far = self._token(fields, rows[0] if backwards else rows[-1], backwards) if rows and more else None
        if position is None:
            near = None
        elif rows:
            near = self._token(fields, rows[-1] if backwards else rows[0], not backwards)
        else:
            near = _encode(position.values, backwards=not backwards, inclusive=True)
        self.next_token, self.previous_token = (near, far) if backwards else (far, near)

    @staticmethod
    def _token(fields, row, backwards):
        return _encode([attribute(row, field.attname) for field, _ in fields], backwards=backwards)


def attribute(row, name):
    """A row's column: an instance's attribute, or a `.values()` row's key (the run list's page)."""
    return row[name] if isinstance(row, dict) else getattr(row, name)


def ordering_fields(queryset):
    """The list's ordering as `[(field, descending)]`, the primary key appended; only non-null local fields."""
    model = queryset.model
    names = list(queryset.query.order_by or model._meta.ordering or [])
    fields = []
    for name in names:
        if not isinstance(name, str):
            raise invalid_cursor("This list's order has no cursor: use page numbers.")
        descending = name.startswith("-")
        bare = name.lstrip("-")
        if bare == "pk":
            bare = model._meta.pk.name
        try:
            field = model._meta.get_field(bare)
        except FieldDoesNotExist:
            raise invalid_cursor(f"Ordering by {bare!r} has no cursor: use page numbers.") from None
        if not field.concrete or field.is_relation:
            raise invalid_cursor(f"Ordering by {bare!r} has no cursor: use page numbers.")
        fields.append((field, descending))
    if not any(field.primary_key for field, _ in fields):
        fields.append((model._meta.pk, False))
    return fields


def flip(entry):
    field, descending = entry
    return (field, not descending)


def order_name(entry):
    """The ordering expression: nulls are the largest value (last ascending, first descending)."""
    field, descending = entry
    if not field.null:
        return f"-{field.attname}" if descending else field.attname
    return F(field.attname).desc(nulls_first=True) if descending else F(field.attname).asc(nulls_last=True)


def equal_to(field, value):
    return Q(**{f"{field.attname}__isnull": True}) if value is None else Q(**{field.attname: value})


def after(field, descending, value):
    """Rows strictly after `value` in one field's direction, nulls being the largest value."""
    if value is None:
        # Nothing is above null; descending, every value comes after it.
        return Q(**{f"{field.attname}__isnull": False}) if descending else Q(pk__in=[])
    beyond_value = Q(**{f"{field.attname}__{'lt' if descending else 'gt'}": value})
    return beyond_value if descending or not field.null else beyond_value | Q(**{f"{field.attname}__isnull": True})


def beyond(order, position):
    """Rows after `position` in `order`: `(a, b) > (x, y)` spelled out, per field's direction."""
    alternatives = []
    for index, (field, descending) in enumerate(order):
        condition = after(field, descending, position.values[index])
        if position.inclusive and index == len(order) - 1:
            condition |= equal_to(field, position.values[index])
        for i in range(index):
            condition &= equal_to(order[i][0], position.values[i])
        alternatives.append(condition)
    return reduce(operator.or_, alternatives)


class Position:
    """A boundary row's ordering values; `inclusive`: the row itself belongs to the page."""

    def __init__(self, values, inclusive):
        self.values, self.inclusive = values, inclusive


def _encode(values, *, backwards, inclusive=False):
    payload: dict[str, Any] = {"v": [None if value is None else str(value) for value in values]}
    if backwards:
        payload["r"] = 1
    if inclusive:
        payload["i"] = 1
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token, fields):
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw)
        texts = payload["v"]
        if not isinstance(texts, list) or len(texts) != len(fields):
            raise ValueError(texts)
        values: list[Any] = []
        for (field, _), text in zip(fields, texts, strict=True):
            if text is None and field.null:
                values.append(None)
            elif isinstance(text, str):
                values.append(field.to_python(text))
            else:
                raise ValueError(text)
    except (ValueError, TypeError, KeyError, binascii.Error, DjangoValidationError, UnicodeDecodeError):
        raise invalid_cursor() from None
    return Position(values, bool(payload.get("i"))), bool(payload.get("r"))


def cursor_after(queryset, row):
    """The `?cursor=` of the page that follows `row` in `queryset`'s order (for tools: the scale benchmark)."""
    return _encode([attribute(row, field.attname) for field, _ in ordering_fields(queryset)], backwards=False)
