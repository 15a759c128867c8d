"""What makes `radfollow tracker load` fast changes nothing it stores or refuses:
records lines read by pydantic's JSON parser read as ``json.loads`` reads them, and
a line it refuses is judged by ``loads_line`` as before; times written at the
driver's speed are SQLAlchemy's text; rows skipped on a conflict are those
``ON CONFLICT DO NOTHING`` skips; the garbage collector's thresholds come back."""

from __future__ import annotations

import gc
import json
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from radfollow.errors import InputFormatError
from radfollow.io.jsonl import loads_line
from radfollow.tracker.bulk import _rare_collections
from radfollow.tracker.copy import _sqlite_time, _sqlite_times, insert_new_rows
from radfollow.tracker.db import Tracker
from radfollow.tracker.records import _parse
from radfollow.tracker.rows import table
from radfollow.tracker.schema import Patient, UTCDateTime
from radfollow.tracker.store import refresh_statistics

READ_ALIKE = [
    '{"a": 1, "b": 2, "a": 3}',
    '{"n": 100000000000000000000000000000000, "m": -0, "z": -0.0}',
    '{"big": 1e400, "small": 1e-400, "e": 1E+2, "f": 1.7976931348623157e308}',
    '{"x": NaN, "y": Infinity, "z": -Infinity}',
    '{"s": "a\\/b\\n\\"c\\""}',
    ' {"spaced" : [ 1 , { } ] } ',
    '"a string"',
    "123",
    "null",
    '{"n": ' + "9" * 4300 + "}",
    '{"f": 0.1, "g": 2.675, "h": 123456789.123456789, "i": 9007199254740993}',
]
REFUSED = [
    '{"a": 1} x',
    '{"a": 1}{"b": 2}',
    '{"a": "\t"}',
    '{"a": 01}',
    '{"a": 1.}',
    '{"a": .5}',
    '{"a": nan}',
    '{"a": true,}',
    "{'a': 1}",
    '{"a": tru}',
    '{"n": ' + "9" * 4301 + "}",
]


@pytest.mark.parametrize("line", READ_ALIKE)
def test_a_records_line_reads_as_json_loads_reads_it(line: str) -> None:
    value = _parse(line, "f:1")
    assert repr(value) == repr(json.loads(line))
    assert type(value) is type(json.loads(line))


@pytest.mark.parametrize("line", REFUSED)
def test_a_refused_records_line_gets_the_reason_loads_line_gives(line: str) -> None:
    with pytest.raises(InputFormatError) as parsed:
        _parse(line, "f:1")
    with pytest.raises(InputFormatError) as reference:
        loads_line(line, where="f:1")
    assert (parsed.value.message, parsed.value.where) == (
        reference.value.message,
        reference.value.where,
    )


NEW_YORK = ZoneInfo("America/New_York")
TIMES = [
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(2024, 3, 1, 21, 30, tzinfo=UTC),
    datetime(2024, 3, 1, 21, 30, 0, 5, tzinfo=timezone(timedelta(hours=-5))),
    datetime(2024, 11, 3, 1, 30, tzinfo=NEW_YORK),  # the first 01:30 that day
    datetime(2024, 11, 3, 1, 30, tzinfo=NEW_YORK, fold=1),  # the second, an hour later
    datetime(2024, 11, 3, 5, 30, tzinfo=UTC),  # the first 01:30 in UTC
    datetime(9999, 12, 31, tzinfo=UTC),
    None,
]


@pytest.mark.parametrize("times", [TIMES, TIMES[::-1]])
def test_remembered_time_texts_are_sqlalchemys(times: list[datetime | None]) -> None:
    dialect = sa.create_engine("sqlite://").dialect
    reference = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert reference is not None
    process = _sqlite_times()
    for value in [*times, *times]:  # the second time from memory
        assert process(value) == reference(value) == _sqlite_time(value)


@pytest.mark.parametrize("rows", [[("P1", "A"), ("P2", "A"), ("P1", "A"), ("P1", "B")]])
def test_insert_new_rows_skips_stored_keys(db_url: str, rows: list[tuple[str, str]]) -> None:
    tracker = Tracker(db_url)
    try:
        with tracker.session() as session:
            values = [{"identifier": i, "assigning_authority": a} for i, a in rows[:2]]
            insert_new_rows(session, table(Patient), values, ("identifier", "assigning_authority"))
            values = [{"identifier": i, "assigning_authority": a} for i, a in rows[2:]]
            insert_new_rows(session, table(Patient), values, ("identifier", "assigning_authority"))
            insert_new_rows(session, table(Patient), [], ("identifier", "assigning_authority"))
            stored = session.execute(sa.select(Patient.identifier, Patient.assigning_authority))
            assert sorted(stored) == sorted(set(rows))
    finally:
        tracker.close()


@pytest.mark.parametrize("before", [(700, 10, 10), (0, 10, 10), (100_000, 5, 5)])
def test_rare_collections_restores_the_thresholds(before: tuple[int, int, int]) -> None:
    saved = gc.get_threshold()
    gc.set_threshold(*before)
    try:
        with pytest.raises(RuntimeError), _rare_collections():
            assert gc.get_threshold()[0] == (before[0] and max(before[0], 50_000))
            raise RuntimeError
        assert gc.get_threshold() == before
    finally:
        gc.set_threshold(*saved)


def test_refresh_statistics_counts_the_rows_a_load_inserted(db_url: str) -> None:
    """PostgreSQL plans foreign-key checks from the statistics: after a bulk insert
    they count the transaction's own new rows (SQLite: nothing to do, no error)."""
    tracker = Tracker(db_url)
    try:
        with tracker.session() as session:
            rows = [{"identifier": f"P{k}", "assigning_authority": "A"} for k in range(300)]
            insert_new_rows(session, table(Patient), rows, ("identifier", "assigning_authority"))
            refresh_statistics(session, Patient, added=300)
            if session.get_bind().dialect.name == "postgresql":
                counted = session.execute(
                    sa.text("SELECT reltuples FROM pg_class WHERE relname = 'patients'")
                ).scalar_one()
                assert counted >= 300
    finally:
        tracker.close()


def test_refresh_statistics_skips_a_table_another_session_holds(
    db_url: str, tmp_path: Path
) -> None:
    """ANALYZE waits for another loader's (or a VACUUM's) lock only briefly, then the
    load goes on without it, its transaction intact."""
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    tracker = Tracker(db_url)
    holder = tracker.engine.connect()
    try:
        holder.execute(sa.text("BEGIN"))
        holder.execute(sa.text("LOCK TABLE patients IN SHARE UPDATE EXCLUSIVE MODE"))
        with tracker.session() as session:
            before = session.execute(sa.text("SHOW lock_timeout")).scalar_one()
            rows = [{"identifier": f"Q{k}", "assigning_authority": "A"} for k in range(50)]
            insert_new_rows(session, table(Patient), rows, ("identifier", "assigning_authority"))
            started = time.monotonic()
            refresh_statistics(session, Patient, added=50)
            assert time.monotonic() - started < 5
            timeout = session.execute(sa.text("SHOW lock_timeout")).scalar_one()
            assert timeout == before  # the load's own statements wait as before
            assert session.execute(sa.select(sa.func.count()).select_from(Patient)).scalar() == 50
    finally:
        holder.rollback()
        holder.close()
        tracker.close()
