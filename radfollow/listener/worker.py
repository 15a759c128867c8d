"""Processing workers: inbox rows -> the processing core -> FHIR Bundles and the tracker.

A worker claims rows under a lease (recording itself in ``claimed_by``; a
heartbeat thread renews the lease: radfollow/listener/claims.py), reads each
message and runs the NLP outside any transaction, then in ONE transaction
marks the row done if it still holds it, writes the tracker and appends the
Bundles to the day's NDJSON file (``bundles-YYYYMMDD.ndjson``, flushed and
fsynced). A worker killed half way leaves the row to be processed again, never
twice in the tracker; a worker that lost its lease writes nothing; a Bundle
line is written only once the tracker accepted the report, so a failed row
leaves none behind (a crash between the fsync and the commit can repeat a
line, never lose one).

Lifetime: a worker stops after the row in hand on SIGTERM, ignores SIGINT (the
listener decides), and exits when the listener process dies: the kernel
closes the pipe behind ``multiprocessing.parent_process().sentinel``, which a
watcher thread waits on. The listener gives back a dead worker's claimed rows,
counting the death (:func:`recover_dead`), before it starts a new one.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from radfollow.errors import RadfollowError, contained, error_location
from radfollow.hl7.framing import RawMessage
from radfollow.io.private import open_private
from radfollow.listener.claims import (
    Heartbeat,
    Lease,
    claim,
    give_back_unsettled,
    recover,
    recover_dead,
    settle,
    worker_id,
)
from radfollow.tracker.db import Tracker
from radfollow.tracker.schema import InboxMessage
from radfollow.tracker.transaction import write

if TYPE_CHECKING:
    from radfollow.models import ExtractionResult, OrderEvent, RadiologyReport
    from radfollow.processing.core import ProcessingOptions

log = logging.getLogger("radfollow.listener.worker")

T = TypeVar("T")

#: Seconds a worker whose listener died may take to leave the row in hand.
ORPHAN_GRACE_S = 5.0
#: Exit code of a worker that cannot build its pipeline (a configuration error).
EXIT_CANNOT_START = 3
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


@dataclass(frozen=True)
class _Work:
    """One row read and extracted, ready for its transaction."""

    reports: list[RadiologyReport]
    results: list[ExtractionResult]
    bundles: list[str]
    orders: list[OrderEvent] = field(default_factory=list)


class _Failed(Exception):
    """A row that cannot be processed; ``reason`` is stored, quoting no values."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Processor:
    """Processes claimed inbox rows with the one processing core."""

    def __init__(self, tracker: Tracker, out: Path | None, options: ProcessingOptions) -> None:
        from radfollow.nlp.extract import Extractor
        from radfollow.processing.core import ReportProcessor
        from radfollow.processing.pool import WARM_UP

        self.tracker = tracker
        self.out = out
        self.core = ReportProcessor(options)
        self.extractor = Extractor(config=options.pipeline)
        self.extractor.extract(WARM_UP)  # a missing model stops the worker now, not each row
        self.worker = worker_id()

    def process(self, row_id: int) -> str:
        """``done``, ``failed`` (reason stored on the row) or ``skipped`` (not ours now)."""
        try:
            raw = self._raw(row_id)
            if raw is None:
                return "skipped"
            work = self._prepare(row_id, raw)
            # write() may run the commit again: the Bundles go out once per call
            written: list[bool] = []
            return write(self.tracker, lambda session: self._commit(session, row_id, work, written))
        except _Failed as failed:
            return self._fail(row_id, failed.reason)
        except Exception as error:  # a bug or the database: the row fails, the worker goes on
            safe = contained(error)
            if not isinstance(error, RadfollowError):
                log.info(
                    "inbox row %d: %s at %s", row_id, type(error).__name__, error_location(error)
                )
            return self._fail(row_id, f"{safe.code}: {safe.message}")

    def _raw(self, row_id: int) -> bytes | None:
        with self.tracker.session() as session:
            row = session.get(InboxMessage, row_id)
            return row.raw if row is not None and self._ours(row) else None

    def _ours(self, row: InboxMessage) -> bool:
        return row.status == "processing" and row.claimed_by == self.worker

    def _prepare(self, row_id: int, raw: bytes) -> _Work:
        """Parse, check, extract and render, outside any transaction."""
        from radfollow.processing.core import report_text
        from radfollow.processing.pool import ExtractionFailure, extract_contained

        try:
            message = RawMessage(f"inbox:{row_id}", 1, raw)
            orders = self.core.read_orders(message)
            if orders is not None:  # no NLP, no Bundle: the tracker only
                return _Work([], [], [], orders)
            reports = self.core.read(message)
            for report in reports:
                self.core.check(report, tracking=True)
        except RadfollowError as error:
            raise _Failed(f"{error.code}: {error.message}") from None
        results: list[ExtractionResult] = []
        extracted_all = extract_contained(self.extractor, map(report_text, reports))
        for report, extracted in zip(reports, extracted_all, strict=True):
            if isinstance(extracted, ExtractionFailure):
                raise _Failed(f"{extracted.code}: {extracted.reason}")
            results.append(self.core.assess(report, extracted))
        bundles = [self.core.render(r, x).bundle for r, x in zip(reports, results, strict=True)]
        return _Work(reports, results, bundles)

    def _commit(self, session: Session, row_id: int, work: _Work, written: list[bool]) -> str:
        """``done`` if the row is still ours (which locks it), the tracker writes,
        then the Bundles (unless ``written`` says an earlier try of this commit
        wrote them): one transaction."""
        if not settle(session, row_id, self.worker, "done", processed_at=datetime.now(UTC)):
            return self._lost(row_id)
        for report, result in zip(work.reports, work.results, strict=True):
            self.core.store(session, self.tracker, report, result)
        for event in work.orders:
            self.core.store_order(session, self.tracker, event)
        session.flush()  # the tracker accepted every report: now the Bundles
        if not written:
            self._write_bundles(work.bundles)
            written.append(True)
        return "done"

    def _fail(self, row_id: int, reason: str) -> str:
        with self.tracker.session() as session:
            ours = settle(
                session,
                row_id,
                self.worker,
                "failed",
                error=reason[:500],
                processed_at=datetime.now(UTC),
            )
        if not ours:
            return self._lost(row_id)
        log.warning("inbox row %d failed: %s", row_id, reason[:120])
        return "failed"

    @staticmethod
    def _lost(row_id: int) -> str:
        log.warning("inbox row %d: its lease ran out and another worker took it", row_id)
        return "skipped"

    def _write_bundles(self, bundles: list[str]) -> None:
        if self.out is None or not bundles:
            return
        path = self.out / f"bundles-{datetime.now(UTC):%Y%m%d}.ndjson"
        with open_private(path, "a") as handle:  # PHI: 0600, its folder 0700
            handle.write("".join(b + "\n" for b in bundles))
            handle.flush()
            os.fsync(handle.fileno())


class _Stop:
    """Set by SIGTERM (a plain flag: safe in a signal handler) or by the parent watcher."""

    def __init__(self) -> None:
        self.requested = False

    def set(self, *_: object) -> None:
        self.requested = True

    def sleep(self, seconds: float) -> None:
        """Sleep up to ``seconds``, returning early once a stop is requested."""
        deadline = time.monotonic() + seconds
        while not self.requested and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, 0.1))


def _exit_with_parent(stop: _Stop, grace: float = ORPHAN_GRACE_S) -> None:
    """Exit when the listener dies, whatever the main thread is doing.

    The kernel closes the listener's end of the spawn pipe when it dies, for any
    reason (SIGKILL included), which makes the parent sentinel readable. The
    main thread gets ``grace`` seconds to leave the row in hand (its transaction
    is rolled back if it does not); then the process ends.
    """
    parent = multiprocessing.parent_process()
    if parent is None or parent.sentinel is None:
        return

    def watch() -> None:
        wait([parent.sentinel])
        log.error("the listener process is gone; worker %d exits", os.getpid())
        stop.set()
        time.sleep(grace)
        os._exit(1)

    threading.Thread(target=watch, name="radfollow-parent-watch", daemon=True).start()


def _retrying(what: str, stop: _Stop, attempt: Callable[[], T], poll: float) -> T | None:
    """``attempt()`` until it succeeds or a stop is requested, backing off on database
    errors (one line each, no traceback); None when stopped."""
    backoff = poll
    while not stop.requested:
        try:
            return attempt()
        except (SQLAlchemyError, RadfollowError) as error:
            log.error(
                "worker cannot %s (%s); retrying in %.1f s", what, type(error).__name__, backoff
            )
            stop.sleep(backoff)
            backoff = min(backoff * 2, 30.0)
    return None


def run_worker(
    db_url: str,
    out: str | None,
    options: ProcessingOptions,
    log_level: int = logging.WARNING,
    *,
    batch: int = 16,
    poll: float = 0.2,
    lease: Lease | None = None,
) -> None:
    """Worker process main: claim and process rows until SIGTERM or the listener's death.

    Logs like the listener (``log_level``; a spawned process starts without its
    logging setup). Exits with EXIT_CANNOT_START when the pipeline cannot be
    built (a missing model, a bad rule file), and with 1 on any other
    unexpected error: one log line naming the error's class, no traceback
    (multiprocessing would print one, with the exception's text).
    """
    logging.basicConfig(level=log_level, format=LOG_FORMAT)
    stop = _Stop()
    signal.signal(signal.SIGTERM, stop.set)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent(stop)
    os.environ.setdefault("RADFOLLOW_THREADS", "1")
    # Receiving and ACKing must not wait for the NLP: workers yield the CPU to it.
    with contextlib.suppress(OSError):
        os.nice(10)
    try:
        _serve_rows(db_url, out, options, stop, batch=batch, poll=poll, lease=lease or Lease())
    except _CannotStart as error:
        log.error("worker cannot start: %s", error)
        sys.exit(EXIT_CANNOT_START)
    except Exception as error:
        log.error("worker stopped by an unexpected %s", type(error).__name__)
        log.info("worker error at %s", error_location(error))
        sys.exit(1)


class _CannotStart(Exception):
    """The worker's pipeline cannot be built; the message is safe to log."""


def _serve_rows(
    db_url: str,
    out: str | None,
    options: ProcessingOptions,
    stop: _Stop,
    *,
    batch: int,
    poll: float,
    lease: Lease,
) -> None:
    def connect() -> Tracker:
        return Tracker(db_url, rules_dir=options.rules_dir)

    tracker = _retrying("open the database", stop, connect, poll)
    if tracker is None:
        return
    try:
        try:
            processor = Processor(tracker, Path(out) if out else None, options)
        except Exception as error:
            safe = contained(error)
            raise _CannotStart(f"{safe.code}: {safe.message}") from None
        me = worker_id()

        def take() -> list[int]:
            return claim(tracker, batch, me, lease)

        backoff = poll
        with Heartbeat(tracker, me, lease):
            while not stop.requested:
                claimed = _retrying("reach the database", stop, take, poll)
                unsettled: list[int] = []
                for row_id in claimed or []:
                    try:
                        processor.process(row_id)  # finishes the row in hand even when a stop comes
                    except SQLAlchemyError as error:
                        # The database refused the row's result and its failure: the worker
                        # lives on (its death would count against every row it holds).
                        log.error(
                            "worker cannot settle inbox row %d (%s)", row_id, type(error).__name__
                        )
                        unsettled.append(row_id)
                    if stop.requested:
                        break
                if unsettled:
                    # counted like a death, so a row that can never be settled ends failed
                    def back(rows: list[int] = unsettled) -> int:
                        return give_back_unsettled(tracker, rows, me, lease)

                    _retrying("give back the rows it could not settle", stop, back, poll)
                    stop.sleep(backoff)
                    backoff = min(backoff * 2, 30.0)
                elif claimed:
                    backoff = poll
                else:
                    stop.sleep(poll)
            give_back_uncounted(tracker, me, "at stop")
    finally:
        tracker.close()


def give_back_uncounted(tracker: Tracker, worker: str, when: str) -> None:
    """Rows ``worker`` holds go back at once, no death counted (a worker's rows not
    begun at its stop, or a worker the stop killed). With the database away they
    stay ``processing``, and the next listener start counts a death."""
    try:
        recover(tracker, worker)
    except (SQLAlchemyError, RadfollowError) as error:
        log.error("cannot give back %s's rows %s (%s)", worker, when, type(error).__name__)


@dataclass
class _Slot:
    process: BaseProcess
    started: float
    failures: int = 0
    next_start: float = 0.0


class WorkerPool:
    """``count`` worker processes; a dead one's rows are given back with the death
    counted (radfollow/listener/claims.py: a row that keeps killing its worker is
    failed) and it is restarted, with a growing delay while it keeps dying at
    start (logged at ERROR)."""

    #: A worker that lived this long before dying restarts at once.
    STABLE_S = 60.0
    MAX_DELAY_S = 300.0

    def __init__(
        self,
        tracker: Tracker,
        db_url: str,
        out: str | None,
        options: ProcessingOptions,
        count: int,
        *,
        lease: Lease | None = None,
    ) -> None:
        self._context = multiprocessing.get_context("spawn")
        self.tracker = tracker
        self._args = (db_url, out, options, logging.getLogger().getEffectiveLevel())
        self._lease = lease or Lease()
        self.stopping = False
        self.slots = [_Slot(self._spawn(), time.monotonic()) for _ in range(count)]

    @property
    def procs(self) -> list[BaseProcess]:
        return [slot.process for slot in self.slots]

    def _spawn(self) -> BaseProcess:
        proc = self._context.Process(
            target=run_worker, args=self._args, kwargs={"lease": self._lease}, daemon=True
        )
        proc.start()
        return proc

    def restart_delay(self, failures: int) -> float:
        """Seconds before a restart: none after one early death, then 5, 10, 20... up to
        MAX_DELAY_S while the worker keeps dying within STABLE_S of its start."""
        return 0.0 if failures <= 1 else min(5.0 * 2 ** (failures - 2), self.MAX_DELAY_S)

    def restart_dead(self) -> int:
        """Give back the rows of each dead worker and restart it when its delay is over."""
        restarted = 0
        now = time.monotonic()
        for index, slot in enumerate(self.slots):
            proc = slot.process
            if self.stopping or proc.is_alive():
                continue
            if slot.next_start == 0.0:  # first seen dead
                dead = worker_id(proc.pid) if proc.pid else None
                given_back = recover_dead(self.tracker, dead, self._lease) if dead else 0
                quick = now - slot.started < self.STABLE_S
                slot.failures = slot.failures + 1 if quick else 0
                delay = self.restart_delay(slot.failures)
                slot.next_start = now + delay
                log.error(
                    "worker %d exited (code %s); %d claimed rows settled as a dead worker's;"
                    " restart in %.0f s",
                    index,
                    proc.exitcode,
                    given_back,
                    delay,
                )
            if now >= slot.next_start:
                self.slots[index] = _Slot(self._spawn(), now, slot.failures)
                restarted += 1
        return restarted

    def shutdown(self, timeout: float = 60) -> None:
        """SIGTERM every worker; each finishes its row in hand. Kill any still alive
        after ``timeout`` seconds and give back its rows without counting a death
        (a slow row is no poison message)."""
        self.stopping = True
        for slot in self.slots:
            if slot.process.is_alive():
                slot.process.terminate()
        deadline = time.monotonic() + timeout
        for slot in self.slots:
            slot.process.join(max(0.0, deadline - time.monotonic()))
            if slot.process.is_alive():
                log.error("worker %s did not stop; killing it", slot.process.pid)
                slot.process.kill()
                slot.process.join(10)
                if slot.process.pid is not None and not slot.process.is_alive():
                    give_back_uncounted(
                        self.tracker, worker_id(slot.process.pid), "after killing it"
                    )


def process_pending(
    tracker: Tracker, out: Path | None, options: ProcessingOptions, lease: Lease | None = None
) -> dict[str, int]:
    """Process every pending row in this process (``radfollow replay --process``), and
    rows whose lease ran out."""
    processor = Processor(tracker, out, options)
    lease = lease or Lease()
    counts: dict[str, int] = {}
    with Heartbeat(tracker, processor.worker, lease):
        while ids := claim(tracker, 64, processor.worker, lease):
            for row_id in ids:
                outcome = processor.process(row_id)
                counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def wait_idle(tracker: Tracker, timeout: float) -> bool:
    """True once no row is pending or processing (tests and benchmarks)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with tracker.session() as session:
            busy = session.scalar(
                select(InboxMessage.id)
                .where(InboxMessage.status.in_(("pending", "processing")))
                .limit(1)
            )
        if busy is None:
            return True
        time.sleep(0.1)
    return False
