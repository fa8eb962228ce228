"""Bulk writes that bypass the ORM: COPY on PostgreSQL, executemany on SQLite.

Per-row saves would take hours for ten million rows; these take minutes.
"""

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Model


def write_rows(model: type[Model], fields: Sequence[str], rows: Sequence[tuple]) -> int:
    """Insert rows (values in the order of `fields`) into the model's table; the row count.

    Columns not named get the model's default, so a field added later needs no change here.
    """
    quote = connection.ops.quote_name
    named = [model._meta.get_field(f) for f in fields]
    others = [f for f in model._meta.concrete_fields if f not in named and not f.primary_key]
    defaults = tuple(f.get_db_prep_save(f.get_default(), connection) for f in others)
    if defaults:
        rows = [row + defaults for row in rows]
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in named + others)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One COPY is one transaction in autocommit: deferred foreign-key checks stay bounded.
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(named + others))
            insert = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 - quoted names
            cursor.executemany(insert, rows)
    return len(rows)


@contextmanager
def bulk_session() -> Iterator[None]:
    """SQLite: one transaction without a journal; a bench database is thrown away if it fails."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode=OFF")
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA cache_size=-1000000")  # 1 GB: index pages stay in memory
    try:
        with transaction.atomic():
            yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")  # what the server's connections expect
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA cache_size=-2000")


@contextmanager
def indexes_deferred(models: Sequence[type[Model]]) -> Iterator[None]:
    """Drop the tables' secondary indexes and constraints, and build them again after the load.

    Building an index once from sorted rows is far quicker than updating it row by row; both
    databases' manuals advise it for bulk loads. Only what can be dropped is: SQLite keeps
    the unique constraints that Django writes into its tables.
    """
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            restore = [_pg_drop(cursor, table) for table in tables]
        else:
            restore = [_sqlite_drop(cursor, table) for table in tables]
    yield
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET maintenance_work_mem = '1GB'")  # sorts for the index builds
        for statement in (s for statements in restore for s in statements):
            cursor.execute(statement)
        if connection.vendor == "postgresql":
            cursor.execute("RESET maintenance_work_mem")


def _pg_drop(cursor, table: str) -> list[str]:
    """Drop the table's unique and foreign-key constraints and plain indexes; how to restore."""
    quote = connection.ops.quote_name
    name = quote(table)
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = %s::regclass AND contype IN ('u', 'f') ORDER BY contype DESC",
        [name],
    )
    constraints = cursor.fetchall()  # unique ones first: a foreign key may need their index
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
        " AND tablename = %s AND indexname NOT IN"
        " (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
        [table, name],
    )
    indexes = cursor.fetchall()
    for constraint, _ in reversed(constraints):
        cursor.execute(f"ALTER TABLE {name} DROP CONSTRAINT {quote(constraint)}")
    for index, _ in indexes:
        cursor.execute(f"DROP INDEX {quote(index)}")
    add = [f"ALTER TABLE {name} ADD CONSTRAINT {quote(c)} {sql}" for c, sql in constraints]
    return [definition for _, definition in indexes] + add


def _sqlite_drop(cursor, table: str) -> list[str]:
    cursor.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s"
        " AND sql IS NOT NULL",
        [table],
    )
    indexes = cursor.fetchall()
    for index, _ in indexes:
        cursor.execute(f"DROP INDEX {connection.ops.quote_name(index)}")
    return [sql for _, sql in indexes]


def finish(models: Sequence[type[Model]]) -> None:
    """After writing explicit ids: move the id sequences on and refresh planner statistics."""
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)
        if connection.vendor == "postgresql":
            # Autovacuum would do this soon after a load in production; do it now, once.
            for model in models:
                cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def utc_text() -> Callable[[int], str]:
    """A formatter of Unix seconds as the database's text for a UTC timestamp.

    Django stores naive UTC text in SQLite and compares it as text, so the suffix is only for
    PostgreSQL, where it makes the text independent of the session's time zone.
    """
    suffix = "+00:00" if connection.vendor == "postgresql" else ""

    def text(seconds: int) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds)) + suffix

    return text
