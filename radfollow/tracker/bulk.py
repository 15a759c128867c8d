"""Bulk loading of output records into the tracker (``radfollow tracker load``).

The result is the tracker the per-report ingest (:mod:`radfollow.tracker.ingest`)
gives for the same records in the same order, one transaction per report: the
same idempotency (a message or report seen before changes nothing; a correction
supersedes), the same matching verdicts, completions, review candidates, audit
entries and outbox events. Only surrogate ids and the times radfollow acted
(``created_at``, ``received_at``, audit ``at``) differ.

Records go in batches of ``chunk_size``, one transaction each (retried on a lost
race, :func:`radfollow.tracker.transaction.write`). In a batch:

1. the batch's patients are looked up in one query and the new ones inserted
   (on PostgreSQL their rows are then locked, as ingest locks one);
2. one query each for the messages and the studies of the batch's accessions
   sorts every record: a resend (message and report seen) is skipped; a report
   with an earlier version of its accession (a correction, a final after a
   preliminary, a second correction...) goes through the per-report ingest, in
   the same transaction; every other record is stored by bulk inserts
   (:func:`_store`) and matched set-wise (:mod:`radfollow.tracker.setmatch`);
3. a record that depends on one sent through ingest (same patient, message or
   report) waits for it: the batch is done in rounds, each a bulk part and then
   the ingest part, so every patient's reports are decided in input order.

When the database refuses a batch (a NUL character on PostgreSQL, a constraint),
its records are loaded again one by one, so only the refused ones fail.
"""

from __future__ import annotations

import gc
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from radfollow.errors import RadfollowError, contained
from radfollow.tracker.copy import insert_new_rows
from radfollow.tracker.ingest import IngestOutcome, ingest
from radfollow.tracker.keys import control_key
from radfollow.tracker.records import TrackerInput
from radfollow.tracker.rows import table
from radfollow.tracker.schema import Message, Patient, Study
from radfollow.tracker.setmatch import IN_BATCH, Counts
from radfollow.tracker.store import Planned, refresh_statistics, store_reports
from radfollow.tracker.transaction import write

if TYPE_CHECKING:
    from radfollow.tracker.db import Tracker

log = logging.getLogger(__name__)

CHUNK_SIZE = 5000
#: Allocations between two runs of the cyclic garbage collector's youngest
#: generation while loading (Python's default is 700); see :func:`_rare_collections`.
GC_YOUNG_THRESHOLD = 50_000
#: SQLite page cache of a loading connection, in KiB (the default is 2 MiB).
SQLITE_CACHE_KIB = 256 * 1024
PatientKey = tuple[str, str]


@dataclass(frozen=True)
class LoadError:
    """A record that was not loaded: its ``file:line``, code and one-line reason."""

    where: str
    code: str
    reason: str


@dataclass
class LoadSummary:
    """What a load did: outcomes per record (stored, duplicate, ignored), what the
    stored reports created and matched, and the records that failed."""

    outcomes: Counter[str] = field(default_factory=Counter)
    created: int = 0
    superseded: int = 0
    completed: int = 0
    needs_review: int = 0
    scheduled: int = 0
    errors: list[LoadError] = field(default_factory=list)
    #: Batches the database refused as a whole, loaded again one by one.
    retried_batches: int = 0

    @property
    def records(self) -> int:
        return sum(self.outcomes.values())

    def fail(self, where: str, error: RadfollowError) -> None:
        self.errors.append(LoadError(where, error.code, error.message))

    def add(self, other: LoadSummary) -> None:
        self.outcomes.update(other.outcomes)
        for name in (
            "created",
            "superseded",
            "completed",
            "needs_review",
            "scheduled",
            "retried_batches",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors.extend(other.errors)

    def count(self, outcome: IngestOutcome) -> None:
        self.outcomes[outcome.status] += 1
        self.created += outcome.created
        self.superseded += outcome.superseded
        self.completed += len(outcome.completed)
        self.needs_review += len(outcome.needs_review)
        self.scheduled += len(outcome.scheduled)

    def matched(self, counts: Counts) -> None:
        self.completed += counts.completed
        self.needs_review += counts.needs_review
        self.scheduled += counts.scheduled


Tick = Callable[[int], None]


def load_records(
    tracker: Tracker,
    inputs: Iterable[TrackerInput | RadfollowError],
    *,
    chunk_size: int = CHUNK_SIZE,
    tick: Tick | None = None,
) -> LoadSummary:
    """Load ``inputs`` (records, or the errors of unusable lines, which are counted as
    failed) in batches of ``chunk_size``; see the module docstring."""
    with _rare_collections():
        return _load(tracker, inputs, chunk_size, tick)


@contextmanager
def _rare_collections() -> Iterator[None]:
    """Python's cyclic garbage collector run less often, until the load ends.

    A batch keeps a few hundred thousand objects alive (its records, their rows),
    and with the default thresholds the collector walks all of them again every
    few thousand allocations: a fifth of a load's time went to full collections.
    Reference counting frees objects as before; only those in reference cycles
    wait longer for a collection. The thresholds are restored after; a collector
    switched off stays off."""
    before = gc.get_threshold()
    if before[0]:  # 0: automatic collection is off
        gc.set_threshold(max(before[0], GC_YOUNG_THRESHOLD), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _load(
    tracker: Tracker,
    inputs: Iterable[TrackerInput | RadfollowError],
    chunk_size: int,
    tick: Tick | None,
) -> LoadSummary:
    summary = LoadSummary()
    batch: list[TrackerInput] = []
    for item in inputs:
        if isinstance(item, RadfollowError):
            summary.fail(item.where or "", item)
            if tick:
                tick(1)
            continue
        batch.append(item)
        if len(batch) >= chunk_size:
            summary.add(_load_batch(tracker, batch))
            if tick:
                tick(len(batch))
            batch = []
    if batch:
        summary.add(_load_batch(tracker, batch))
        if tick:
            tick(len(batch))
    return summary


def load_one_by_one(tracker: Tracker, inputs: Iterable[TrackerInput]) -> LoadSummary:
    """Each record through the per-report ingest, one transaction each (what
    ``process --db`` does): the reference the bulk path equals, and its fallback."""
    summary = LoadSummary()
    for item in inputs:
        try:
            outcome = _ingest_one(tracker, item)
        except Exception as error:  # one record's failure, never the load's
            summary.fail(item.where, contained(error))
            continue
        summary.count(outcome)
    return summary


def _ingest_one(tracker: Tracker, item: TrackerInput) -> IngestOutcome:
    def work(session: Session) -> IngestOutcome:
        return ingest(session, item.report, item.result, tracker.policy)

    return write(tracker, work)


def _load_batch(tracker: Tracker, batch: list[TrackerInput]) -> LoadSummary:
    try:
        return write(tracker, lambda session: _batch(session, batch, tracker))
    except Exception as error:  # the database refused something: find which record
        log.info(
            "a batch of %d records was refused (%s); loading them one by one",
            len(batch),
            contained(error).code,
        )
        summary = load_one_by_one(tracker, batch)
        summary.retried_batches += 1
        return summary


@dataclass
class _Known:
    """Message, report and accession keys stored so far (database and this batch)."""

    messages: set[tuple[str, str]]
    reports: set[tuple[str, str]]
    versions: set[tuple[PatientKey, str]]


#: A record's patient, message (facility, control id) and report (control id,
#: accession) keys.
Keys = tuple[PatientKey, tuple[str, str], tuple[str, str]]


def _keys(item: TrackerInput) -> Keys:
    report = item.report
    patient = (report.patient.id, control_key(report.patient.assigning_authority or ""))
    control = control_key(report.control_id)
    return (
        patient,
        (control_key(report.sending_facility or ""), control),
        (control, report.accession),
    )


def _batch(session: Session, batch: list[TrackerInput], tracker: Tracker) -> LoadSummary:
    summary = LoadSummary()
    if session.get_bind().dialect.name == "sqlite":
        # a batch touches every index of the big tables: keep their pages in memory
        session.execute(text(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}"))
    keys = {id(item): _keys(item) for item in batch}  # worked out once per record
    patients = _patients(session, {k[0] for k in keys.values()})
    known = _known(session, batch, list(keys.values()), patients)
    pending = batch
    while pending:
        fast, slow, pending = _plan(pending, known, keys)
        skipped = sum(1 for p in fast if p.skip)
        if skipped:
            summary.outcomes["duplicate"] += skipped
        stored = [p for p in fast if not p.skip]
        if stored:
            counts, created = store_reports(session, stored, patients, tracker.policy)
            summary.outcomes["stored"] += len(stored)
            summary.created += created
            summary.matched(counts)
        for item in slow:
            outcome = ingest(session, item.report, item.result, tracker.policy)
            session.flush()
            session.expunge_all()  # the bulk part reads the database, not stale objects
            patient, message, report = keys[id(item)]
            known.messages.add(message)
            if outcome.status == "stored":
                known.reports.add(report)
                known.versions.add((patient, item.report.accession))
            summary.count(outcome)
        if slow:
            _refresh(session, patients, {keys[id(item)][0] for item in slow})
    return summary


def _plan(
    pending: list[TrackerInput], known: _Known, keys: dict[int, Keys]
) -> tuple[list[Planned], list[TrackerInput], list[TrackerInput]]:
    """(bulk part, ingest part, later rounds) of ``pending``, in input order each;
    ``keys``: each record's, by ``id``."""
    fast: list[Planned] = []
    slow: list[TrackerInput] = []
    later: list[TrackerInput] = []
    blocked: set[Any] = set()
    for item in pending:
        patient, message, report = keys[id(item)]
        version = (patient, item.report.accession)
        tagged = {("patient", patient), ("message", message), ("report", report)}
        if tagged & blocked:
            later.append(item)
            blocked |= tagged
        elif message in known.messages and report in known.reports:
            fast.append(Planned(item, patient, skip=True, new_message=False))
        elif version in known.versions:
            slow.append(item)
            blocked |= tagged
        else:
            fast.append(Planned(item, patient, new_message=message not in known.messages))
            known.messages.add(message)
            known.reports.add(report)
            known.versions.add(version)
    return fast, slow, later


def _patients(session: Session, keys: set[PatientKey]) -> dict[PatientKey, dict[str, Any]]:
    """Each patient's row (id, sex, birth date, postal code), inserted when new.

    SQLite: the insert comes first, so the transaction holds the write lock before
    it reads (as ingest.lock_patient); PostgreSQL: the rows are locked (in id
    order, so two loaders never deadlock) until the transaction ends."""
    postgres = session.get_bind().dialect.name == "postgresql"
    found = {} if not postgres else _read_patients(session, keys)
    missing = [
        {"identifier": k[0], "assigning_authority": k[1]} for k in sorted(keys) if k not in found
    ]
    insert_new_rows(session, table(Patient), missing, ("identifier", "assigning_authority"))
    if missing:
        refresh_statistics(session, Patient, added=len(missing))
    return _read_patients(session, keys, lock=postgres)


def _read_patients(
    session: Session, keys: set[PatientKey], *, lock: bool = False
) -> dict[PatientKey, dict[str, Any]]:
    """The patients' rows; ``lock``: ``FOR UPDATE``, in id order (the values read are
    then the latest committed ones)."""
    found: dict[PatientKey, dict[str, Any]] = {}
    columns = (Patient.id, Patient.sex, Patient.birth_date, Patient.postal_code)
    for batch in _chunks(sorted({k[0] for k in keys})):
        query = select(Patient.identifier, Patient.assigning_authority, *columns)
        query = query.where(Patient.identifier.in_(batch)).order_by(Patient.id)
        if lock:
            query = query.with_for_update()
        for row in session.execute(query).mappings():
            key = (row["identifier"], row["assigning_authority"])
            if key in keys:
                found[key] = {name: row[name] for name in ("id", *_DEMOGRAPHICS)}
    return found


_DEMOGRAPHICS = ("sex", "birth_date", "postal_code")


def _refresh(
    session: Session, patients: dict[PatientKey, dict[str, Any]], keys: set[PatientKey]
) -> None:
    """Read again the demographics of patients the per-report ingest wrote."""
    patients.update(_read_patients(session, keys))


def _known(
    session: Session,
    batch: list[TrackerInput],
    keys: list[Keys],
    patients: dict[PatientKey, dict[str, Any]],
) -> _Known:
    known = _Known(set(), set(), set())
    by_id = {row["id"]: key for key, row in patients.items()}
    for chunk in _chunks(sorted({message[1] for _, message, _ in keys})):
        query = select(Message.sending_facility, Message.control_id)
        rows = session.execute(query.where(Message.control_id.in_(chunk)))
        known.messages.update((facility, control) for facility, control in rows)
    for chunk in _chunks(sorted({item.report.accession for item in batch})):
        studies = select(Study.patient_id, Study.accession, Study.control_id)
        for patient_id, accession, control in session.execute(
            studies.where(Study.accession.in_(chunk))
        ):
            known.reports.add((control, accession))
            if patient_id in by_id:
                known.versions.add((by_id[patient_id], accession))
    return known


def _chunks(values: list[Any]) -> Iterable[list[Any]]:
    for k in range(0, len(values), IN_BATCH):
        yield values[k : k + IN_BATCH]
