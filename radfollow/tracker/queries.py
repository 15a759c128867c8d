"""Worklists, statuses and statistics, computed against an as-of date.

Statuses (docs/tracker.md): ``open`` before the due window, ``due`` inside it
(plus the grace period), ``overdue`` after it, ``completed`` once a later study
fulfilled it, ``closed`` by a reviewer, ``superseded`` by a corrected report.
Each status is a SQL condition on indexed columns, so a worklist filter never
scans the whole table.

Any aware ``as_of`` from 0001-01-01 to 9999-12-31T23:59:59.999999 UTC gets a
correct answer: the grace period is not subtracted below the first
representable time, and ``resolved_at`` = ``PENDING`` (9999-12-31, the marker of
a recommendation not yet resolved) counts as pending at any later ``as_of``.
Recommendation ids outside 1..``MAX_ID`` match nothing.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session, aliased

from radfollow.tracker.schema import (
    PENDING,
    Completion,
    Patient,
    Recommendation,
    ReviewAction,
    Study,
)

STATUSES = ("open", "due", "overdue", "completed", "closed", "superseded")
R = Recommendation
#: The largest id a tracker table can hold: SQLite's INTEGER (64 bits); PostgreSQL's
#: INTEGER columns hold 32 bits (``_PG_MAX_ID``).
MAX_ID = 2**63 - 1
_PG_MAX_ID = 2**31 - 1
_EARLIEST = datetime.min.replace(tzinfo=UTC)
_STILL_PENDING = PENDING - timedelta(microseconds=1)


def valid_id(session: Session, rec_id: int) -> bool:
    """Whether ``rec_id`` can be a stored id (1 up to what the id column of the
    session's database holds); others match nothing."""
    bind = session.get_bind()
    return 0 < rec_id <= (_PG_MAX_ID if bind.dialect.name == "postgresql" else MAX_ID)


def _minus(as_of: datetime, grace: timedelta) -> datetime:
    """``as_of - grace``, or the first representable time when that is earlier."""
    return as_of - grace if as_of - _EARLIEST > grace else _EARLIEST


def _closed(as_of: datetime) -> ColumnElement[bool]:
    return and_(R.state == "closed", R.closed_at <= as_of)


def _superseded(as_of: datetime) -> ColumnElement[bool]:
    return and_(R.state == "superseded", R.superseded_at <= as_of)


def _completed(as_of: datetime) -> ColumnElement[bool]:
    return and_(R.completed_at.is_not(None), R.completed_at <= as_of)


def _pending(as_of: datetime) -> ColumnElement[bool]:
    """Reported by ``as_of`` and neither closed, superseded nor completed then."""
    return and_(R.reported_at <= as_of, R.resolved_at > min(as_of, _STILL_PENDING))


def status_condition(status: str, as_of: datetime, grace: timedelta) -> ColumnElement[bool]:
    reported = R.reported_at <= as_of
    conditions = {
        "closed": and_(reported, _closed(as_of)),
        "superseded": and_(reported, _superseded(as_of)),
        "completed": and_(reported, _completed(as_of), ~_closed(as_of), ~_superseded(as_of)),
        "open": and_(_pending(as_of), R.due_start > as_of),
        "due": and_(_pending(as_of), R.due_start <= as_of, R.due_end >= _minus(as_of, grace)),
        "overdue": and_(_pending(as_of), R.due_end < _minus(as_of, grace)),
    }
    return conditions[status]


def status_column(as_of: datetime, grace: timedelta) -> ColumnElement[str]:
    return case(
        *[(status_condition(s, as_of, grace), s) for s in STATUSES], else_="not yet reported"
    )


class Filters(BaseModel):
    status: str | None = None
    modality: str | None = None
    finding_type: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    patient: str | None = None


class WorklistRow(BaseModel):
    id: int
    status: str
    patient_id: str
    accession: str
    procedure: str | None
    study_date: str
    finding_type: str | None
    modality: str | None
    body_region: str | None
    interval_months: list[float] | None
    window: str
    due_start: str
    due_end: str
    conditional: bool
    score: float | None
    evidence: str
    completed_by: str | None
    closed_reason: str | None


def worklist(
    session: Session, filters: Filters, *, as_of: datetime, grace: timedelta, limit: int | None
) -> list[WorklistRow]:
    done = aliased(Study)
    status = status_column(as_of, grace).label("status")
    query = (
        select(
            R,
            status,
            Patient.identifier,
            Study.accession,
            Study.procedure,
            Study.observed_at,
            done.accession,
        )
        .join(Study, Study.id == R.study_id)
        .join(Patient, Patient.id == R.patient_id)
        .outerjoin(Completion, Completion.recommendation_id == R.id)
        .outerjoin(done, done.id == Completion.study_id)
        .where(R.reported_at <= as_of)
        .order_by(R.due_end, R.id)
    )
    query = _filtered(query, filters, as_of, grace)
    if limit:
        query = query.limit(limit)
    return [_row(*row, as_of=as_of) for row in session.execute(query)]


def _filtered(query: Any, filters: Filters, as_of: datetime, grace: timedelta) -> Any:
    if filters.status:
        query = query.where(status_condition(filters.status, as_of, grace))
    if filters.modality:
        query = query.where(R.modality == filters.modality.upper())
    if filters.finding_type:
        query = query.where(R.finding_type == filters.finding_type)
    if filters.since:
        query = query.where(R.reported_at >= filters.since)
    if filters.until:
        query = query.where(R.reported_at <= filters.until)
    if filters.patient:
        query = query.where(Patient.identifier == filters.patient)
    return query


def _row(
    rec: Recommendation,
    status: str,
    patient: str,
    accession: str,
    procedure: str | None,
    observed: datetime,
    completed_by: str | None,
    *,
    as_of: datetime,
) -> WorklistRow:
    interval = [rec.interval_min, rec.interval_max] if rec.interval_min is not None else None
    return WorklistRow(
        id=rec.id,
        status=status,
        patient_id=patient,
        accession=accession,
        procedure=procedure,
        study_date=observed.date().isoformat(),
        finding_type=rec.finding_type,
        modality=rec.modality,
        body_region=rec.body_region,
        interval_months=interval,  # type: ignore[arg-type]
        window=rec.window_source,
        due_start=rec.due_start.date().isoformat(),
        due_end=rec.due_end.date().isoformat(),
        conditional=rec.conditional,
        score=rec.score,
        evidence=rec.evidence,
        completed_by=completed_by if status == "completed" else None,
        closed_reason=rec.closed_reason if status == "closed" else None,
    )


class Detail(BaseModel):
    row: WorklistRow
    context: str
    finding: dict[str, Any] | None
    completion_reason: str | None
    audit: list[dict[str, Any]]


def detail(session: Session, rec_id: int, *, as_of: datetime, grace: timedelta) -> Detail | None:
    rec = session.get(R, rec_id) if valid_id(session, rec_id) else None
    if rec is None:
        return None
    status = session.scalar(select(status_column(as_of, grace)).where(R.id == rec_id))
    study = rec.study
    completion = session.scalar(select(Completion).where(Completion.recommendation_id == rec_id))
    row = _row(
        rec,
        status or "not yet reported",
        study.patient.identifier,
        study.accession,
        study.procedure,
        study.observed_at,
        completion.study.accession if completion else None,
        as_of=as_of,
    )
    text = study.report_text
    context = text[max(0, rec.start - 300) : rec.end + 200]
    finding = None
    if rec.finding is not None:
        f = rec.finding
        finding = {
            "type": f.type,
            "text": f.text,
            "assertion": f.assertion,
            "size_mm": f.size_mm,
            "laterality": f.laterality,
            "location": f.location,
            "incidental": f.incidental,
            "incidental_reason": f.incidental_reason,
            "composition": f.composition,
            "multiplicity": f.multiplicity,
            "largest_size_mm": f.largest_size_mm,
            "density_hu": f.density_hu,
        }
    actions = session.scalars(
        select(ReviewAction)
        .where(ReviewAction.recommendation_id == rec_id)
        .order_by(ReviewAction.at, ReviewAction.id)
    )
    audit = [
        {"at": a.at.isoformat(), "actor": a.actor, "action": a.action, "reason": a.reason}
        for a in actions
    ]
    return Detail(
        row=row,
        context=context,
        finding=finding,
        completion_reason=completion.reason if completion else None,
        audit=audit,
    )


class StatsRow(BaseModel):
    group: str
    value: str
    recommendations: int
    open: int
    due: int
    overdue: int
    completed: int
    closed: int
    completion_rate: float | None
    median_days_to_completion: float | None


def stats(
    session: Session, filters: Filters, *, as_of: datetime, grace: timedelta
) -> list[StatsRow]:
    """Counts by status, completion rate and median days to completion, overall and by group.

    Superseded recommendations are left out. The completion rate is completed /
    (completed + overdue): of the recommendations whose window has passed, how
    many were done.
    """
    status = status_column(as_of, grace).label("status")
    completed_or_reported = func.coalesce(R.completed_at, R.reported_at)
    query = select(R.finding_type, R.modality, status, R.reported_at, completed_or_reported).where(
        R.reported_at <= as_of
    )
    query = _filtered(query.join(Patient, Patient.id == R.patient_id), filters, as_of, grace)
    groups: dict[tuple[str, str], list[tuple[str, float | None]]] = defaultdict(list)
    for finding_type, modality, st, reported, completed in session.execute(query):
        if st == "superseded":
            continue
        waited = (completed - reported).total_seconds() / 86400 if st == "completed" else None
        for key in (
            ("all", "all"),
            ("finding_type", finding_type or "unlinked"),
            ("modality", modality or "unspecified"),
        ):
            groups[key].append((st, waited))
    return [_stats_row(g, v, items) for (g, v), items in sorted(groups.items(), key=_order)]


def _order(item: tuple[tuple[str, str], Any]) -> tuple[int, str, str]:
    (group, value), _ = item
    return ({"all": 0, "finding_type": 1, "modality": 2}[group], group, value)


def _stats_row(group: str, value: str, items: list[tuple[str, float | None]]) -> StatsRow:
    counts = {s: sum(1 for st, _ in items if st == s) for s in STATUSES}
    finished = counts["completed"] + counts["overdue"]
    waits = [w for _, w in items if w is not None]
    return StatsRow(
        group=group,
        value=value,
        recommendations=len(items),
        open=counts["open"],
        due=counts["due"],
        overdue=counts["overdue"],
        completed=counts["completed"],
        closed=counts["closed"],
        completion_rate=round(counts["completed"] / finished, 4) if finished else None,
        median_days_to_completion=round(statistics.median(waits), 1) if waits else None,
    )
