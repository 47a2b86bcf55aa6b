"""A queryset (or a write) compiled to SQL once per process, run with the values that change per request.

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

The hot writes are compiled once the same way (`PreparedUpdate`, `PreparedInsert` through `insert_rows`):
Django's own compilers write their SQL once, from the queryset and the model's `_meta`, and each
run sends it with the values prepared as the ORM prepares them (each field's `get_db_prep_save`).
Building and compiling a ledger row's INSERT, a spool's UPDATE and an event's INSERT cost each
printer's `use` about 0.65 ms of CPU between them (3.2 ms a request before, 2.55 ms after; issue 17).
"""

from collections.abc import Mapping, Sequence
from typing import Any, cast

from django.db import connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import AutoField, Expression, Field, Model, QuerySet
from django.db.models.expressions import DatabaseDefault
from django.db.models.query import ModelIterable, get_related_populators
from django.db.models.sql import InsertQuery, Query, UpdateQuery
from django.db.transaction import TransactionManagementError


class Slot(Expression):
    """A value of a prepared query given at each run (`PreparedQuery.run`), as `field` stores it.

    Compiled as a parameter that is itself: its place among the compiled parameters names it. A
    queryset holding a slot is never evaluated as such (no database adapts a `Slot`). `saved`: a
    value a write stores (prepared by the field's `get_db_prep_save`), not one a lookup compares.
    """

    def __init__(self, name: str, field: Field, *, saved: bool = False) -> None:
        super().__init__(output_field=field)
        self.name = name
        self.saved = saved

    # A list of parameters, as Django 5.2's own expressions answer (django-stubs 6 describe Django 6's tuples).
    def as_sql(self, compiler: Any, connection: BaseDatabaseWrapper) -> tuple[str, list[Any]]:  # type: ignore[override]
        return "%s", [self]

    def get_group_by_cols(self) -> list[Any]:
        return []


class PreparedQuery:
    """`queryset` (of model instances, `select_related` and annotations allowed) compiled once for `connection`.

    Its SQL differs by backend (SQLite writes no `FOR UPDATE`): keep one per database alias. `then`:
    statements sent after the query in the same message, their results ignored (one round trip for
    both; PostgreSQL only, and no parameters: no `%` in them).
    """

    def __init__(self, queryset: QuerySet, connection: BaseDatabaseWrapper, *, then: str = "") -> None:
        state: Any = queryset  # its private attributes, which the stubs do not describe
        if state._iterable_class is not ModelIterable or state._prefetch_related_lookups:
            raise TypeError("A prepared query returns model instances, nothing to prefetch.")
        if state._known_related_objects:
            raise TypeError("A prepared query is built from a manager, not a related manager.")
        compiler = queryset.query.get_compiler(connection=connection)
        self.for_update = bool(queryset.query.select_for_update and connection.features.has_select_for_update)
        # Compiled inside a transaction when it locks: the compiler refuses FOR UPDATE in autocommit.
        sql, params = compiler.as_sql()
        self.sql: str = f"{sql}; {then}" if then else sql
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
        params = filled(self.params, self.slots, values, connection)
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        return [self._instance(list(row[: self.col_count]), connection) for row in rows]

    def _instance(self, row: list[Any], connection: BaseDatabaseWrapper) -> Any:
        converted(row, self.converters, connection)
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


Converters = Sequence[tuple[int, tuple[Sequence[Any], Any]]]


def converted(row: list[Any], converters: Converters, connection: BaseDatabaseWrapper) -> list[Any]:
    """`row` (a list, changed in place and returned) with each column's converters applied, as a queryset
    applies them (`SQLCompiler.apply_converters`): `converters` are `(position, (functions, expression))`,
    the items of `SQLCompiler.get_converters`."""
    for position, (functions, expression) in converters:
        value = row[position]
        for convert in functions:
            value = convert(value, expression, connection)
        row[position] = value
    return row


def filled(
    params: Sequence[Any], slots: Sequence[tuple[int, Slot]], values: Mapping[str, Any], connection: BaseDatabaseWrapper
) -> list[Any]:
    """The compiled `params` with each slot's value of `values`, prepared as its field prepares it."""
    params = list(params)
    for index, slot in slots:
        field, value = slot.output_field, values[slot.name]
        if slot.saved:
            params[index] = field.get_db_prep_save(value, connection)
        else:
            params[index] = field.get_db_prep_value(value, connection, prepared=False)
    return params


class PreparedUpdate:
    """`queryset.update(**{name: value for name in fields})` compiled once for `connection` (by Django's
    SQLUpdateCompiler, from the queryset and the fields' `_meta`); each run gives the values of `fields`
    and of the queryset's own slots, and answers the number of rows updated, as `update` does."""

    def __init__(self, queryset: QuerySet, connection: BaseDatabaseWrapper, *, fields: Sequence[str]) -> None:
        opts = queryset.model._meta
        query = cast(UpdateQuery, queryset.query.chain(UpdateQuery))
        query.add_update_values({name: Slot(name, opts.get_field(name), saved=True) for name in fields})
        # `QuerySet.update`'s preparation of its query, for a queryset without annotations or ordering.
        if query.annotations or query.order_by or query.is_sliced:
            raise TypeError("A prepared update is of a plain filtered queryset.")
        query.clear_select_clause()
        if query.get_related_updates():
            raise TypeError("A prepared update writes one table (no inherited model).")
        sql, params = query.get_compiler(connection=connection).as_sql()
        self.sql: str = sql
        self.params = tuple(params)
        self.slots = [(index, param) for index, param in enumerate(self.params) if isinstance(param, Slot)]
        self.alias = connection.alias

    def run(self, connection: BaseDatabaseWrapper, values: Mapping[str, Any]) -> int:
        if connection.alias != self.alias:
            raise ValueError(f"Prepared for {self.alias!r}, run on {connection.alias!r}.")
        params = filled(self.params, self.slots, values, connection)
        with transaction.mark_for_rollback_on_error(using=self.alias), connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            return cursor.rowcount


class PreparedInsert:
    """`bulk_create([row])` of one new row of `model`, compiled once for `connection` by Django's
    SQLInsertCompiler: its columns are the model's (`_meta`), its values the row's, prepared at each
    run by each field's `pre_save` and `get_db_prep_save`, as that compiler prepares them.

    One row: several rows' INSERT is written differently per database (PostgreSQL's `UNNEST` of
    arrays), so it stays `bulk_create`'s. `pk_set`: whether the row comes with its primary key (a
    UUID's default) or takes it from the database (an auto field, returned with the other columns
    the database fills, as `bulk_create` returns them where the database can). A column left to the
    database (`db_default`, e.g. a transaction id) is written as the compiler writes it (`DEFAULT`),
    so the row must leave it so.
    """

    def __init__(self, model: type[Model], connection: BaseDatabaseWrapper, *, pk_set: bool) -> None:
        opts = model._meta
        fields = [field for field in opts.concrete_fields if not field.generated]
        if not pk_set:
            fields = [field for field in fields if not isinstance(field, AutoField)]
        row = model()
        self.defaulted = [f.attname for f in fields if isinstance(getattr(row, f.attname), DatabaseDefault)]
        self.value_fields = [field for field in fields if field.attname not in self.defaulted]
        for field in self.value_fields:
            setattr(row, field.attname, Slot(field.attname, field, saved=True))
        query = InsertQuery(model)
        query.insert_values(fields, [row])
        compiler = query.get_compiler(connection=connection)
        # What `bulk_create` asks back (`_batched_insert`), set on the row as it sets them.
        returning = opts.db_returning_fields if connection.features.can_return_rows_from_bulk_insert else []
        self.returned = [field for field in returning if not (pk_set and field is opts.pk)]
        compiler.returning_fields = returning
        ((sql, params),) = compiler.as_sql()
        # One parameter per value, in the fields' order: each run lists them so.
        names = [param.name if isinstance(param, Slot) else param for param in params]
        if names != [field.attname for field in self.value_fields]:
            raise TypeError(f"{model.__name__}'s INSERT has parameters that are not its row's values: {names}.")
        self.sql: str = sql
        self.returning = returning
        self.converters = list(compiler.get_converters([f.get_col(opts.db_table) for f in returning]).items())
        self.pk_set = pk_set
        self.alias = connection.alias

    def run(self, connection: BaseDatabaseWrapper, row: Model) -> None:
        """Insert `row` (a new instance of the model) and mark it saved, as `bulk_create` does."""
        if connection.alias != self.alias:
            raise ValueError(f"Prepared for {self.alias!r}, run on {connection.alias!r}.")
        obj: Any = row  # its private methods, which the stubs do not describe
        obj._prepare_related_fields_for_save(operation_name="bulk_create")  # as `bulk_create` checks it
        if obj._is_pk_set() != self.pk_set or any(
            not isinstance(getattr(obj, name), DatabaseDefault) for name in self.defaulted
        ):
            raise ValueError(f"{obj!r} sets a column this INSERT leaves to the database.")
        params = [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in self.value_fields]
        with transaction.mark_for_rollback_on_error(using=self.alias), connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            returned = cursor.fetchone() if self.returning else None
        if returned is not None:
            values = converted(list(returned), self.converters, connection)
            for field, value in zip(self.returning, values, strict=True):
                if field in self.returned:
                    setattr(obj, field.attname, value)
        obj._state.adding = False
        obj._state.db = self.alias


_prepared_inserts: dict[tuple[type[Model], str, bool], PreparedInsert] = {}


def insert_rows(model: type[Model], objs: Sequence[Model]) -> None:
    """`model._base_manager.bulk_create(objs)`: one row (a write's ledger row, its event) by an INSERT
    compiled once per process, database and kind of primary key (`PreparedInsert`); several by `bulk_create`."""
    if len(objs) != 1:
        model._base_manager.bulk_create(objs)
        return
    obj: Any = objs[0]  # its private methods, which the stubs do not describe
    if not obj._is_pk_set():
        obj.pk = obj._meta.pk.get_pk_value_on_save(obj)  # as `bulk_create`: a primary key's default, if any
    connection = connections[router.db_for_write(model)]
    key = (model, connection.alias, obj._is_pk_set())
    prepared = _prepared_inserts.get(key)
    if prepared is None:
        prepared = _prepared_inserts[key] = PreparedInsert(model, connection, pk_set=key[2])
    prepared.run(connection, obj)
