"""Raw SQL helpers: the one place for statements the ORM cannot say or pays too much for.

Each builds its statement from a model's own field and table names (never from input) and
passes every value as a parameter, prepared by the field as the ORM would prepare it. The SQL
is the same on SQLite and PostgreSQL.
"""

import datetime as dt
import functools
from collections.abc import Iterable, Mapping, Sequence
from contextlib import ExitStack, nullcontext
from typing import Any, NamedTuple

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Field, Model


class Expression(NamedTuple):
    """A value given as SQL with its own `%s` parameters, for `update`'s `values`
    (`CASE person_id WHEN %s THEN %s … END`): a column set row by row in one statement."""

    sql: str
    params: Sequence[Any] = ()


def _field(model: type[Model], name: str) -> Field:
    field = model._meta.get_field(name)
    if not isinstance(field, Field):  # a reverse relation or a generic key: no column here
        raise ValueError(f"{model.__name__}.{name} is not a column")
    return field


def _column(model: type[Model], name: str) -> str:
    return connection.ops.quote_name(_field(model, name).column)


def _prepared(model: type[Model], row: Mapping[str, Any]) -> list[Any]:
    return [_field(model, name).get_db_prep_save(value, connection) for name, value in row.items()]


def upsert(
    model: type[Model],
    key: Mapping[str, Any],
    values: Mapping[str, Any],
    changes: Mapping[str, str],
    *,
    only_if: str = "",
) -> bool:
    """Insert a row, or change the one with the same `key`: whether a row was written.

    One INSERT … ON CONFLICT (key) DO UPDATE: one statement whether or not the row exists
    yet, and safe against concurrent writers. `key` must be a unique constraint's fields.
    `changes` gives each changed field's SQL, `{t}` standing for the table and `excluded.`
    for the row that was to be inserted. With `only_if` (SQL, `{t}` as above), an existing
    row changes only when that holds.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    row = {**key, **values}
    params = _prepared(model, row)
    columns = ", ".join(_column(model, name) for name in row)
    conflict = ", ".join(_column(model, name) for name in key)
    sets = ", ".join(
        f"{_column(model, name)} = {sql.format(t=table)}" for name, sql in changes.items()
    )
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(params))})"  # noqa: S608
        f" ON CONFLICT ({conflict}) DO UPDATE SET {sets}"
    )
    if only_if:
        sql += f" WHERE {only_if.format(t=table)}"
    with connection.cursor() as cursor:
        cursor.execute(sql + " RETURNING 1", params)
        return cursor.fetchone() is not None


def update(
    model: type[Model],
    where: Mapping[str, Any],
    values: Mapping[str, Any],
    *,
    extra: str = "",
    params: Iterable[Any] = (),
) -> int:
    """UPDATE … SET values WHERE where [AND extra]: how many rows changed.

    `where` compares fields for equality; `extra` is a further SQL condition with its own
    `%s` parameters in `params` (datetimes adapted for the database); a value may be an
    `Expression`, SQL of its own. The same as a queryset's `.filter(**where).update(**values)`,
    without the ORM's cost of building it, for statements run for every message sent.
    """
    sql, arguments = _update(model, where, values, extra=extra, params=params)
    with connection.cursor() as cursor:
        cursor.execute(sql, arguments)
        return cursor.rowcount


def update_returning(
    model: type[Model],
    where: Mapping[str, Any],
    values: Mapping[str, Any],
    returning: str,
    *,
    extra: str = "",
    params: Iterable[Any] = (),
) -> list[Any]:
    """`update`, telling which rows changed: the `returning` field of each (UPDATE … RETURNING,
    one statement on SQLite and PostgreSQL alike)."""
    sql, arguments = _update(model, where, values, extra=extra, params=params)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {_column(model, returning)}", arguments)
        return [row[0] for row in cursor.fetchall()]


def _update(model, where, values, *, extra, params) -> tuple[str, list[Any]]:
    table = connection.ops.quote_name(model._meta.db_table)
    sets, set_params = [], []
    for name, value in values.items():
        if isinstance(value, Expression):
            sets.append(f"{_column(model, name)} = {value.sql}")
            set_params += _adapted(value.params)
        else:
            sets.append(f"{_column(model, name)} = %s")
            set_params += _prepared(model, {name: value})
    conditions = [f"{_column(model, name)} = %s" for name in where] + ([extra] if extra else [])
    sql = f"UPDATE {table} SET {', '.join(sets)} WHERE {' AND '.join(conditions)}"  # noqa: S608
    return sql, set_params + _prepared(model, where) + _adapted(params)


def _adapted(params: Iterable[Any]) -> list[Any]:
    """Parameters of SQL written by hand, datetimes adapted for the database."""
    return [
        connection.ops.adapt_datetimefield_value(p) if isinstance(p, dt.datetime) else p
        for p in params
    ]


def insert_new(model: type[Model], rows: Iterable[Mapping[str, Any]], *, batch: int = 2000) -> None:
    """INSERT … ON CONFLICT DO NOTHING for many rows: those whose unique fields are taken are
    left out, as `bulk_create(ignore_conflicts=True)` does, without building a model instance
    and compiling a statement for each row.

    Each row names its columns by attribute (`person_id`); the others get the field's default
    (a callable default is called for each row).
    """
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks}) ON CONFLICT DO NOTHING"  # noqa: S608
    db = connections[DEFAULT_DB_ALIAS]  # the connection itself, not its proxy, for each value
    constant = {
        f.attname: f.get_db_prep_save(f.get_default(), db)
        for f in fields
        if not callable(f.default)
    }

    def prepared(row: Mapping[str, Any]) -> list[Any]:
        values = []
        for f in fields:
            if f.attname in row:
                values.append(f.get_db_prep_save(row[f.attname], db))
            elif f.attname in constant:
                values.append(constant[f.attname])
            else:
                values.append(f.get_db_prep_save(f.get_default(), db))
        return values

    chunk: list[list[Any]] = []
    with connection.cursor() as cursor:
        for row in rows:
            chunk.append(prepared(row))
            if len(chunk) >= batch:
                cursor.executemany(sql, chunk)
                chunk = []
        if chunk:
            cursor.executemany(sql, chunk)


def insert_new_returning(
    model: type[Model], rows: Sequence[Mapping[str, Any]], *, returning: str, batch: int = 500
) -> list[Any]:
    """INSERT … ON CONFLICT DO NOTHING RETURNING: the `returning` field of the rows inserted.

    Every row names the same fields by attribute (`enrollment_id`); the others get their
    column's default. One statement for each `batch` rows, the same on SQLite and PostgreSQL,
    so that what a repeated write changes (nothing) is told apart from a first one.
    """
    if not rows:
        return []
    db = connections[DEFAULT_DB_ALIAS]
    names = list(rows[0])
    fields = [_field(model, name) for name in names]
    table = db.ops.quote_name(model._meta.db_table)
    columns = ", ".join(db.ops.quote_name(f.column) for f in fields)
    row_marks = f"({', '.join(['%s'] * len(fields))})"
    inserted: list[Any] = []
    with db.cursor() as cursor:
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            pairs = list(zip(names, fields, strict=True))
            params = [f.get_db_prep_save(row[n], db) for row in chunk for n, f in pairs]
            sql = (
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([row_marks] * len(chunk))}"  # noqa: S608
                f" ON CONFLICT DO NOTHING RETURNING {_column(model, returning)}"
            )
            cursor.execute(sql, params)
            inserted += [value for (value,) in cursor.fetchall()]
    return inserted


def rows_together(statements: Sequence[tuple[str, Sequence[Any]]]) -> list[list[tuple]]:
    """The rows of each (statement, parameters): on PostgreSQL sent together and answered in
    one round trip (psycopg's pipeline mode), elsewhere one after another.

    For reads a page makes one after another though none needs another's answer: each round
    trip costs the web process and the database server about as much CPU as the reading.
    """
    db = connections[DEFAULT_DB_ALIAS]
    with ExitStack() as stack:
        cursors = [stack.enter_context(db.cursor()) for _ in statements]
        together = db.vendor == "postgresql" and len(statements) > 1
        # The pipeline's errors arise as it ends: Django's error classes, as from a query.
        with db.wrap_database_errors, db.connection.pipeline() if together else nullcontext():
            for cursor, (sql, params) in zip(cursors, statements, strict=True):
                cursor.execute(sql, params)
        return [cursor.fetchall() for cursor in cursors]


def model_from_row(model: type[Model], values: Sequence[Any], *, using: str = DEFAULT_DB_ALIAS):
    """An instance of `model` from its row's values in the order of its fields, converted as
    the ORM converts them (on SQLite: true and false, aware datetimes, JSON): for rows read by
    a statement of our own, where a query's machinery cost more than the database's answer."""
    db = connections[using]
    row = list(values)
    for place, column, converters in _conversions(db.vendor, using, model):
        value = row[place]
        for convert in converters:
            value = convert(value, column, db)
        row[place] = value
    return model.from_db(using, _attnames(model), row)


@functools.cache
def _conversions(vendor: str, using: str, model: type[Model]) -> tuple[tuple[int, Any, list], ...]:
    """What the ORM does to each column of a model's row, by the column's place; only the
    columns it changes (none of most on PostgreSQL). Worked out once per model."""
    db = connections[using]
    found = []
    for place, field in enumerate(model._meta.concrete_fields):
        column = field.get_col(model._meta.db_table)
        # Django's own method, which its type stubs leave out.
        own = field.get_db_converters(db)  # type: ignore[attr-defined]
        converters = db.ops.get_db_converters(column) + own
        if converters:
            found.append((place, column, converters))
    return tuple(found)


@functools.cache
def _attnames(model: type[Model]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]
