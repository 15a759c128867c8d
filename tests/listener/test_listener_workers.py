"""Worker lifetime and isolation (issue 10): reclaimed rows, orphans, SIGTERM after a
killed worker, the same new patient on two workers, a database that is away at start,
and replays that append no Bundle line for a failed row."""

from __future__ import annotations

import os
import signal
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from db_helpers import count, refuse_accession, stop_refusing
from mllp_client import Client, Listener, ack_code, oru, wait_for

from radfollow.listener.worker import WorkerPool, process_pending, recover, worker_id
from radfollow.models import MAX_REPORT_CHARS
from radfollow.nlp.pipeline import PipelineConfig
from radfollow.processing.core import ProcessingOptions
from radfollow.tracker.db import Tracker
from radfollow.tracker.schema import InboxMessage

RULES_ONLY = ProcessingOptions(pipeline=PipelineConfig(classifier=False))


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid and stat[0] != "Z":
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _workers(listener: Listener) -> list[int]:
    """The listener's worker processes (its spawn children, not the resource tracker)."""
    pids = []
    for pid in _children(listener.proc.pid):
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
        if b"resource_tracker" not in command:
            pids.append(pid)
    return pids


def _add_rows(tracker: Tracker, messages: list[bytes], **values: object) -> None:
    with tracker.session() as session:
        session.add_all(
            InboxMessage(
                received_at=datetime.now(UTC),
                peer="test",
                sending_facility="HOSP",
                control_id=message.split(b"|")[9].decode(),
                message_type="ORU^R01",
                raw=message,
                **{"status": "pending", **values},
            )
            for message in messages
        )


def test_recover_gives_back_only_the_dead_workers_rows(db_url: str) -> None:
    tracker = Tracker(db_url)
    _add_rows(tracker, [oru(1), oru(2)], status="processing", claimed_by="host:1")
    _add_rows(tracker, [oru(3)], status="processing", claimed_by="host:2")
    assert recover(tracker, "host:1") == 2
    assert recover(tracker, "host:9") == 0
    with tracker.session() as session:
        query = sa.select(InboxMessage.control_id, InboxMessage.status)
        statuses = {control: status for control, status in session.execute(query)}
    assert statuses == {"C1": "pending", "C2": "pending", "C3": "processing"}
    tracker.close()


def test_killed_worker_rows_are_reclaimed_when_it_is_replaced(tmp_path: Path, db_url: str) -> None:
    """15 ACKed rows stayed ``processing`` until the whole listener restarted."""
    tracker = Tracker(db_url)
    pool = WorkerPool(tracker, db_url, str(tmp_path / "out"), RULES_ONLY, 1)
    try:
        dead = pool.procs[0]
        # Rows the worker had claimed when it died (it cannot touch them: it is killed first).
        dead.kill()
        dead.join(30)
        _add_rows(tracker, [oru(n) for n in range(1, 16)], status="processing")
        with tracker.session() as session:
            session.execute(sa.update(InboxMessage).values(claimed_by=worker_id(dead.pid)))
        assert pool.restart_dead() == 1
        done = "SELECT count(*) FROM inbox WHERE status = 'done'"
        assert wait_for(lambda: count(db_url, done) == 15, 180)
    finally:
        pool.shutdown(timeout=30)
        tracker.close()


def test_worker_exits_when_the_listener_is_killed(tmp_path: Path, db_url: str) -> None:
    """A worker outlived a SIGKILLed listener by an hour, holding the inbox open."""
    listener = Listener(db_url, tmp_path / "out", workers=1)
    try:
        assert wait_for(lambda: len(_workers(listener)) == 1, 30)
        (worker,) = _workers(listener)
        listener.proc.send_signal(signal.SIGKILL)
        listener.proc.wait(10)
        assert wait_for(lambda: not _alive(worker), 20), "the worker outlived the listener"
    finally:
        listener.stop_quietly()


def test_sigterm_stops_the_listener_after_an_idle_worker_was_killed(
    tmp_path: Path, db_url: str
) -> None:
    """SIGTERM never stopped the listener once a worker died waiting on the shared event."""
    listener = Listener(db_url, tmp_path / "out", workers=1)
    try:
        assert wait_for(lambda: len(_workers(listener)) == 1, 30)
        time.sleep(3)  # the worker has built its pipeline and waits for rows
        (worker,) = _workers(listener)
        os.kill(worker, signal.SIGKILL)
        time.sleep(0.5)
        assert listener.terminate(timeout=60) == 0
    finally:
        listener.stop_quietly()


def test_messages_of_the_same_new_patients_on_two_workers(tmp_path: Path, db_url: str) -> None:
    """Two workers collided on the new patient's unique key: ACKed rows ended ``failed``."""
    listener = Listener(db_url, tmp_path / "out", workers=2)
    try:
        client = Client(listener.port, timeout=30)
        for n in range(80):
            assert ack_code(client.send(oru(n, patient=f"NEW{n % 8}"))) == "AA"
        client.close()
        settled = "SELECT count(*) FROM inbox WHERE status IN ('done', 'failed')"
        assert wait_for(lambda: count(db_url, settled) == 80, 300)
        assert listener.terminate() == 0
    finally:
        listener.stop_quietly()
    assert count(db_url, "SELECT count(*) FROM inbox WHERE status = 'failed'") == 0
    assert count(db_url, "SELECT count(*) FROM patients") == 8
    assert count(db_url, "SELECT count(*) FROM studies") == 80


def test_worker_backs_off_while_the_database_is_away(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """A worker that could not reach the database at start crash-looped with a traceback."""
    tracker = Tracker(f"sqlite:///{tmp_path / 'i.db'}")
    away = "postgresql+psycopg://radfollow:radfollow@127.0.0.1:9/nowhere"
    pool = WorkerPool(tracker, away, None, RULES_ONLY, 1)
    err = ""
    try:
        deadline = time.monotonic() + 90
        while err.count("cannot open the database") < 3 and time.monotonic() < deadline:
            time.sleep(0.5)
            err += capfd.readouterr().err
        assert pool.procs[0].is_alive()
        assert pool.restart_dead() == 0
    finally:
        pool.shutdown(timeout=30)
        tracker.close()
    assert pool.procs[0].exitcode == 0  # SIGTERM ends the wait at once, cleanly
    err += capfd.readouterr().err
    waits = [line for line in err.splitlines() if "cannot open the database" in line]
    assert len(waits) >= 3 and "retrying in 0.2 s" in waits[0] and "retrying in 0.4 s" in waits[1]
    assert "Traceback" not in err and "radfollow:radfollow" not in err


def test_replaying_a_failed_row_appends_its_bundle_once(tmp_path: Path, db_url: str) -> None:
    """Bundles were written before the tracker: every failed replay added a line."""
    from radfollow.listener.admin import replay

    tracker = Tracker(db_url)
    out = tmp_path / "out"
    refuse_accession(db_url, "A2")
    _add_rows(tracker, [oru(1), oru(2)])

    def lines() -> int:
        return sum(len(p.read_text().splitlines()) for p in out.glob("bundles-*.ndjson"))

    assert process_pending(tracker, out, RULES_ONLY) == {"done": 1, "failed": 1}
    assert lines() == 1
    for _ in range(2):
        assert replay(tracker, statuses=["failed"], dead_letters=False, since=None).requeued == 1
        assert process_pending(tracker, out, RULES_ONLY) == {"failed": 1}
        assert lines() == 1
    stop_refusing(db_url)
    replay(tracker, statuses=["failed"], dead_letters=False, since=None)
    assert process_pending(tracker, out, RULES_ONLY) == {"done": 1}
    assert lines() == 2
    with tracker.session() as session:
        error = session.scalar(sa.select(InboxMessage.error).where(InboxMessage.control_id == "C2"))
    assert error is None
    tracker.close()


def test_worker_that_cannot_start_is_restarted_with_growing_delays(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """A worker whose pipeline cannot be built (here: missing heads) says why in one line
    and is restarted after 0, 5, 10... seconds instead of every 5 s with a traceback."""
    tracker = Tracker(f"sqlite:///{tmp_path / 'i.db'}")
    options = ProcessingOptions(
        pipeline=PipelineConfig(classifier=True, heads=tmp_path / "missing-heads.json")
    )
    pool = WorkerPool(tracker, tracker.url, None, options, 1)
    try:
        pool.procs[0].join(120)
        assert pool.procs[0].exitcode == 3
        assert pool.restart_dead() == 1  # the first early death: at once
        pool.procs[0].join(120)
        assert pool.restart_dead() == 0  # the second: after 5 s
        assert [pool.restart_delay(n) for n in (1, 2, 3, 4, 10)] == [0, 5, 10, 20, 300]
    finally:
        pool.shutdown(timeout=30)
        tracker.close()
    err = capfd.readouterr().err
    assert err.count("worker cannot start: RF600: cannot read classifier heads") == 2
    assert "Traceback" not in err


NO_OBR7 = oru(90).replace(b"20250110100000+0000", b"")


@pytest.mark.parametrize(
    ("name", "message", "limit", "verdict", "code"),
    [
        ("good", oru(91), 10_000, "store", None),
        ("no observation time", NO_OBR7, 10_000, "unusable", "101"),
        ("text over the limit", oru(92), 50, "unusable", "207"),
        ("text at the limit", oru(93), 103, "store", None),  # 103 characters
    ],
)
def test_reports_that_can_never_succeed_are_unusable_at_receive(
    name: str, message: bytes, limit: int, verdict: str, code: str | None
) -> None:
    from radfollow.listener.inspect import inspect

    found = inspect(message, max_report_chars=limit)
    assert (found.kind, found.error_code) == (verdict, code), name


def test_never_succeeding_reports_are_answered_ae_not_aa(tmp_path: Path, db_url: str) -> None:
    """They were ACKed AA, then failed in the worker: the sender never learnt."""
    huge = oru(94) + b"OBX|3|TX|RPT||" + b"Lungs are clear. " * 7_000 + b"\r"  # > MAX_REPORT_CHARS
    listener = Listener(db_url, tmp_path / "out", "--max-message-bytes", "3000000", workers=0)
    try:
        client = Client(listener.port, timeout=60)
        for message in (NO_OBR7, huge):
            ack = client.send(message)
            assert ack_code(ack) == "AE"
        assert f"{MAX_REPORT_CHARS:,}-character limit".encode() in ack
        assert ack_code(client.send(oru(95))) == "AA"
        client.close()
        assert listener.terminate() == 0
    finally:
        listener.stop_quietly()
    unusable = "SELECT count(*) FROM inbox WHERE status = 'unusable'"
    assert count(db_url, unusable) == 2
    assert count(db_url, "SELECT count(*) FROM inbox WHERE status = 'pending'") == 1


def test_claim_takes_only_the_batch(db_url: str) -> None:
    """On PostgreSQL the LIMIT subquery ran once per row: one worker claimed the whole
    backlog and ``--workers N`` worked like one."""
    from radfollow.listener.worker import claim

    tracker = Tracker(db_url)
    _add_rows(tracker, [oru(n) for n in range(300)])
    assert len(claim(tracker, 16, "host:1")) == 16
    assert len(claim(tracker, 16, "host:2")) == 16
    processing = "SELECT count(*) FROM inbox WHERE status = 'processing'"
    assert count(db_url, processing) == 32
    tracker.close()


def test_a_bug_while_inspecting_a_message_rejects_that_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unexpected error while reading one message closed the connection unanswered."""
    from radfollow.listener import server
    from radfollow.listener.server import Listener as Server
    from radfollow.listener.server import ListenerConfig

    def broken(*args: object, **kwargs: object) -> object:
        raise ValueError("MRN-SECRET-5")

    monkeypatch.setattr(server, "inspect", broken)
    tracker = Tracker(f"sqlite:///{tmp_path / 'i.db'}")
    verdict = Server(tracker, ListenerConfig())._inspect(oru(1))
    assert (verdict.kind, verdict.error_code) == ("failed", "207")
    assert verdict.reason == "internal error (ValueError) while reading the message"
    assert Server._ack_for(verdict, "dead").code == "AR"  # our fault: resend later
    assert Server(tracker, ListenerConfig())._inspect(b"garbage").kind == "unreadable"
    tracker.close()
