"""Processing workers: inbox rows -> NLP -> FHIR Bundles and the tracker.

Each worker claims pending rows, runs the pipeline and, in ONE transaction,
writes the tracker and marks the row done: a worker killed half way leaves the
row to be processed again, never twice in the tracker. Bundles are appended to
the day's NDJSON file (``bundles-YYYYMMDD.ndjson``) and flushed before that
commit, so a crash can repeat a Bundle line, never lose one.
On start, rows left ``processing`` by a dead process go back to ``pending``.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from radfollow.errors import RadfollowError
from radfollow.hl7 import parse_message
from radfollow.hl7.framing import RawMessage
from radfollow.tracker.db import Tracker
from radfollow.tracker.schema import InboxMessage

log = logging.getLogger("radfollow.listener.worker")


def recover(tracker: Tracker) -> int:
    """Rows claimed by a process that died go back to pending."""
    with tracker.session() as session:
        result = session.execute(
            update(InboxMessage).where(InboxMessage.status == "processing").values(status="pending")
        )
        return int(getattr(result, "rowcount", 0) or 0)


def claim(tracker: Tracker, batch: int) -> list[int]:
    """Atomically move up to ``batch`` pending rows to processing; return exactly those."""
    pending = (
        select(InboxMessage.id)
        .where(InboxMessage.status == "pending")
        .order_by(InboxMessage.id)
        .limit(batch)
    )
    if tracker.engine.dialect.name == "postgresql":
        pending = pending.with_for_update(skip_locked=True)
    statement = (
        update(InboxMessage)
        .where(InboxMessage.id.in_(pending.scalar_subquery()), InboxMessage.status == "pending")
        .values(status="processing", attempts=InboxMessage.attempts + 1)
        .returning(InboxMessage.id)
    )
    with tracker.session() as session:
        return sorted(session.scalars(statement))


class Processor:
    def __init__(self, tracker: Tracker, out: Path | None, config: Any, hl7: Any = None) -> None:
        from radfollow.jobs import HL7Options
        from radfollow.nlp.extract import Extractor

        self.tracker = tracker
        self.out = out
        self.extractor = Extractor(config=config)
        self.hl7 = hl7 or HL7Options()

    def process(self, row_id: int) -> str:
        from radfollow.fhir import bundle_json
        from radfollow.nlp.extract import ReportText
        from radfollow.tracker.ingest import ingest

        try:
            with self.tracker.session() as session:  # tracker writes and "done": one commit
                row = session.get(InboxMessage, row_id)
                if row is None or row.status != "processing":
                    return "skipped"
                reports = parse_message(
                    RawMessage(f"inbox:{row.id}", 1, row.raw),
                    accession_fields=self.hl7.accession_fields,
                    default_tz=self.hl7.default_tz,
                )
                texts = [ReportText(r.text, r.indication, r.procedure.text) for r in reports]
                results = list(self.extractor.extract_many(texts))
                bundles = [bundle_json(r, x) for r, x in zip(reports, results, strict=True)]
                self._write_bundles(bundles)
                for report, result in zip(reports, results, strict=True):
                    ingest(session, report, result, self.tracker.policy)
                row.status, row.processed_at = "done", datetime.now(UTC)
        except RadfollowError as err:
            return self._fail(row_id, f"{err.code}: {err.message}")
        except Exception as err:  # a bug must not stop the worker; no PHI in the reason
            return self._fail(row_id, f"internal error: {type(err).__name__}")
        return "done"

    def _fail(self, row_id: int, reason: str) -> str:
        with self.tracker.session() as session:
            session.execute(
                update(InboxMessage)
                .where(InboxMessage.id == row_id)
                .values(status="failed", error=reason[:500], processed_at=datetime.now(UTC))
            )
        log.warning("inbox row %d failed: %s", row_id, reason[:120])
        return "failed"

    def _write_bundles(self, bundles: list[str]) -> None:
        if self.out is None or not bundles:
            return
        self.out.mkdir(parents=True, exist_ok=True)
        path = self.out / f"bundles-{datetime.now(UTC):%Y%m%d}.ndjson"
        with open(path, "a", encoding="utf-8") as handle:
            handle.write("".join(b + "\n" for b in bundles))
            handle.flush()
            os.fsync(handle.fileno())


def run_worker(
    db_url: str,
    out: str | None,
    config: Any,
    hl7: Any,
    stop: Any,
    *,
    batch: int = 16,
    poll: float = 0.2,
) -> None:
    """Worker process main loop; returns when ``stop`` is set and no row is in hand."""
    os.environ.setdefault("RADFOLLOW_THREADS", "1")
    # Receiving and ACKing must not wait for the NLP: workers yield the CPU to it.
    with contextlib.suppress(OSError):
        os.nice(10)
    tracker = Tracker(db_url)
    processor = Processor(tracker, Path(out) if out else None, config, hl7)
    parent = os.getppid()
    backoff = poll
    while not stop.is_set() and os.getppid() == parent:  # the listener died: stop too
        try:
            ids = claim(tracker, batch)
            for row_id in ids:
                processor.process(row_id)
        except Exception as err:  # the database is away: wait and try again
            log.error(
                "worker cannot reach the database (%s); retrying in %.1f s",
                type(err).__name__,
                backoff,
            )
            stop.wait(backoff)
            backoff = min(backoff * 2, 30.0)
            continue
        backoff = poll
        if not ids:
            stop.wait(poll)
    tracker.close()


class WorkerPool:
    """Worker processes, restarted when one dies (logged at ERROR)."""

    def __init__(
        self, db_url: str, out: str | None, config: Any, count: int, hl7: Any = None
    ) -> None:
        self._context = multiprocessing.get_context("spawn")
        self.stop = self._context.Event()
        self._args = (db_url, out, config, hl7, self.stop)
        self.procs = [self._spawn() for _ in range(count)]

    def _spawn(self) -> Any:
        proc = self._context.Process(target=run_worker, args=self._args, daemon=True)
        proc.start()
        return proc

    def restart_dead(self) -> int:
        restarted = 0
        for index, proc in enumerate(self.procs):
            if not proc.is_alive() and not self.stop.is_set():
                log.error("worker %d exited (code %s); restarting it", index, proc.exitcode)
                self.procs[index] = self._spawn()
                restarted += 1
        return restarted

    def shutdown(self, timeout: float = 60) -> None:
        self.stop.set()
        for proc in self.procs:
            proc.join(timeout)


def process_pending(
    tracker: Tracker, out: Path | None, config: Any, hl7: Any = None
) -> dict[str, int]:
    """Process every pending row in this process (``radfollow replay --process``)."""
    processor = Processor(tracker, out, config, hl7)
    counts: dict[str, int] = {}
    while ids := claim(tracker, 64):
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
