"""Many rows into one table at the driver's speed, for the bulk loader.

SQLAlchemy's executemany spends more time preparing each row's parameters than
the database spends storing it; here every column's bind processor (the same
conversions SQLAlchemy applies: UTC times, JSON, booleans) is looked up once and
run column by column, and the rows go to the driver directly: ``COPY ... FROM
STDIN`` on PostgreSQL, the sqlite3 module's ``executemany`` on SQLite. The
caller's transaction holds them. A driver error is raised as SQLAlchemy's
:class:`~sqlalchemy.exc.DBAPIError` (without parameters), so
:mod:`radfollow.tracker.transaction` judges it as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from itertools import repeat
from operator import itemgetter
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from radfollow.tracker.schema import UTCDateTime

_NONE = object()
Column = tuple[str, Any, Callable[[Any], Any] | None]


def insert_rows(session: Session, target: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts, not all with the same keys) into ``target``; a column
    a row leaves out gets its scalar default, else NULL."""
    _insert(session, target, rows, ())


def insert_new_rows(
    session: Session, target: Table, rows: Sequence[dict[str, Any]], unique: Sequence[str]
) -> None:
    """As :func:`insert_rows`, skipping each row whose ``unique`` columns are those of
    a stored row (``ON CONFLICT (unique) DO NOTHING``). On PostgreSQL, where COPY
    cannot skip a row, through SQLAlchemy's insert."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        statement = pg_insert(target).on_conflict_do_nothing(index_elements=list(unique))
        session.execute(statement, list(rows))
        return
    _insert(session, target, rows, unique)


def _insert(
    session: Session, target: Table, rows: Sequence[dict[str, Any]], unique: Sequence[str]
) -> None:
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    keys: set[str] = set().union(*rows)  # every row's keys, not only the first's
    columns = _columns(target, keys, dialect)
    if not any(key in keys for key, _, _ in columns):
        raise ValueError("rows without values")
    # a default column repeats without end: the rows' columns decide the length
    data = zip(*(_column_values(rows, column, keys) for column in columns), strict=False)
    prepare = dialect.identifier_preparer
    names = ", ".join(prepare.quote(key) for key, _, _ in columns)
    table_name = prepare.format_table(target)
    raw = connection.connection.driver_connection
    if raw is None:  # pragma: no cover - a live connection always has one
        raise RuntimeError("no driver connection")
    cursor = raw.cursor()
    statement = f"COPY {table_name} ({names}) FROM STDIN"
    try:
        if dialect.name == "postgresql":
            with cursor.copy(statement) as copy:
                for line in data:
                    copy.write_row(line)
        else:
            marks = ", ".join("?" for _ in columns)
            statement = f"INSERT INTO {table_name} ({names}) VALUES ({marks})"
            if unique:
                conflict = ", ".join(prepare.quote(key) for key in unique)
                statement += f" ON CONFLICT ({conflict}) DO NOTHING"
            cursor.executemany(statement, data)
    except dialect.loaded_dbapi.Error as error:
        raise DBAPIError.instance(
            statement, None, error, dialect.loaded_dbapi.Error, hide_parameters=True
        ) from None
    finally:
        cursor.close()


def _column_values(rows: Sequence[dict[str, Any]], column: Column, keys: set[str]) -> Iterable[Any]:
    """One column's bound values, row by row: the rows' values, else the default."""
    key, default, process = column
    if key not in keys:  # the same for every row: processed once
        return repeat(default if process is None or default is None else process(default))
    try:
        values = list(map(itemgetter(key), rows))
    except KeyError:  # a row without the key: the default, else NULL
        values = [row.get(key, default) for row in rows]
    return values if process is None else map(process, values)


def _columns(target: Table, keys: set[str], dialect: Dialect) -> list[Column]:
    columns: list[Column] = []
    for column in target.c:
        default = _NONE
        if column.default is not None and column.default.is_scalar:
            default = column.default.arg  # type: ignore[attr-defined]
        if column.key not in keys and default is _NONE:
            continue
        process: Callable[[Any], Any] | None
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        if isinstance(column.type, UTCDateTime) and dialect.name == "sqlite":
            process = _sqlite_times() if _same_text(process) else process
        columns.append((column.key, None if default is _NONE else default, process))
    return columns


def _sqlite_time(value: datetime | None) -> str | None:
    """An aware time as SQLAlchemy's SQLite DATETIME stores it, in UTC, three times
    faster (checked against SQLAlchemy's own text by :func:`_same_text`)."""
    if value is None:
        return None
    if value.tzinfo is UTC:  # its ISO text without the "+00:00"
        return value.isoformat(" ", "microseconds")[:-6]
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _sqlite_times() -> Callable[[datetime | None], str | None]:
    """:func:`_sqlite_time` remembering the texts it gave: one column's rows repeat
    times (a report's time in each of its recommendations, the end of time in every
    open one). Two equal times in one zone are distinct instants when their ``fold``
    differs: a time with ``fold=1`` is remembered apart."""
    texts: dict[datetime | tuple[datetime, int], str | None] = {}

    def process(value: datetime | None) -> str | None:
        if value is None:
            return None
        key = (value, 1) if value.fold else value
        text = texts.get(key)
        if text is None:
            text = texts[key] = _sqlite_time(value)
        return text

    return process


_SAMPLES = (
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(2024, 3, 1, 21, 30, 0, 5, tzinfo=timezone(timedelta(hours=-5))),
    datetime(2024, 3, 1, 21, 30, tzinfo=UTC),
    datetime(9999, 12, 31, tzinfo=UTC),
)


def _same_text(process: Callable[[Any], Any] | None) -> bool:
    return process is not None and all(process(v) == _sqlite_time(v) for v in _SAMPLES)
