"""The bulk part of a tracker load: reports with no earlier version of their
accession, stored by bulk inserts (the rows of :mod:`radfollow.tracker.rows`, as
the per-report ingest writes them) and matched set-wise
(:mod:`radfollow.tracker.setmatch`). Used by :mod:`radfollow.tracker.bulk`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, bindparam, func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from radfollow.errors import TrackerError
from radfollow.tracker.copy import insert_new_rows, insert_rows
from radfollow.tracker.keys import control_key
from radfollow.tracker.outbox import accession_subject, event_key
from radfollow.tracker.policy import Policy
from radfollow.tracker.records import TrackerInput
from radfollow.tracker.rows import (
    Values,
    check_values,
    communication_values,
    critical_values,
    demographics,
    finding_values,
    judged_values,
    recommendation_values,
    study_values,
    table,
)
from radfollow.tracker.schema import (
    CriticalFinding,
    Finding,
    Message,
    OutboxEvent,
    Patient,
    Recommendation,
    ReportCheck,
    ResultCommunication,
    ReviewAction,
    Study,
)
from radfollow.tracker.setmatch import (
    IN_BATCH,
    Counts,
    RecView,
    Replay,
    StudyView,
    as_rec,
    as_study,
    system_row,
)

PatientKey = tuple[str, str]
Patients = dict[PatientKey, dict[str, Any]]
_DEMOGRAPHICS = ("sex", "birth_date", "postal_code")


log = logging.getLogger(__name__)
#: How long a load's ANALYZE waits for its lock before it is skipped (PostgreSQL).
ANALYZE_LOCK_TIMEOUT = "200ms"


@dataclass(frozen=True)
class Planned:
    """A record of the bulk part: ``skip`` a resend (nothing is written);
    ``new_message`` its message is not stored yet (a ``messages`` row is written)."""

    item: TrackerInput
    patient: PatientKey
    skip: bool = False
    new_message: bool = True


def store_reports(
    session: Session, planned: list[Planned], patients: Patients, policy: Policy
) -> tuple[Counts, int]:
    """Store and match ``planned`` (in input order); returns the matching counts and
    the number of recommendations created."""
    replay = Replay(policy)
    replay.load(session, {patients[p.patient]["id"] for p in planned})
    _messages(session, planned)
    studies = _studies(session, planned, patients, policy)
    _demographics(session, patients, planned)
    findings = _findings(session, planned, studies)
    refresh_statistics(session, Study, Finding, added=len(studies))
    _attachments(session, planned, studies)
    recs = _recommendations(session, planned, studies, findings, policy)
    for study, rows in zip(studies, recs, strict=True):
        replay.arrive(study, rows)
    replay.write(session)
    return replay.counts, sum(len(rows) for rows in recs)


def refresh_statistics(session: Session, *models: type[Any], added: int) -> None:
    """PostgreSQL: ``ANALYZE`` the tables of ``models`` whose statistics count fewer
    rows than the ``added`` a bulk insert has just put in, before rows that
    reference them go in.

    Each foreign key is checked by a query that PostgreSQL plans once per connection
    and keeps; planned while the table was small, it scans the whole table, and a
    load then reads it once per inserted row (a load of 20,000 records read 680
    million patient rows). ``ANALYZE`` (allowed in the transaction, counting its own
    rows) updates the statistics and makes PostgreSQL plan those checks again. A
    table whose statistics already count more rows is planned well and left alone,
    so a large tracker is not analysed batch after batch. ``ANALYZE`` holds its lock
    (SHARE UPDATE EXCLUSIVE) until the load's transaction ends and waits for one
    another loader or a VACUUM holds: it waits at most ``ANALYZE_LOCK_TIMEOUT`` and
    is skipped then (in a savepoint; the load goes on). SQLite: nothing."""
    if session.get_bind().dialect.name != "postgresql":
        return
    counted = text(  # one query for the tables whose statistics know fewer rows
        "SELECT relname FROM pg_class WHERE oid = ANY(CAST(:names AS regclass[]))"
        " AND reltuples < :added ORDER BY relname"
    )
    names = [table(model).name for model in models]
    stale = list(session.scalars(counted, {"names": names, "added": added}))
    if not stale:
        return
    previous = session.execute(text("SELECT current_setting('lock_timeout')")).scalar_one()
    savepoint = session.begin_nested()
    try:
        session.execute(text(f"SET LOCAL lock_timeout = '{ANALYZE_LOCK_TIMEOUT}'"))
        session.execute(text(f"ANALYZE {', '.join(stale)}"))
        savepoint.commit()
    except DBAPIError:
        savepoint.rollback()
        log.info("ANALYZE %s skipped: another session holds its lock", ", ".join(stale))
    session.execute(text("SELECT set_config('lock_timeout', :value, true)"), {"value": previous})


def _insert(session: Session, target: Table, rows: Sequence[Values]) -> list[int]:
    """Insert ``rows`` with new ids (set in each row), which are returned in order.

    The ids are taken before the insert, so it is a plain executemany: from the
    table's sequence on PostgreSQL; on SQLite, after the largest, as SQLite itself
    numbers rows (the transaction holds the write lock: no other writer can).
    """
    if not rows:
        return []
    if session.get_bind().dialect.name == "postgresql":
        numbers = text(
            "SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"
        )
        ids = sorted(session.execute(numbers, {"t": target.name, "n": len(rows)}).scalars())
    else:
        last = session.execute(select(func.max(target.c.id))).scalar() or 0
        ids = list(range(last + 1, last + 1 + len(rows)))
    for row, new_id in zip(rows, ids, strict=True):
        row["id"] = new_id
    insert_rows(session, target, rows)
    return ids


def _messages(session: Session, planned: list[Planned]) -> None:
    now = datetime.now(UTC)
    rows = [
        {
            "sending_facility": control_key(p.item.report.sending_facility or ""),
            "control_id": control_key(p.item.report.control_id),
            "outcome": "stored",
            "received_at": now,
        }
        for p in planned
        if p.new_message
    ]
    insert_rows(session, table(Message), rows)


def _studies(
    session: Session, planned: list[Planned], patients: Patients, policy: Policy
) -> list[Study]:
    values = []
    for p in planned:
        report = p.item.report
        if report.observation_time is None:  # pragma: no cover - records.py refuses it
            raise TrackerError("report has no observation time (OBR-7)")
        values.append(
            study_values(patients[p.patient]["id"], report, report.observation_time, policy)
        )
    _insert(session, table(Study), values)
    return [as_study(StudyView(v)) for v in values]


def _demographics(session: Session, patients: Patients, planned: list[Planned]) -> None:
    """Each patient's sex, birth date and postal code as its latest stored report
    states them; the recommendations of a patient whose values changed lose their
    stored status (as the ORM hook of radfollow.tracker.statuses does)."""
    changed: set[PatientKey] = set()
    for p in planned:
        current = patients[p.patient]
        new = demographics(current, p.item.report)
        if any(new[name] != current[name] for name in _DEMOGRAPHICS):
            current.update(new)
            changed.add(p.patient)
    if not changed:
        return
    rows = [
        {"pid": patients[k]["id"], **{n: patients[k][n] for n in _DEMOGRAPHICS}} for k in changed
    ]
    patient = table(Patient)
    statement = (
        update(patient)
        .where(patient.c.id == bindparam("pid"))
        .values({n: bindparam(n) for n in _DEMOGRAPHICS})
    )
    session.execute(statement, rows)
    ids = sorted(row["pid"] for row in rows)
    recs = table(Recommendation)
    for k in range(0, len(ids), IN_BATCH):
        stale = update(recs).where(recs.c.patient_id.in_(ids[k : k + IN_BATCH]))
        session.execute(stale.values(status=None))


def _findings(
    session: Session, planned: list[Planned], studies: list[Study]
) -> list[dict[str, Values]]:
    """Each report's findings by local id (a repeated id: the last, as ingest keeps)."""
    per_report: list[dict[str, Values]] = []
    for p, study in zip(planned, studies, strict=True):
        result = p.item.result
        if study.result_status == "X":  # a cancelled report stores no findings (as ingest)
            per_report.append({})
            continue
        rows = {f.id: finding_values(study.id, f) for f in result.findings}
        for guidance in result.guidance:
            judged = rows.get(guidance.finding_id)
            if judged is not None:
                judged.update(judged_values(guidance))
        per_report.append(rows)
    _insert(session, table(Finding), [row for rows in per_report for row in rows.values()])
    return per_report


def _attachments(session: Session, planned: list[Planned], studies: list[Study]) -> None:
    """Checks, critical results, communications, and the outbox event of a critical
    result without documented communication."""
    checks, critical, said, events = [], [], [], []
    now = datetime.now(UTC)
    for p, study in zip(planned, studies, strict=True):
        result = p.item.result
        if study.result_status == "X":  # nor checks, critical results or communications
            continue
        checks += [check_values(study.id, c) for c in result.checks]
        critical += [critical_values(study.id, c) for c in result.critical_results]
        said += [communication_values(study.id, m) for m in result.communications]
        if result.uncommunicated_critical and study.result_status != "X":
            subject = accession_subject(study.patient_id, study.accession)
            events.append(
                {
                    "key": event_key("uncommunicated_critical", "accession", subject),
                    "event": "uncommunicated_critical",
                    "recommendation_id": None,
                    "study_id": study.id,
                    "sequence": 1,
                    "recipient": study.ordering_provider,
                    "created_at": now,
                    "observed_at": study.observed_at,
                }
            )
    for target, rows in (
        (table(ReportCheck), checks),
        (table(CriticalFinding), critical),
        (table(ResultCommunication), said),
    ):
        insert_rows(session, target, rows)
    insert_new_rows(session, table(OutboxEvent), events, ("key",))


def _recommendations(
    session: Session,
    planned: list[Planned],
    studies: list[Study],
    findings: list[dict[str, Values]],
    policy: Policy,
) -> list[list[Recommendation]]:
    """Each report's recommendations (none for a cancelled one), with ids, linked to
    their study, and their "created" audit entries (the batch's rows are created
    at one time)."""
    now = datetime.now(UTC)
    values: list[list[Values]] = []
    for p, study, rows in zip(planned, studies, findings, strict=True):
        recs = [] if study.result_status == "X" else p.item.result.recommendations
        if not recs:
            values.append([])
            continue
        own: Values = {
            "id": study.id,
            "patient_id": study.patient_id,
            "observed_at": study.observed_at,
            "interpreter": study.interpreter,
            "ordering_provider": study.ordering_provider,
            "facility": study.facility,
        }
        values.append(
            [
                recommendation_values(
                    own,
                    rows.get(r.finding_id) if r.finding_id else None,
                    r,
                    policy,
                    study.observed_at,
                    now=now,
                )
                for r in recs
            ]
        )
    _insert(session, table(Recommendation), [v for group in values for v in group])
    made: list[list[Recommendation]] = []
    created = []
    for study, group in zip(studies, values, strict=True):
        recs_of_study: list[Recommendation] = []
        reason = f"report {study.control_id}"
        for v in group:
            rec = as_rec(RecView({**v, "study": study}))
            recs_of_study.append(rec)
            created.append(system_row(rec.id, "created", reason, v["reported_at"], at=now))
        made.append(recs_of_study)
    insert_rows(session, table(ReviewAction), created)
    return made
