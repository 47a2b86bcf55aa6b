"""Spoolman's query language for its list endpoints (vendor, filament, spool), in Django ORM terms.

One module for the three `find` endpoints, as Spoolman 0.26.1 answers them
(spoolman/api/v1/{vendor,filament,spool}.py, spoolman/database/utils.py and extra_field_query.py):

- a string filter: a comma list of terms, OR'ed; a term in double quotes matches exactly (case
  sensitive), any other term is a case-insensitive substring; an empty term matches an empty
  value (and NULL, on the columns Spoolman allows NULL in). Terms are not trimmed.
- an id filter: `^-?\\d+(,-?\\d+)*$` or a 422; the ids OR'ed; `-1` means "none" where Spoolman
  says so (a filament's vendor).
- `allow_archived`, booleans as FastAPI reads them (true/false, 1/0, yes/no, on/off, t/f, y/n).
- `sort=field:asc,other:desc`: Spoolman's field paths (nested `filament.vendor.name`), a
  malformed item or an unknown field is a 400; `extra.<key>` sorts by that extra field, typed by
  its definition (an unknown key is ignored, as Spoolman does). Empty values (NULL) sort last
  in both directions, as Spoolman orders them on every database.
- `extra.<key>=...` (and `filament.extra.<key>`, `filament.vendor.extra.<key>` on spools): the
  extra-field filters, per field type; a bad value is a 400; an unknown key is ignored.
- `limit`/`offset` (the offset applies only with a limit, as in Spoolman) and the total count in
  `X-Total-Count`.

Nothing here names a model column: an endpoint describes its list with a `Listing` (Spoolman's
parameter names and field paths -> ORM lookup paths or expressions) and calls `find`, then
`paged`. Extra-field values are JSON text kept in a JSON dict column ({key: JSON text}).
"""

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.db.models import BigIntegerField, Case, F, Field, FloatField, Func, Q, QuerySet, TextField, Value, When
from django.db.models.expressions import Combinable, OrderBy
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, NullIf, StrIndex
from django.db.models.lookups import Exact, GreaterThan, GreaterThanOrEqual, IContains, In, IsNull, LessThanOrEqual
from django.db.models.lookups import Regex as RegexLookup
from django.http import JsonResponse, QueryDict

from spoolman.errors import SpoolmanError

TRUE = frozenset({"1", "t", "y", "on", "yes", "true"})
FALSE = frozenset({"0", "f", "n", "no", "off", "false"})
IDS = r"-?[0-9]+(,-?[0-9]+)*"
MAX_ID = 2**31 - 1  # beyond every id column: such an id matches nothing
MAX_WINDOW_DIGITS = 18  # limit/offset: below 2**63, what both databases' LIMIT/OFFSET take

# Stored JSON text that casts without an error (PostgreSQL refuses a bad cast; SQLite never does,
# so the same guard keeps both alike): anything else is no value (NULL) for sorting and ranges.
INTEGER_TEXT = r"^\s*-?[0-9]{1,18}\s*$"
NUMBER = r"-?[0-9]{1,30}(\.[0-9]{1,30})?([eE][-+]?[0-9]{1,2})?"
FLOAT_TEXT = rf"^\s*{NUMBER}\s*$"
INTEGER_RANGE_TEXT = r"^\s*\[\s*(null|-?[0-9]{1,18})\s*,\s*(null|-?[0-9]{1,18})\s*\]\s*$"
FLOAT_RANGE_TEXT = rf"^\s*\[\s*(null|{NUMBER})\s*,\s*(null|{NUMBER})\s*\]\s*$"
# A JSON string that PostgreSQL can decode to text: no raw control character, no \u0000, no lone
# surrogate (json.loads takes all three, PostgreSQL's json type refuses them).
JSON_STRING_TEXT = (
    r'^\s*"([^"\\\x01-\x1f]|\\["\\/bfnrt]'
    r"|\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"
    r'|\\u(?!0000)(?![dD][89a-fA-F])[0-9a-fA-F]{4})*"\s*$'
)
SortTarget = str | Combinable | Sequence[str | Combinable]


# --- the description of a list --------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """A string filter on `path` (an ORM lookup path). `nullable`: Spoolman's `add_where_clause_str_opt`,
    where an empty term matches NULL as well as ""; else (`add_where_clause_str`, a vendor's name) only ""."""

    path: str
    nullable: bool = True


@dataclass(frozen=True)
class Ids:
    """An id filter on `path`. `minus_one_is_none`: Spoolman's `add_where_clause_int_opt`, where -1 matches
    a NULL reference (a filament without vendor); else -1 is an id like any other (it matches nothing)."""

    path: str
    minus_one_is_none: bool = False


@dataclass(frozen=True)
class Filter:
    """A query parameter: its name, then its deprecated aliases (the first one present is read)."""

    names: tuple[str, ...]
    condition: Text | Ids


@dataclass(frozen=True)
class ExtraScope:
    """Extra-field filters `<prefix><key>=...` on the extra fields of `entity` ("vendor", "filament",
    "spool"), kept in the JSON dict at `column` (an ORM path: "extra", "material__vendor__extra")."""

    prefix: str
    entity: str
    column: str


@dataclass(frozen=True)
class Listing:
    """One find endpoint: its filters, its sort fields, its extra fields, its archived rows.

    `sort_fields`: Spoolman's field path -> an ORM path, an expression, or a sequence of them
    (`filament.combined_name` sorts by vendor name, then name). `models`: Spoolman's model name
    of the entity ("" key) and of each relation prefix a sort path may take ("filament",
    "filament.vendor"), for Spoolman's messages. `extra[0]` is the entity's own extra fields (the
    ones `sort=extra.<key>` sorts by). `archived`: a condition selecting the archived rows, left
    out unless `allow_archived` is true (None: the entity has no archive). `tiebreak`: the order
    without `sort` and the last ordering after one (Spoolman's id: `("number",)`), so a page is stable.
    """

    filters: tuple[Filter, ...]
    sort_fields: Mapping[str, SortTarget]
    models: Mapping[str, str]
    tiebreak: tuple[str, ...]
    extra: tuple[ExtraScope, ...] = ()
    archived: Q | None = None


class ExtraFieldDefinition(Protocol):
    """What the queries read of an extra field's definition (spoolman.models.ExtraField has it)."""

    key: str
    field_type: str
    multi_choice: bool | None


ExtraFields = Callable[[str], Iterable[ExtraFieldDefinition]]
"""The tenant's extra-field definitions of an entity ("vendor", "filament", "spool"); called only when a
request filters or sorts by an extra field."""


# --- parameters -----------------------------------------------------------------------------


def parameter(params: QueryDict, *names: str) -> str | None:
    """The value of the first of `names` present (a parameter, then its deprecated aliases), else None.

    A repeated parameter is its last value, as FastAPI reads it.
    """
    for name in names:
        if name in params:
            return params.get(name)
    return None


def flag(params: QueryDict, name: str, default: bool = False) -> bool:
    """A boolean parameter as FastAPI (pydantic) reads one; anything else is a 422."""
    value = params.get(name)
    if value is None:
        return default
    word = value.strip().lower()
    if word in TRUE:
        return True
    if word in FALSE:
        return False
    raise SpoolmanError(422, f"{name} must be a boolean (true or false), not {value!r}.")


def whole(params: QueryDict, name: str, default: int | None = None) -> int | None:
    """A non-negative whole-number parameter (`limit`, `offset`); anything else is a 422."""
    value = params.get(name)
    if value is None:
        return default
    value = value.strip()
    if not (value.isascii() and value.isdigit()) or len(value) > MAX_WINDOW_DIGITS:
        raise SpoolmanError(422, f"{name} must be a non-negative whole number, not {value!r}.")
    return int(value)


def ids_of(name: str, value: str) -> list[int]:
    """A comma list of ids (`1,2,-1`), as Spoolman's pattern takes it; anything else (an empty value
    included) is a 422."""
    if not _full_match(IDS, value):
        raise SpoolmanError(422, f"{name} must be a comma-separated list of whole numbers, not {value!r}.")
    return [int(part) for part in value.split(",")]


def _full_match(pattern: str, value: str) -> bool:
    return re.fullmatch(pattern, value, flags=re.ASCII) is not None


# --- filters --------------------------------------------------------------------------------


def string_filter(path: str, value: str, *, nullable: bool = True) -> Q:
    """Spoolman's string filter on `path`: comma terms OR'ed, `"exact"`, else a case-insensitive substring;
    an empty term matches "" (and NULL when `nullable`). `%` and `_` are literal characters."""
    condition = Q()
    for term in value.split(","):
        if term == "":
            condition |= Q(**{path: ""})
            if nullable:
                condition |= Q(**{f"{path}__isnull": True})
        elif term[0] == '"' and term[-1] == '"':
            condition |= Q(**{path: term[1:-1]})
        else:
            condition |= Q(**{f"{path}__icontains": term})
    return condition


def id_filter(path: str, ids: Iterable[int], *, minus_one_is_none: bool = False) -> Q:
    """Rows whose `path` is one of `ids`; -1 matches NULL when `minus_one_is_none`."""
    ids = list(ids)
    condition = Q(**{f"{path}__in": [i for i in ids if 0 <= i <= MAX_ID]})
    if minus_one_is_none and -1 in ids:
        condition |= Q(**{f"{path}__isnull": True})
    return condition


# --- extra fields: their stored JSON text as SQL values --------------------------------------


class JsonStringText(Func):
    """The text of a JSON string given as JSON text (`"a\\u00e5"` -> `aå`): Spoolman's decoded scalar."""

    output_field = TextField()

    def as_sql(self, compiler, connection, **extra_context):  # type: ignore[override]
        return super().as_sql(compiler, connection, template="(CAST(%(expressions)s AS json) #>> '{}')")

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, template="json_extract(%(expressions)s, '$')")


class JsonItemText(Func):
    """Element `index` of a JSON array given as JSON text, as text (NULL for a JSON null)."""

    output_field = TextField()

    def __init__(self, expression, index: int):
        super().__init__(expression)
        self.index = int(index)

    def as_sql(self, compiler, connection, **extra_context):  # type: ignore[override]
        return super().as_sql(compiler, connection, template=f"(CAST(%(expressions)s AS json) ->> {self.index})")

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, template=f"json_extract(%(expressions)s, '$[{self.index}]')")


def extra_text(column: str, key: str) -> KeyTextTransform:
    """The stored JSON text of extra field `key` (NULL when the row has none)."""
    return KeyTextTransform(key, column)


def _guarded(text, pattern: str, then):
    return Case(When(RegexLookup(text, pattern), then=then), default=Value(None), output_field=then.output_field)


def extra_sort_value(column: str, definition: ExtraFieldDefinition):
    """What Spoolman sorts an extra field by: a number for integer and float fields, the lower bound for
    ranges, else the stored JSON text itself (text, datetime, boolean, choice). A value that is not a
    number of its type (or JSON null) is no value, and sorts last."""
    text = extra_text(column, definition.key)
    kind = definition.field_type
    if kind == "integer":
        return _guarded(text, INTEGER_TEXT, Cast(text, BigIntegerField()))
    if kind == "float":
        return _guarded(text, FLOAT_TEXT, Cast(text, FloatField()))
    if kind == "integer_range":
        return _guarded(text, INTEGER_RANGE_TEXT, Cast(JsonItemText(text, 0), BigIntegerField()))
    if kind == "float_range":
        return _guarded(text, FLOAT_RANGE_TEXT, Cast(JsonItemText(text, 0), FloatField()))
    return NullIf(text, Value("null"))  # a JSON null is no value, as the empty filter has it


def _decoded(text):
    return _guarded(text, JSON_STRING_TEXT, JsonStringText(text))


def _number(term: str, convert: Callable[[str], Any], message: str):
    """`convert(term)`, None for an empty (open) bound; what does not parse, or is not finite, a 400."""
    if term == "":
        return None
    try:
        number = convert(term)
    except (ValueError, TypeError, OverflowError):
        raise SpoolmanError(400, message) from None
    if isinstance(number, float) and not math.isfinite(number):
        raise SpoolmanError(400, message)
    return number


def _range(term: str, separator: str, message: str) -> tuple[str, str]:
    low, _, high = term.partition(separator)
    if not low and not high:
        raise SpoolmanError(400, message)
    return low, high


def extra_filter(column: str, definition: ExtraFieldDefinition, value: str) -> Q:
    """Spoolman's filter `extra.<key>=value` on the extra fields kept in the JSON dict at `column`.

    Comma terms OR'ed. An empty term: no value (no key, JSON null, `""`, and `false` for a
    boolean). text: `"exact"` or a case-insensitive substring of the decoded string; choice: the
    decoded string (a multi-choice: an element of its list); integer/float: a number, or a range
    `min:max` with either side open; integer_range/float_range: `min:max` against the stored
    bounds; datetime: the ISO text, or a range `start|end`; boolean: `true` or `false`. A value
    that does not parse is a 400, as Spoolman answers it.
    """
    key, kind = definition.key, definition.field_type
    text = extra_text(column, key)
    condition = Q()
    for term in value.split(","):
        if term == "":
            empty = ["null", json.dumps("")] + (["false"] if kind == "boolean" else [])
            condition |= Q(IsNull(text, True)) | Q(In(text, empty))
            continue
        exact = term.startswith('"') and term.endswith('"')
        term = term[1:-1] if exact else term
        condition |= _extra_term(text, key, kind, bool(definition.multi_choice), term, exact)
    return condition


def _extra_term(text, key: str, kind: str, multi_choice: bool, term: str, exact: bool) -> Q:
    if kind == "text":
        return Q(Exact(_decoded(text), term) if exact else IContains(_decoded(text), term))
    if kind in NUMBERS:
        return _number_term(text, key, kind, term)
    if kind in RANGES:
        return _range_term(text, key, kind, term)
    if kind == "boolean":
        word = term.strip().lower()
        if word not in ("true", "false"):
            raise SpoolmanError(400, f"Invalid boolean filter value: {term!r}")
        return Q(Exact(text, word))
    if kind == "choice" and multi_choice:
        # An element of the stored list: the term as a JSON string, in either of its encodings.
        tokens = sorted({json.dumps(term, ensure_ascii=False), json.dumps(term)})
        return _any(GreaterThan(StrIndex(text, Value(token)), 0) for token in tokens)
    if kind == "choice":
        return Q(Exact(_decoded(text), term))
    if kind == "datetime":
        if "|" not in term:
            return Q(Exact(_decoded(text), term))
        message = f"Invalid datetime range filter for '{key}': {term}. Expected '<start>|<end>'."
        start, end = _range(term, "|", message)
        return _between(_decoded(text), start or None, end or None)
    raise SpoolmanError(400, f"Unsupported extra field type for '{key}': {kind}")


# integer and float fields: (the term's parser, the SQL type, the stored text that casts to it).
NUMBERS: dict[str, tuple[Callable[[str], Any], type[Field], str]] = {
    "integer": (int, BigIntegerField, INTEGER_TEXT),
    "float": (float, FloatField, FLOAT_TEXT),
}
RANGES: dict[str, tuple[Callable[[str], Any], type[Field], str]] = {
    "integer_range": (int, BigIntegerField, INTEGER_RANGE_TEXT),
    "float_range": (float, FloatField, FLOAT_RANGE_TEXT),
}


def _number_term(text, key: str, kind: str, term: str) -> Q:
    """`n` (integer: the stored JSON text of int(n); float: numerically) or `min:max`, either side open."""
    convert, sql_type, pattern = NUMBERS[kind]
    stored = _guarded(text, pattern, Cast(text, sql_type()))
    if ":" in term:
        message = f"Invalid {kind} range filter value for '{key}': {term}"
        low, high = _range(term, ":", message)
        return _between(stored, _number(low, convert, message), _number(high, convert, message))
    number = _number(term, convert, f"Invalid {kind} filter value for '{key}': {term}")
    return Q(Exact(text, json.dumps(number))) if kind == "integer" else Q(Exact(stored, number))


def _range_term(text, key: str, kind: str, term: str) -> Q:
    """`min:max`: the stored range starts at or after min and ends at or before max (either side open)."""
    convert, sql_type, pattern = RANGES[kind]
    shape = f"Invalid range filter value for '{key}': {term}. Expected '<min>:<max>'."
    if ":" not in term:
        raise SpoolmanError(400, shape)
    low, high = _range(term, ":", shape)
    message = f"Invalid {kind.removesuffix('_range')} range filter value for '{key}': {term}"
    lower = _guarded(text, pattern, Cast(JsonItemText(text, 0), sql_type()))
    upper = _guarded(text, pattern, Cast(JsonItemText(text, 1), sql_type()))
    condition = Q()
    if low:
        condition &= Q(GreaterThanOrEqual(lower, _number(low, convert, message)))
    if high:
        condition &= Q(LessThanOrEqual(upper, _number(high, convert, message)))
    return condition


def _between(value, low, high) -> Q:
    """`low <= value <= high`, a bound of None (or "") left open."""
    condition = Q()
    if low is not None and low != "":
        condition &= Q(GreaterThanOrEqual(value, low))
    if high is not None and high != "":
        condition &= Q(LessThanOrEqual(value, high))
    return condition


def _any(conditions: Iterable[Any]) -> Q:
    combined = Q()
    for condition in conditions:
        combined |= Q(condition)
    return combined


def extra_filters(params: QueryDict, scopes: Sequence[ExtraScope], extra_fields: ExtraFields) -> Q:
    """The conditions of every `<prefix><key>=...` parameter (AND), each on its field's definition.

    A parameter takes the longest prefix it starts with (`filament.vendor.extra.` before
    `filament.extra.`); a key without a definition is ignored, as Spoolman ignores it.
    """
    condition = Q()
    by_length = sorted(scopes, key=lambda scope: len(scope.prefix), reverse=True)
    definitions: dict[str, dict[str, ExtraFieldDefinition]] = {}
    for name in params:
        scope = next((scope for scope in by_length if name.startswith(scope.prefix)), None)
        if scope is None:
            continue
        if scope.entity not in definitions:
            definitions[scope.entity] = {d.key: d for d in extra_fields(scope.entity)}
        definition = definitions[scope.entity].get(name[len(scope.prefix) :])
        if definition is not None:
            condition &= extra_filter(scope.column, definition, params.get(name, ""))
    return condition


# --- sorting --------------------------------------------------------------------------------


def parse_sort(value: str | None) -> list[tuple[str, bool]]:
    """`field:asc,other:desc` as [(field, descending)]; an item without a direction, without a field or
    with a direction other than asc/desc is a 400 (Spoolman's `parse_sort`). Empty items are skipped;
    a field named twice keeps its first place and its last direction."""
    order: dict[str, bool] = {}
    for item in (value or "").split(","):
        item = item.strip()
        if not item:
            continue
        name, separator, direction = item.partition(":")
        if not separator:
            raise SpoolmanError(400, f"Invalid sort '{item}', expected the form 'field:asc' or 'field:desc'.")
        if not name:
            raise SpoolmanError(400, f"Invalid sort '{item}', no field name was given.")
        word = direction.strip().lower()
        if word not in ("asc", "desc"):
            raise SpoolmanError(
                400, f"Invalid sort direction '{direction}' for field '{name}', expected 'asc' or 'desc'."
            )
        order[name] = word == "desc"
    return list(order.items())


def unknown_sort_field(listing: Listing, name: str) -> str:
    """Spoolman's message for a sort path that names no field (`parse_nested_field`)."""
    prefix, rest = "", name
    while True:
        head, dot, tail = rest.partition(".")
        relation = f"{prefix}{head}"
        if relation in listing.models and relation != "":
            if not dot:
                return f"No field specified for {head}"
            prefix, rest = f"{relation}.", tail
            continue
        model = listing.models.get(prefix.rstrip("."), "")
        if dot and f"{prefix}{head}" in listing.sort_fields:
            return f"Field '{head}' does not have any nested fields"
        return f"Invalid field name '{rest}', '{head}' is not a valid field on '{model}'."


def ordering(
    sort: Sequence[tuple[str, bool]], listing: Listing, extra_fields: ExtraFields | None = None
) -> list[OrderBy]:
    """The ORDER BY of a parsed `sort`: each field's expressions, NULLs last either way, then the tiebreak.

    `extra.<key>` sorts by the entity's own extra field (`listing.extra[0]`), typed by its
    definition; an undefined key is skipped. Any other unknown field is a 400.
    """
    clauses: list[OrderBy] = []
    definitions: dict[str, ExtraFieldDefinition] | None = None
    for name, descending in sort:
        if name.startswith("extra.") and listing.extra:
            if definitions is None:
                found = extra_fields(listing.extra[0].entity) if extra_fields is not None else ()
                definitions = {d.key: d for d in found}
            definition = definitions.get(name[len("extra.") :])
            if definition is not None:
                clauses.append(_direction(extra_sort_value(listing.extra[0].column, definition), descending))
            continue
        target = listing.sort_fields.get(name)
        if target is None:
            raise SpoolmanError(400, unknown_sort_field(listing, name))
        targets = [target] if isinstance(target, str | Combinable) else list(target)
        clauses.extend(_direction(F(t) if isinstance(t, str) else t, descending) for t in targets)
    clauses.extend(F(name).asc() for name in listing.tiebreak)
    return clauses


def _direction(expression, descending: bool) -> OrderBy:
    return expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)


# --- the whole query ------------------------------------------------------------------------


def find(params: QueryDict, rows: QuerySet, listing: Listing, extra_fields: ExtraFields | None = None) -> QuerySet:
    """`rows` filtered and ordered as Spoolman's find endpoint of `listing` answers `params`.

    Errors as Spoolman gives them: a malformed id list, boolean, limit or offset is a 422 (its
    request validation, so before any 400); a malformed sort, an unknown sort field or a bad
    extra-field value a 400. `extra_fields` is called (once per entity) only when an extra field
    is filtered or sorted by.
    """
    window(params)
    definitions = _cached(extra_fields) if extra_fields is not None else _no_extra_fields
    rows = filtered(params, rows, listing, definitions)
    return rows.order_by(*ordering(parse_sort(params.get("sort")), listing, definitions))


def filtered(params: QueryDict, rows: QuerySet, listing: Listing, extra_fields: ExtraFields | None = None) -> QuerySet:
    """`rows` narrowed by `listing`'s filters, its extra-field filters and `allow_archived`, unordered
    (what a grouped list, Spoolman's `spool/group`, filters by as well)."""
    conditions = Q()
    for spec in listing.filters:
        value = parameter(params, *spec.names)
        if value is None:
            continue
        condition = spec.condition
        if isinstance(condition, Ids):
            ids = ids_of(spec.names[0], value)
            conditions &= id_filter(condition.path, ids, minus_one_is_none=condition.minus_one_is_none)
        else:
            conditions &= string_filter(condition.path, value, nullable=condition.nullable)
    allow_archived = flag(params, "allow_archived") if listing.archived is not None else True
    if listing.extra:
        conditions &= extra_filters(params, listing.extra, extra_fields or _no_extra_fields)
    rows = rows.filter(conditions)
    if not allow_archived and listing.archived is not None:
        rows = rows.exclude(listing.archived)
    return rows


def _no_extra_fields(entity: str) -> Iterable[ExtraFieldDefinition]:
    return ()


def _cached(extra_fields: ExtraFields) -> ExtraFields:
    cache: dict[str, list[ExtraFieldDefinition]] = {}

    def definitions(entity: str) -> list[ExtraFieldDefinition]:
        if entity not in cache:
            cache[entity] = list(extra_fields(entity))
        return cache[entity]

    return definitions


def window(params: QueryDict) -> tuple[int | None, int]:
    """`(limit, offset)`; the offset counts only with a limit, as in Spoolman."""
    limit = whole(params, "limit")
    offset = whole(params, "offset", 0) or 0
    return limit, offset if limit is not None else 0


def page(params: QueryDict, rows: QuerySet) -> tuple[list, int]:
    """The rows of the `limit`/`offset` window and the total count of `rows`.

    Without a limit every row is answered and counted as read (one statement); with one, the
    total is a COUNT of its own, as Spoolman does.
    """
    limit, offset = window(params)
    if limit is None:
        found = list(rows)
        return found, len(found)
    return list(rows[offset : offset + limit]), rows.count()


def paged(request, rows: QuerySet, render: Callable[[Any], Any]) -> JsonResponse:
    """The answer of a find endpoint: the window of `rows`, rendered, with `X-Total-Count`."""
    found, total = page(request.GET, rows)
    response = JsonResponse([render(row) for row in found], safe=False)
    response["X-Total-Count"] = str(total)
    return response
