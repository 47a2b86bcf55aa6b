"""A queryset compiled to SQL once per process, run with the values that change per request.

Building a queryset and compiling it (resolving its joins, subqueries, annotations and
ordering) costs a Spoolman request about a millisecond of CPU per query, for SQL that is the
same at every request but for a few values: the key's digest, the spool's number, the tenant.
A `PreparedQuery` compiles its queryset once; those values are `Slot`s in it, whose positions in
the compiled parameters are known, and each run fills them and executes the stored SQL. For a
queryset that varies per request (a list's filters, order and page), `compiled_sql` compiles one
costly part of it once instead: a correlated subquery's annotation (`OuterColumn`).

The queryset stays the single source of truth for the SQL, and its rows become model instances
the ORM's way (the compiler's converters, `Model.from_db`, its `select_related` populators and
annotations): a run returns what evaluating the queryset with those values would. Only the
SQL's text is kept between runs, never a result.
"""

from collections.abc import Mapping
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Expression, Field, Model, QuerySet
from django.db.models.query import ModelIterable, get_related_populators
from django.db.models.sql import Query
from django.db.transaction import TransactionManagementError


class Slot(Expression):
    """A value of a prepared query given at each run (`PreparedQuery.run`), as `field` stores it.

    Compiled as a parameter that is itself: its place among the compiled parameters names it. A
    queryset holding a slot is never evaluated as such (no database adapts a `Slot`).
    """

    def __init__(self, name: str, field: Field) -> None:
        super().__init__(output_field=field)
        self.name = name

    # A list of parameters, as Django 5.2's own expressions answer (django-stubs 6 describe Django 6's tuples).
    def as_sql(self, compiler: Any, connection: BaseDatabaseWrapper) -> tuple[str, list[Any]]:  # type: ignore[override]
        return "%s", [self]

    def get_group_by_cols(self) -> list[Any]:
        return []


class PreparedQuery:
    """`queryset` (of model instances, `select_related` and annotations allowed) compiled once for `connection`.

    Its SQL differs by backend (SQLite writes no `FOR UPDATE`): keep one per database alias.
    """

    def __init__(self, queryset: QuerySet, connection: BaseDatabaseWrapper) -> None:
        state: Any = queryset  # its private attributes, which the stubs do not describe
        if state._iterable_class is not ModelIterable or state._prefetch_related_lookups:
            raise TypeError("A prepared query returns model instances, nothing to prefetch.")
        if state._known_related_objects:
            raise TypeError("A prepared query is built from a manager, not a related manager.")
        compiler = queryset.query.get_compiler(connection=connection)
        self.for_update = bool(queryset.query.select_for_update and connection.features.has_select_for_update)
        # Compiled inside a transaction when it locks: the compiler refuses FOR UPDATE in autocommit.
        sql, params = compiler.as_sql()
        self.sql: str = sql
        self.params = tuple(params)
        self.slots = [(index, param) for index, param in enumerate(self.params) if isinstance(param, Slot)]
        # The rest is ModelIterable's reading of the rows, worked out once.
        select, klass_info = compiler.select, compiler.klass_info
        assert klass_info is not None  # a queryset of instances selects its model
        self.model: type[Model] = klass_info["model"]
        fields = klass_info["select_fields"]
        self.model_columns = slice(fields[0], fields[-1] + 1)
        self.init_list = [column[0].target.attname for column in select[self.model_columns]]
        self.alias = connection.alias
        # Django 5.2's signature (django-stubs 6 describe Django 6's, which adds `fetch_mode`).
        self.related_populators = get_related_populators(klass_info, select, connection.alias)  # type: ignore[call-arg]
        self.annotations = dict(compiler.annotation_col_map or {})
        self.col_count = compiler.col_count
        self.converters = list(compiler.get_converters([column[0] for column in select[: self.col_count]]).items())

    def run(self, connection: BaseDatabaseWrapper, values: Mapping[str, Any]) -> list[Any]:
        """The queryset's instances with the slots' `values` (each as its field prepares it for the database)."""
        if connection.alias != self.alias:
            raise ValueError(f"Prepared for {self.alias!r}, run on {connection.alias!r}.")
        if self.for_update and connection.get_autocommit():
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        params = list(self.params)
        for index, slot in self.slots:
            params[index] = slot.output_field.get_db_prep_value(values[slot.name], connection, prepared=False)
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        return [self._instance(list(row[: self.col_count]), connection) for row in rows]

    def _instance(self, row: list[Any], connection: BaseDatabaseWrapper) -> Any:
        for position, (converters, expression) in self.converters:
            value = row[position]
            for convert in converters:
                value = convert(value, expression, connection)
            row[position] = value
        instance = self.model.from_db(self.alias, self.init_list, row[self.model_columns])
        for populator in self.related_populators:
            populator.populate(row, instance)
        for name, position in self.annotations.items():
            setattr(instance, name, row[position])
        return instance


class OuterColumn(Expression):
    """A column of the outer query's `model` row, named by its table (`"inventory_spool"."id"`).

    Where `OuterRef` is resolved against the query a subquery is put into, this is written as
    the table's own name, which is how a query names its base table: a subquery filtered on it
    can be compiled once (`compiled_sql`) and its SQL put into any query whose base table is
    `model`'s. Not into a query that is itself nested (Django renames the tables of a nested
    query, never a name inside SQL text).
    """

    def __init__(self, model: type[Model], field_name: str) -> None:
        target = model._meta.get_field(field_name)
        if not isinstance(target, Field):
            raise TypeError(f"{model.__name__}.{field_name} is a reverse relation, not a column.")
        self.table = model._meta.db_table
        self.target = target
        super().__init__(output_field=target)

    def as_sql(self, compiler: Any, connection: BaseDatabaseWrapper) -> tuple[str, list[Any]]:  # type: ignore[override]
        quote = connection.ops.quote_name
        return f"{quote(self.table)}.{quote(str(self.target.column))}", []


def compiled_sql(model: type[Model], expression: Any, using: str) -> tuple[str, tuple[Any, ...], Field]:
    """`expression` (over `model`'s rows, outer rows named by `OuterColumn`) as SQL and parameters for `using`.

    What `QuerySet.annotate` would add to the SELECT of a query of `model`, compiled now: a
    `RawSQL` of it annotates a queryset per request without resolving and compiling the
    expression again (a few correlated subqueries cost a millisecond and more of CPU to build).
    """
    query = Query(model)
    resolved = expression.resolve_expression(query, allow_joins=True, reuse=None)
    sql, params = query.get_compiler(using).compile(resolved)
    return sql, tuple(params), resolved.output_field
