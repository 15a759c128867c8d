"""Claims are leases (issue 18): several listeners share one database.

A claim takes rows whose lease ran out but never a live one; a heartbeat keeps
a lease; a worker that lost its lease writes nothing; a listener's start leaves
another listener's live leases alone; and two listeners on one database, one
killed with its worker mid-stream, process every AA'd message exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from db_helpers import count
from inbox_rows import add_inbox_rows
from mllp_client import Client, Listener, ack_code, oru, wait_for

from radfollow.listener.claims import Heartbeat, Lease, claim, recover_at_start, renew, worker_id
from radfollow.listener.worker import Processor
from radfollow.nlp.pipeline import PipelineConfig
from radfollow.processing.core import ProcessingOptions
from radfollow.tracker.db import Tracker, alembic_config, make_engine, migrate
from radfollow.tracker.schema import InboxMessage

RULES_ONLY = ProcessingOptions(pipeline=PipelineConfig(classifier=False))
OTHER = "otherhost:4242"


def _add_row(tracker: Tracker, n: int, **values: object) -> int:
    """One inbox row for ``oru(n)`` (``add_inbox_rows``)."""
    return add_inbox_rows(tracker, range(n, n + 1), **values)[0]


def _row(tracker: Tracker, row_id: int) -> InboxMessage:
    with tracker.session() as session:
        row = session.get(InboxMessage, row_id)
        assert row is not None
        session.expunge(row)
        return row


def _expire(tracker: Tracker, row_id: int) -> None:
    with tracker.session() as session:
        session.execute(
            sa.update(InboxMessage)
            .where(InboxMessage.id == row_id)
            .values(lease_until=datetime.now(UTC) - timedelta(seconds=1))
        )


@pytest.mark.parametrize(
    ("name", "row", "taken"),
    [
        ("pending", {}, True),
        ("lease ran out", {"status": "processing", "claimed_by": OTHER, "lease_in": -5}, True),
        ("no lease (0013): start-up's", {"status": "processing", "claimed_by": OTHER}, False),
        ("live lease", {"status": "processing", "claimed_by": OTHER, "lease_in": 60}, False),
        ("done", {"status": "done", "claimed_by": OTHER, "lease_in": -5}, False),
        ("failed", {"status": "failed"}, False),
    ],
)
def test_claim_takes_expired_leases_but_not_live_ones(
    tracker: Tracker, name: str, row: dict[str, object], taken: bool
) -> None:
    row_id = _add_row(tracker, 1, attempts=1, **row)
    before = datetime.now(UTC)
    assert claim(tracker, 10, "me:1", Lease(30)) == ([row_id] if taken else []), name
    stored = _row(tracker, row_id)
    if taken:
        assert (stored.status, stored.claimed_by, stored.attempts) == ("processing", "me:1", 2)
        assert stored.lease_until is not None and stored.heartbeat_at is not None
        assert stored.lease_until - stored.heartbeat_at == timedelta(seconds=30)
        assert stored.lease_until > before + timedelta(seconds=25)
    else:
        assert (stored.status, stored.attempts) == (row.get("status"), 1)


@pytest.mark.parametrize(("worker", "renewed"), [("me:1", 1), (OTHER, 0)])
def test_renewal_extends_only_the_holders_lease(
    tracker: Tracker, worker: str, renewed: int
) -> None:
    row_id = _add_row(tracker, 1, status="processing", claimed_by="me:1", lease_in=2)
    old = _row(tracker, row_id).lease_until
    assert old is not None
    assert renew(tracker, worker, Lease(60)) == renewed
    new = _row(tracker, row_id).lease_until
    assert new is not None
    assert (new > old + timedelta(seconds=50)) is bool(renewed)


@pytest.mark.parametrize(("beating", "taken_by_other"), [(True, False), (False, True)])
def test_a_heartbeat_holds_a_lease_past_its_length(
    tracker: Tracker, beating: bool, taken_by_other: bool
) -> None:
    lease = Lease(1.0, 0.2)
    row_id = _add_row(tracker, 1)
    assert claim(tracker, 1, "me:1", lease) == [row_id]
    if beating:
        with Heartbeat(tracker, "me:1", lease) as heartbeat:
            time.sleep(2.5)
            assert claim(tracker, 1, OTHER, lease) == []
        assert heartbeat.beats >= 5
    else:
        time.sleep(1.5)
    assert (claim(tracker, 1, OTHER, lease) == [row_id]) is taken_by_other


def _steal(tracker: Tracker, row_id: int) -> None:
    """The worker's lease runs out and another worker claims the row."""
    _expire(tracker, row_id)
    assert claim(tracker, 1, OTHER) == [row_id]


@pytest.mark.parametrize(
    ("name", "message", "when"),
    [
        ("lost before reading the row", oru(1), "before"),
        ("lost while extracting", oru(1), "during"),
        ("lost while extracting a row that fails", b"MSH|^~\\&|RIS|HOSP|garbage", "during"),
    ],
)
def test_a_worker_that_lost_its_lease_writes_nothing(
    tmp_path: Path,
    tracker: Tracker,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    message: bytes,
    when: str,
) -> None:
    processor = Processor(tracker, tmp_path / "out", RULES_ONLY)
    prepare = processor._prepare
    row_id = _add_row(tracker, 1, raw=message)
    assert claim(tracker, 1, processor.worker) == [row_id]
    if when == "before":
        _steal(tracker, row_id)
    else:

        def slow_prepare(row: int, raw: bytes) -> object:
            _steal(tracker, row)
            return prepare(row, raw)

        monkeypatch.setattr(processor, "_prepare", slow_prepare)
    assert processor.process(row_id) == "skipped", name
    stored = _row(tracker, row_id)
    assert (stored.status, stored.claimed_by, stored.error) == ("processing", OTHER, None)
    assert count(tracker.url, "SELECT count(*) FROM studies") == 0
    assert not list((tmp_path / "out").glob("bundles-*.ndjson"))
    # the worker that took the row over settles it, once
    processor.worker = OTHER
    monkeypatch.setattr(processor, "_prepare", prepare)
    good = message == oru(1)
    assert processor.process(row_id) == ("done" if good else "failed")
    assert count(tracker.url, "SELECT count(*) FROM studies") == int(good)


def _gone_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(30)
    return child.pid


@pytest.mark.parametrize(
    ("name", "holder", "lease_in", "status"),
    [
        ("another host's live lease", OTHER, 60, "processing"),
        ("another host's lease ran out", OTHER, -5, "pending"),
        ("no lease (before 0014)", OTHER, None, "pending"),
        ("a running worker of this host", "self", 60, "processing"),
        ("a gone worker of this host", "gone", 60, "pending"),
    ],
)
def test_listener_start_gives_back_only_expired_or_gone_holders(
    tracker: Tracker, name: str, holder: str, lease_in: float | None, status: str
) -> None:
    """Start-up reset every ``processing`` row: another listener's rows in hand were
    processed again by this one's workers."""
    claimed_by = {"self": worker_id(), "gone": worker_id(_gone_pid())}.get(holder, holder)
    row_id = _add_row(tracker, 1, status="processing", claimed_by=claimed_by, lease_in=lease_in)
    recover_at_start(tracker)
    assert _row(tracker, row_id).status == status, name


def test_a_starting_listener_leaves_a_live_lease_alone(tmp_path: Path, db_url: str) -> None:
    tracker = Tracker(db_url)
    live = _add_row(tracker, 1, status="processing", claimed_by=OTHER, lease_in=120)
    expired = _add_row(tracker, 2, status="processing", claimed_by=OTHER, lease_in=-1)
    listener = Listener(db_url, tmp_path / "out", workers=0)
    try:
        assert _row(tracker, live).status == "processing"
        assert _row(tracker, expired).status == "pending"
    finally:
        assert listener.terminate() == 0
        tracker.close()


def _inbox_schema(engine: sa.Engine) -> tuple[set[str], set[str]]:
    inspector = sa.inspect(engine)
    columns = {c["name"] for c in inspector.get_columns("inbox")}
    return columns, {i["name"] or "" for i in inspector.get_indexes("inbox")}


@pytest.mark.parametrize(
    ("revision", "columns", "index"),
    [("0013", set(), False), ("head", {"lease_until", "heartbeat_at"}, True)],
)
def test_migration_0014_upgrades_and_downgrades(
    db_url: str, revision: str, columns: set[str], index: bool
) -> None:
    engine = make_engine(db_url)
    migrate(engine, "head")
    if revision != "head":
        command.downgrade(alembic_config(engine), revision)
    found, indexes = _inbox_schema(engine)
    assert (found & {"lease_until", "heartbeat_at"}, "ix_inbox_lease" in indexes) == (
        columns,
        index,
    )
    assert "claimed_by" in found
    migrate(engine, "head")  # and up again
    assert {"lease_until", "heartbeat_at"} <= _inbox_schema(engine)[0]
    engine.dispose()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lease-seconds", "3", "--heartbeat-seconds", "3"], "must be shorter than the lease"),
        (["--lease-seconds", "0.5"], "--lease-seconds"),
    ],
)
def test_lease_options_are_checked(tmp_path: Path, args: list[str], message: str) -> None:
    from typer.testing import CliRunner

    from radfollow.cli import app

    db = f"sqlite:///{tmp_path / 'i.db'}"
    result = CliRunner().invoke(app, ["listen", "--db", db, "--port", "0", *args])
    shown = " ".join(result.output.replace("\u2502", " ").split())  # out of Rich's box
    assert result.exit_code == 2 and message in shown


# --- two listeners on one database, one killed mid-stream ---------------------------

LEASE_S = 3.0


@dataclass
class _Feed:
    """Messages sent to one listener over ``connections`` connections until stopped."""

    port: int
    first: int
    connections: int = 2
    acked: list[int] = field(default_factory=list)
    sent: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for k in range(self.connections):
            thread = threading.Thread(target=self._send, args=(self.first + k,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def _send(self, n: int) -> None:
        try:
            client = Client(self.port, timeout=30)
            while not self.stop.is_set():
                self.sent.append(n)
                if ack_code(client.send(oru(n))) == "AA":
                    self.acked.append(n)
                n += self.connections
            client.close()
        except OSError as error:  # the killed listener's connections end here
            self.errors.append(type(error).__name__)

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(60)


class _Stderr:
    """Reads a listener's stderr as it comes, so that its pipe never fills."""

    def __init__(self, listener: Listener) -> None:
        self.lines: list[str] = []
        assert listener.proc.stderr is not None
        self._thread = threading.Thread(
            target=lambda: self.lines.extend(listener.proc.stderr),  # type: ignore[arg-type]
            daemon=True,
        )
        self._thread.start()


def _held(engine: sa.Engine, holders: list[str]) -> dict[int, datetime]:
    """Rows ``holders`` hold (processing), with their lease's end."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(InboxMessage.id, InboxMessage.lease_until).where(
                InboxMessage.status == "processing", InboxMessage.claimed_by.in_(holders)
            )
        ).all()
    return {row_id: lease_until.replace(tzinfo=UTC) for row_id, lease_until in rows}


def _holders(engine: sa.Engine, ids: list[int]) -> dict[int, tuple[str, str | None, int]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                InboxMessage.id, InboxMessage.status, InboxMessage.claimed_by, InboxMessage.attempts
            ).where(InboxMessage.id.in_(ids))
        ).all()
    return {row_id: (status, holder, attempts) for row_id, status, holder, attempts in rows}


def _per_key(engine: sa.Engine, query: str) -> dict[str, int]:
    with engine.connect() as conn:
        return {key: int(n) for key, n in conn.execute(sa.text(query))}


def test_two_listeners_one_killed_mid_stream(tmp_path: Path, db_url: str) -> None:
    """Two listeners on one PostgreSQL database, both under load; one is killed (-9, with
    its worker) mid-stream. Every AA'd message is in the tracker exactly once, and the
    survivor takes over the dead worker's rows once their lease ran out."""
    if not db_url.startswith("postgresql"):
        pytest.skip("several listeners share a PostgreSQL database")
    args = ("--lease-seconds", str(LEASE_S), "--heartbeat-seconds", "1")
    doomed = Listener(db_url, tmp_path / "out-a", *args, workers=1)
    survivor = Listener(db_url, tmp_path / "out-b", *args, workers=1)
    logs = [_Stderr(doomed), _Stderr(survivor)]
    feeds = [_Feed(doomed.port, 100_000), _Feed(survivor.port, 500_000)]
    engine = sa.create_engine(db_url)
    try:
        assert wait_for(lambda: len(doomed.worker_pids()) == 1, 60)
        assert wait_for(lambda: len(survivor.worker_pids()) == 1, 60)
        dead_holders = [worker_id(pid) for pid in doomed.worker_pids()]
        survivors = {worker_id(pid) for pid in survivor.worker_pids()}
        for feed in feeds:
            feed.start()
        assert wait_for(lambda: min(len(f.acked) for f in feeds) >= 300, 120)
        assert wait_for(lambda: len(_held(engine, dead_holders)) >= 4, 60)
        for pid in doomed.worker_pids():
            os.kill(pid, signal.SIGKILL)
        doomed.proc.send_signal(signal.SIGKILL)
        killed_at = time.time()
        doomed.proc.wait(10)
        orphans = _held(engine, dead_holders)
        assert orphans, "the killed worker held no rows"
        taken_at: dict[int, float] = {}
        keep_sending_until = time.monotonic() + 3
        while len(taken_at) < len(orphans) and time.time() < killed_at + 120:
            now = time.time()
            for row_id, (_, holder, _) in _holders(engine, list(orphans)).items():
                if holder not in dead_holders:
                    taken_at.setdefault(row_id, now)
            if time.monotonic() > keep_sending_until:
                feeds[1].stop.set()
            time.sleep(0.05)
        for feed in feeds:
            feed.finish()
        idle = "SELECT count(*) FROM inbox WHERE status IN ('pending', 'processing')"
        assert wait_for(lambda: count(db_url, idle) == 0, 300)
        settled_at = time.time()
        assert survivor.terminate() == 0
    finally:
        for feed in feeds:
            feed.stop.set()
        doomed.stop_quietly()
        survivor.stop_quietly()
        engine.dispose()

    acked = feeds[0].acked + feeds[1].acked
    messages = _per_key(engine, "SELECT control_id, count(*) FROM messages GROUP BY control_id")
    studies = _per_key(engine, "SELECT accession, count(*) FROM studies GROUP BY accession")
    assert [n for n in acked if messages.get(f"C{n}") != 1] == []
    assert [n for n in acked if studies.get(f"A{n}") != 1] == []
    assert max(messages.values()) == 1 and max(studies.values()) == 1
    sent = {f"C{n}" for n in feeds[0].sent + feeds[1].sent}
    assert set(messages) <= sent  # beyond the AA'd ones, only messages whose AA was lost
    assert count(db_url, "SELECT count(*) FROM inbox WHERE status = 'failed'") == 0
    settled = _holders(engine, list(orphans))
    assert {status for status, _, _ in settled.values()} == {"done"}
    assert {holder for _, holder, _ in settled.values()} <= survivors
    assert min(attempts for _, _, attempts in settled.values()) >= 2
    # taken over only once the lease ran out (one clock: the database is on this host)
    assert all(taken_at[r] >= orphans[r].timestamp() for r in orphans)
    took_over = [line for line in logs[1].lines if "took over" in line]
    assert took_over and all(holder in "".join(took_over) for holder in dead_holders)
    leases_end = max(lease.timestamp() for lease in orphans.values()) - killed_at
    print(
        f"\nleases kill test: sent {len(feeds[0].sent)} + {len(feeds[1].sent)}, "
        f"AA {len(feeds[0].acked)} (killed) + {len(feeds[1].acked)} (survivor), "
        f"processed {len(messages)} messages / {len(studies)} studies "
        f"({len(messages) - len(acked)} of them unanswered), no duplicate; "
        f"rows held by the killed worker {len(orphans)}, taken over {len(taken_at)}; "
        f"leases ended {leases_end:.2f} s after the kill, taken over "
        f"{min(taken_at.values()) - killed_at:.2f}-{max(taken_at.values()) - killed_at:.2f} s "
        f"after it; all settled {settled_at - killed_at:.1f} s after it (lease {LEASE_S:g} s)"
    )
    engine.dispose()


def test_listen_status_shows_each_workers_claims_and_expired_leases(tracker: Tracker) -> None:
    from radfollow.listener.admin import inbox_status

    beat = datetime.now(UTC) - timedelta(seconds=40)
    _add_row(tracker, 1, status="processing", claimed_by=OTHER, lease_in=-5, heartbeat_at=beat)
    _add_row(tracker, 2, status="processing", claimed_by=OTHER, lease_in=-5, heartbeat_at=beat)
    _add_row(tracker, 3, status="processing", claimed_by="me:1", lease_in=60)
    _add_row(tracker, 4)  # pending: nobody's
    _add_row(tracker, 5, status="processing", claimed_by="old:7")  # no lease (before 0014)
    claims = inbox_status(tracker).claims
    assert [(c.claimed_by, c.rows, c.expired) for c in claims] == [
        (OTHER, 2, 2),
        ("me:1", 1, 0),
        ("old:7", 1, 1),
    ]
    assert claims[0].heartbeat_age_seconds is not None
    assert 35 < claims[0].heartbeat_age_seconds < 120
    assert claims[1].heartbeat_age_seconds is None
