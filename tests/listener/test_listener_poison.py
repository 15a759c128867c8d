"""Poison messages (migration 0015): a message that kills its worker is failed, not
retried for ever, and the rows that only shared its batch are processed.

A worker death counts against every row the dead worker held (a dead worker's
rows given back by the listener, rows whose lease ran out, rows found at start);
such rows are then claimed one at a time, so later deaths are the row's own; at
``Lease.max_worker_deaths`` the row is failed. A graceful stop counts nothing.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from inbox_rows import add_inbox_rows
from mllp_client import oru, wait_for
from typer.testing import CliRunner

from radfollow.cli import app
from radfollow.listener.admin import inbox_status, replay
from radfollow.listener.claims import (
    Lease,
    claim,
    poison_error,
    recover,
    recover_at_start,
    recover_dead,
    worker_id,
)
from radfollow.listener.run import watch_workers
from radfollow.listener.worker import WorkerPool
from radfollow.nlp.pipeline import PipelineConfig
from radfollow.processing.core import ProcessingOptions
from radfollow.tracker.db import Tracker, alembic_config, make_engine, migrate
from radfollow.tracker.schema import InboxMessage

RULES_ONLY = ProcessingOptions(pipeline=PipelineConfig(classifier=False))
DEAD = "otherhost:4242"


def _rows(tracker: Tracker) -> dict[int, tuple[str, int, str | None]]:
    """id -> (status, worker_deaths, error)."""
    with tracker.session() as session:
        query = sa.select(
            InboxMessage.id, InboxMessage.status, InboxMessage.worker_deaths, InboxMessage.error
        )
        return {i: (status, deaths, error) for i, status, deaths, error in session.execute(query)}


def test_a_dead_workers_rows_count_the_death_and_are_claimed_alone(tracker: Tracker) -> None:
    held = add_inbox_rows(tracker, range(1, 4), status="processing", claimed_by=DEAD, lease_in=60)
    fresh = add_inbox_rows(tracker, range(4, 9))
    assert recover_dead(tracker, DEAD) == 3
    assert {i: r[:2] for i, r in _rows(tracker).items() if i in held} == {
        i: ("pending", 1) for i in held
    }
    # each of the dead worker's rows alone, oldest first, however large the batch
    assert [claim(tracker, 16, "me:1") for _ in held] == [[i] for i in held]
    # then the others as one batch, their count untouched
    assert claim(tracker, 16, "me:1") == fresh
    assert {_rows(tracker)[i][1] for i in fresh} == {0}


def test_a_graceful_give_back_counts_nothing(tracker: Tracker) -> None:
    ids = add_inbox_rows(tracker, range(1, 4), status="processing", claimed_by="me:1", lease_in=60)
    assert recover(tracker, "me:1") == 3
    assert {r[:2] for r in _rows(tracker).values()} == {("pending", 0)}
    assert claim(tracker, 16, "me:2") == ids


@pytest.mark.parametrize(("deaths_before", "status"), [(1, "pending"), (2, "failed")])
def test_the_death_that_reaches_the_cap_fails_the_row(
    tracker: Tracker, deaths_before: int, status: str
) -> None:
    (row_id,) = add_inbox_rows(
        tracker, range(1, 2), status="processing", claimed_by=DEAD, worker_deaths=deaths_before
    )
    assert recover_dead(tracker, DEAD, Lease(max_worker_deaths=3)) == 1
    got_status, deaths, error = _rows(tracker)[row_id]
    assert (got_status, deaths) == (status, deaths_before + 1)
    assert error == (poison_error(3) if status == "failed" else None)
    assert claim(tracker, 16, "me:1") == ([row_id] if status == "pending" else [])


def test_rows_whose_lease_ran_out_count_a_death_and_come_first_alone(tracker: Tracker) -> None:
    fresh = add_inbox_rows(tracker, range(1, 3))
    lapsed = add_inbox_rows(tracker, range(3, 6), status="processing", claimed_by=DEAD, lease_in=-5)
    live = add_inbox_rows(
        tracker, range(6, 7), status="processing", claimed_by="live:1", lease_in=60
    )
    poisoned = add_inbox_rows(
        tracker, range(7, 8), status="processing", claimed_by=DEAD, lease_in=-5, worker_deaths=2
    )
    assert claim(tracker, 16, "me:1") == [lapsed[0]]
    rows = _rows(tracker)
    assert [rows[i][:2] for i in lapsed] == [("processing", 1), ("pending", 1), ("pending", 1)]
    assert rows[live[0]][:2] == ("processing", 0)
    assert rows[poisoned[0]] == ("failed", 3, poison_error(3))
    assert claim(tracker, 16, "me:1") == [lapsed[1]]
    assert claim(tracker, 16, "me:1") == [lapsed[2]]
    assert claim(tracker, 16, "me:1") == fresh


def test_listener_start_counts_a_death_for_rows_it_recovers(tracker: Tracker) -> None:
    lapsed = add_inbox_rows(
        tracker, range(1, 3), status="processing", claimed_by=DEAD, lease_in=-5, worker_deaths=1
    )
    live = add_inbox_rows(
        tracker, range(3, 4), status="processing", claimed_by="live:1", lease_in=60
    )
    assert recover_at_start(tracker, Lease(max_worker_deaths=2)) == 2
    rows = _rows(tracker)
    assert {rows[i] for i in lapsed} == {("failed", 2, poison_error(2))}
    assert rows[live[0]][:2] == ("processing", 0)


def test_the_error_counts_the_deaths_a_row_saw(tracker: Tracker) -> None:
    """A cap lowered below a row's count: the row fails at its next death, with its count."""
    (row_id,) = add_inbox_rows(
        tracker, range(1, 2), status="processing", claimed_by=DEAD, worker_deaths=4
    )
    assert recover_dead(tracker, DEAD, Lease(max_worker_deaths=2)) == 1
    assert _rows(tracker)[row_id] == ("failed", 5, poison_error(5))


def test_replay_gives_a_poison_message_its_full_count_again(tracker: Tracker) -> None:
    (row_id,) = add_inbox_rows(
        tracker, range(1, 2), status="failed", worker_deaths=3, error=poison_error(3)
    )
    status = inbox_status(tracker)
    assert (status.poison, status.suspect) == (1, 0)
    assert replay(tracker, statuses=["failed"], dead_letters=False, since=None).requeued == 1
    assert _rows(tracker)[row_id] == ("pending", 0, None)
    assert (inbox_status(tracker).poison, inbox_status(tracker).suspect) == (0, 0)


def test_listen_status_names_poison_and_suspect_rows(db_url: str, tracker: Tracker) -> None:
    add_inbox_rows(tracker, range(1, 3), status="failed", worker_deaths=3, error=poison_error(3))
    add_inbox_rows(tracker, range(3, 4), status="failed", error="E200: the report has no text")
    add_inbox_rows(tracker, range(4, 5), worker_deaths=1)
    add_inbox_rows(tracker, range(5, 6))
    runner = CliRunner()
    text = runner.invoke(app, ["listen", "status", "--db", db_url])
    assert text.exit_code == 0, text.output
    assert "poison messages: 2 failed" in text.output
    assert "1 pending to be retried one at a time" in text.output
    found = json.loads(
        runner.invoke(app, ["listen", "status", "--db", db_url, "--format", "json"]).output
    )
    assert (found["failed"], found["poison"], found["suspect"]) == (3, 2, 1)


def test_no_worker_deaths_line_without_any(db_url: str, tracker: Tracker) -> None:
    add_inbox_rows(tracker, range(1, 3))
    result = CliRunner().invoke(app, ["listen", "status", "--db", db_url])
    assert result.exit_code == 0 and "poison" not in result.output


def test_the_cap_is_checked(tmp_path: Path) -> None:
    """A cap of 1 failed the rows that only shared the batch of the one that killed it."""
    with pytest.raises(ValueError, match="must be at least 2"):
        Lease(max_worker_deaths=1)
    Lease(max_worker_deaths=2)
    result = CliRunner().invoke(
        app, ["listen", "--db", f"sqlite:///{tmp_path / 't.db'}", "--max-worker-deaths", "1"]
    )
    assert result.exit_code == 2 and "--max-worker-deaths" in result.output


def test_sqlite_finds_suspect_rows_through_their_index(tmp_path: Path) -> None:
    """SQLite planned ix_inbox_status for the suspect look-up: every claim read every
    pending row (88 ms a claim with 600,000 pending)."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    tracker = Tracker(url)
    add_inbox_rows(tracker, range(1, 50))
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        seen.append((statement, parameters))

    engine = tracker.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert len(claim(tracker, 16, "me:1")) == 16
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    (statement, parameters), *_ = [(s, p) for s, p in seen if "worker_deaths >" in s]
    with engine.connect() as connection:
        plan = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    assert "ix_inbox_suspect" in " ".join(str(step[-1]) for step in plan)
    tracker.close()


def test_a_message_that_kills_its_worker_is_failed_and_its_batch_is_processed(
    tmp_path: Path, db_url: str, tracker: Tracker
) -> None:
    """Before: a message that killed its worker was claimed again, with its batch, after
    every restart, for ever. Here the test kills the worker whenever it holds row 5."""
    ids = add_inbox_rows(tracker, range(1, 21))
    poison = ids[4]
    with tracker.session() as session:  # long enough to be seen held (about 0.3 s of NLP)
        session.execute(
            sa.update(InboxMessage).where(InboxMessage.id == poison).values(raw=_long_oru(5))
        )
    pool = WorkerPool(tracker, db_url, str(tmp_path / "out"), RULES_ONLY, 1)
    pool.restart_delay = lambda failures: 0.0  # type: ignore[method-assign]
    alone_at_kill: list[bool] = []
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            rows = _rows(tracker)
            if rows[poison][0] == "failed" and all(
                status == "done" for i, (status, _, _) in rows.items() if i != poison
            ):
                break
            proc = pool.procs[0]
            if proc.is_alive() and proc.pid and _holds(tracker, worker_id(proc.pid), poison):
                os.kill(proc.pid, signal.SIGKILL)
                proc.join(30)
                held = [i for i, r in _rows(tracker).items() if r[0] == "processing"]
                alone_at_kill.append(held == [poison])
            pool.restart_dead()
            time.sleep(0.02)
    finally:
        pool.shutdown(timeout=30)
    rows = _rows(tracker)
    assert rows[poison] == ("failed", 3, poison_error(3))
    assert all(status == "done" for i, (status, _, _) in rows.items() if i != poison), rows
    # the first kill took a batch; the next two found the row claimed alone
    assert len(alone_at_kill) == 3 and alone_at_kill[1:] == [True, True]
    # rows of the first batch counted that one death and were then processed alone
    assert {deaths for i, (_, deaths, _) in rows.items() if i != poison} == {0, 1}
    assert count_reports(tracker) == 19


def test_rows_of_a_worker_killed_at_shutdown_go_back_without_a_death(
    tmp_path: Path, db_url: str, tracker: Tracker
) -> None:
    """A worker still busy when the listener stopped was killed and its whole batch
    counted a death at the next start, so a slow row became 'poison' in three stops."""
    ids = add_inbox_rows(tracker, range(1, 21))
    with tracker.session() as session:  # about a second of NLP for the first four
        for n, row_id in enumerate(ids[:4], start=1):
            session.execute(
                sa.update(InboxMessage).where(InboxMessage.id == row_id).values(raw=_long_oru(n))
            )
    pool = WorkerPool(tracker, db_url, str(tmp_path / "out"), RULES_ONLY, 1)
    try:
        assert wait_for(lambda: _rows(tracker)[ids[0]][0] != "pending", 120)
    finally:
        pool.shutdown(timeout=0.01)  # the long row is still in hand: the worker is killed
    rows = _rows(tracker)
    assert {status for status, _, _ in rows.values()} <= {"pending", "done"}
    assert {deaths for _, deaths, _ in rows.values()} == {0}
    assert recover_at_start(tracker) == 0


def _long_oru(n: int) -> bytes:
    lines = "".join(
        f"OBX|{k}|TX|RPT||The heart size is normal and the lungs are clear on this view.||||||F\r"
        for k in range(3, 1200)
    )
    return oru(n).replace(b"OBX|1|", lines.encode() + b"OBX|1|", 1)


def count_reports(tracker: Tracker) -> int:
    from radfollow.tracker.schema import Study

    with tracker.session() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(Study)) or 0)


def _holds(tracker: Tracker, worker: str, row_id: int) -> bool:
    with tracker.session() as session:
        row = session.get(InboxMessage, row_id)
        return row is not None and row.status == "processing" and row.claimed_by == worker


def test_migration_0015_keeps_rows_and_downgrades(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine, "0014")
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO inbox (received_at, peer, sending_facility, control_id,"
                " message_type, raw, status, attempts) VALUES (:t, 'p', 'HOSP', 'C1',"
                " 'ORU^R01', :raw, 'pending', 0)"
            ),
            {"t": datetime.now(UTC), "raw": oru(1)},
        )
    migrate(engine, "head")
    inspector = sa.inspect(engine)
    assert "ix_inbox_suspect" in {i["name"] for i in inspector.get_indexes("inbox")}
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT worker_deaths FROM inbox")).all() == [(0,)]
    command.downgrade(alembic_config(engine), "0014")
    columns = {c["name"] for c in sa.inspect(engine).get_columns("inbox")}
    assert "worker_deaths" not in columns and "lease_until" in columns
    migrate(engine, "head")
    engine.dispose()


def test_the_worker_watch_survives_a_database_that_is_away(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The first database error while restarting dead workers ended the watch: dead
    workers were never restarted again while the listener went on ACKing."""
    calls: list[int] = []

    class Pool:
        def restart_dead(self) -> int:
            calls.append(1)
            if len(calls) == 1:
                raise sa.exc.OperationalError("UPDATE inbox", {}, Exception("server closed"))
            return 0

    async def run() -> None:
        task = asyncio.create_task(watch_workers(Pool(), interval=0.01))  # type: ignore[arg-type]
        while len(calls) < 3:
            await asyncio.sleep(0.01)
        task.cancel()

    asyncio.run(asyncio.wait_for(run(), 10))
    assert "cannot restart dead workers yet (OperationalError)" in caplog.text


def test_a_worker_lives_on_when_it_cannot_settle_a_row(tmp_path: Path) -> None:
    """A database error while a row was marked failed ended the worker: its restart then
    counted a death against every row it held. Now the worker lives on and counts the
    failure against that row alone, so a row that can never be settled ends failed;
    each try appends its Bundle line once (write() retried the commit: four lines)."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    out = tmp_path / "out"
    tracker = Tracker(url)
    ids = add_inbox_rows(tracker, range(1, 6))
    refused = ids[1]
    with tracker.engine.begin() as connection:  # COMMIT fails for this row, after the fsync
        connection.exec_driver_sql(
            "CREATE TABLE refuse (ref INTEGER REFERENCES inbox(id) DEFERRABLE INITIALLY DEFERRED)"
        )
        connection.exec_driver_sql(
            "CREATE TRIGGER refuse AFTER UPDATE OF status ON inbox"
            f" WHEN NEW.id = {refused} AND NEW.status IN ('done', 'failed')"
            " BEGIN INSERT INTO refuse VALUES (-1); END"
        )
    pool = WorkerPool(tracker, url, str(out), RULES_ONLY, 1)
    try:
        first = pool.procs[0]
        others = [i for i in ids if i != refused]
        assert wait_for(lambda: all(_rows(tracker)[i][0] == "done" for i in others), 120)
        assert wait_for(lambda: _rows(tracker)[refused][1] >= 2, 60)
        assert first.is_alive()
        with tracker.session() as session:
            tries = session.get(InboxMessage, refused).attempts  # type: ignore[union-attr]
        lines = sum(len(f.read_text().splitlines()) for f in out.glob("bundles-*.ndjson"))
        assert len(others) < lines <= len(others) + tries
        with tracker.engine.begin() as connection:
            connection.exec_driver_sql("DROP TRIGGER refuse")
        assert wait_for(lambda: _rows(tracker)[refused][0] in {"done", "failed"}, 60)
        assert pool.procs[0] is first
        assert _rows(tracker)[refused] in {("done", 2, None), ("failed", 3, poison_error(3))}
        assert {_rows(tracker)[i][1] for i in others} == {0}
    finally:
        pool.shutdown(timeout=30)
        tracker.close()


def test_a_row_another_worker_claims_meanwhile_is_left_to_it(tmp_path: Path) -> None:
    """SQLite: between the look-up and the update of a dead worker's rows, another
    worker took the expired row; the update still counted a death on the live claim
    and, at the cap, failed it as poison while it was being processed."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    listener, other = Tracker(url), Tracker(url)
    (row_id,) = add_inbox_rows(
        listener, range(1, 2), status="processing", claimed_by=DEAD, lease_in=-5
    )
    lease = Lease(max_worker_deaths=2)
    taken: list[list[int]] = []

    def meanwhile(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().startswith("UPDATE inbox") and not taken:
            taken.append(claim(other, 16, "live:1", lease))

    sa.event.listen(listener.engine, "before_cursor_execute", meanwhile)
    try:
        assert recover_dead(listener, DEAD, lease) == 0
    finally:
        sa.event.remove(listener.engine, "before_cursor_execute", meanwhile)
    assert taken == [[row_id]]
    assert _rows(listener)[row_id] == ("processing", 1, None)
    listener.close()
    other.close()
