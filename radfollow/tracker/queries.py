"""Worklists, statuses and statistics, computed against an as-of date.

Statuses (docs/tracker.md), the first that applies: ``closed`` by a reviewer,
``superseded`` by a corrected report, ``completed`` once a later study
fulfilled it, ``needs_review`` (a person must choose between candidate
studies or confirm a weak match), ``scheduled`` (a later order or appointment
fits it), ``overdue`` after its window (plus the grace period), ``due`` inside
it, ``coming_due`` in the lead time before it opens, ``open`` before that.
Each status is a SQL condition on indexed columns, so a worklist filter never
scans the whole table.

Any aware ``as_of`` from 0001-01-01 to 9999-12-31T23:59:59.999999 UTC gets a
correct answer: the grace period is not subtracted below the first
representable time, and ``resolved_at`` = ``PENDING`` (9999-12-31, the marker of
a recommendation not yet resolved) counts as pending at any later ``as_of``.
Recommendation ids outside 1..``MAX_ID`` match nothing.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

import numpy as np
from pydantic import BaseModel
from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session, aliased, defer

from radfollow.tracker.schema import (
    PENDING,
    Completion,
    Finding,
    MatchCandidate,
    Patient,
    Recommendation,
    ReviewAction,
    Study,
)

STATUSES = (
    "open",
    "coming_due",
    "due",
    "scheduled",
    "overdue",
    "needs_review",
    "completed",
    "closed",
    "superseded",
)
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


def _day(as_of: datetime, tz: tzinfo) -> datetime:
    """The start of ``as_of``'s day in the site's zone ``tz``: the grace period ends
    with the whole day ``due_end + grace``, so a recommendation is overdue from the
    next day on."""
    local = as_of.astimezone(tz)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start.astimezone(UTC) if start.year > 1 else _EARLIEST


def _plus(as_of: datetime, lead: timedelta) -> datetime:
    """``as_of + lead``, or the last representable time when that is later."""
    return as_of + lead if PENDING - as_of > lead else PENDING


def _closed(as_of: datetime) -> ColumnElement[bool]:
    """Closed by ``as_of``, and not superseded by then (a correction of its report
    supersedes a closed recommendation too: its closure held until then)."""
    kept = or_(R.state == "closed", and_(R.state == "superseded", R.superseded_at > as_of))
    return and_(R.closed_at.is_not(None), R.closed_at <= as_of, kept)


def _superseded(as_of: datetime) -> ColumnElement[bool]:
    return and_(R.state == "superseded", R.superseded_at <= as_of)


def _completed(as_of: datetime) -> ColumnElement[bool]:
    return and_(R.completed_at.is_not(None), R.completed_at <= as_of)


def _pending(as_of: datetime) -> ColumnElement[bool]:
    """Reported by ``as_of`` and neither closed, superseded nor completed then."""
    return and_(R.reported_at <= as_of, R.resolved_at > min(as_of, _STILL_PENDING))


def _in_review(as_of: datetime) -> ColumnElement[bool]:
    return and_(R.needs_review_at.is_not(None), R.needs_review_at <= as_of)


def _scheduled(as_of: datetime, grace: timedelta) -> ColumnElement[bool]:
    """A live order fits it, and its planned time (without one: the window end) is not
    more than the grace period past: a booked study that never came lapses."""
    planned = func.coalesce(R.scheduled_for, R.due_end) >= _minus(as_of, grace)
    return and_(R.scheduled_at.is_not(None), R.scheduled_at <= as_of, planned)


def status_condition(
    status: str,
    as_of: datetime,
    grace: timedelta,
    lead: timedelta = timedelta(days=30),
    tz: tzinfo = UTC,
) -> ColumnElement[bool]:
    """The SQL condition of one status at ``as_of``; ``lead``: the coming-due lead time;
    ``tz``: the site's zone, whose calendar days bound the grace period."""
    reported = R.reported_at <= as_of
    waiting = and_(_pending(as_of), ~_in_review(as_of), ~_scheduled(as_of, grace))
    conditions = {
        "closed": and_(reported, _closed(as_of)),
        "superseded": and_(reported, _superseded(as_of)),
        "completed": and_(reported, _completed(as_of), ~_closed(as_of), ~_superseded(as_of)),
        "needs_review": and_(_pending(as_of), _in_review(as_of)),
        "scheduled": and_(_pending(as_of), ~_in_review(as_of), _scheduled(as_of, grace)),
        "open": and_(waiting, R.due_start > _plus(as_of, lead)),
        "coming_due": and_(waiting, R.due_start > as_of, R.due_start <= _plus(as_of, lead)),
        "due": and_(waiting, R.due_start <= as_of, R.due_end >= _minus(_day(as_of, tz), grace)),
        "overdue": and_(waiting, R.due_end < _minus(_day(as_of, tz), grace)),
    }
    return conditions[status]


#: The order in which statuses are decided (the first that applies).
_PRECEDENCE = (
    "closed",
    "superseded",
    "completed",
    "needs_review",
    "scheduled",
    "overdue",
    "due",
    "coming_due",
    "open",
)


def status_column(
    as_of: datetime, grace: timedelta, lead: timedelta = timedelta(days=30), tz: tzinfo = UTC
) -> ColumnElement[str]:
    return case(
        *[(status_condition(s, as_of, grace, lead, tz), s) for s in _PRECEDENCE],
        else_="not yet reported",
    )


#: The default coming-due lead (tracker.json ``coming_due_days``).
DEFAULT_LEAD = timedelta(days=30)


class Filters(BaseModel):
    """Worklist filters; every list means "any of these", every field "and".

    ``due_from``/``due_to``: the due window overlaps ``[due_from, due_to]``.
    ``region``: the recommended body region (its own study's when it names none).
    """

    statuses: list[str] = []
    modality: str | None = None
    finding_type: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    patient: str | None = None
    region: str | None = None
    radiologist: str | None = None
    provider: str | None = None
    site: str | None = None
    department: str | None = None
    patient_class: str | None = None
    due_from: datetime | None = None
    due_to: datetime | None = None
    #: A user name; "" selects the recommendations assigned to nobody.
    assignee: str | None = None


class WorklistRow(BaseModel):
    """One recommendation as worklists and exports show it (no report text but the
    recommendation's own sentence, ``evidence``). Times are ISO 8601 UTC; dates ISO."""

    id: int
    status: str
    patient_id: str
    accession: str
    procedure: str | None
    study_date: str
    finding_type: str | None
    modality: str | None
    modality_options: str | None
    body_region: str | None
    laterality: str | None
    interval_min: float | None
    interval_max: float | None
    window: str
    due_start: str
    due_end: str
    conditional: bool
    score: float | None
    evidence: str
    completed_by: str | None
    completed_at: str | None
    early: bool | None
    closed_at: str | None
    closed_by: str | None
    closed_reason: str | None
    ordering_provider: str | None
    radiologist: str | None
    site: str | None
    department: str | None
    patient_class: str | None
    assignee: str | None = None
    #: The linked finding's largest size in mm (None: not measured or no finding).
    size_mm: float | None = None


#: Worklist orders: ``due_end`` most overdue (earliest window end) first;
#: ``due_start`` by when the window opens; ``priority`` not conditional first, then
#: the policy's finding-type order, then the largest finding, then ``due_end``.
SORTS = ("due_end", "due_start", "priority")


def _query(
    columns: list[Any],
    filters: Filters,
    as_of: datetime,
    grace: timedelta,
    lead: timedelta,
    tz: tzinfo = UTC,
    *,
    joins: bool = True,
    stored: bool = False,
) -> Any:
    """``columns`` of the recommendations the filters select. ``joins`` False (a
    count): the study and patient are joined only when a filter needs them.
    ``stored``: filter on the stored statuses (radfollow.tracker.statuses, brought
    up to ``as_of`` by the caller) instead of computing each row's."""
    query = select(*columns)
    if joins or _needs_study(filters):
        query = query.join(Study, Study.id == R.study_id)
    if joins or filters.patient:
        query = query.join(Patient, Patient.id == R.patient_id)
    if stored:  # a row reported after as_of is stored as "not yet reported"
        if not filters.statuses:  # (not an IN list: a period's index stays the better one)
            query = query.where(R.status != "not yet reported")
    else:
        query = query.where(R.reported_at <= as_of)
    return _filtered(query, filters, as_of, grace, lead, tz, stored=stored)


def _needs_study(filters: Filters) -> bool:
    return any((filters.region, filters.department, filters.patient_class))


def worklist(
    session: Session,
    filters: Filters,
    *,
    as_of: datetime,
    grace: timedelta,
    limit: int | None,
    offset: int = 0,
    lead: timedelta = DEFAULT_LEAD,
    only: int | None = None,
    tz: tzinfo = UTC,
    sort: str = "due_end",
    priority: tuple[str, ...] = (),
    stored: bool = False,
) -> list[WorklistRow]:
    """One page of the worklist in ``sort`` order (SORTS; default most urgent, the
    earliest window end, first); ``priority``: finding types, most urgent first.

    ``only``: just this recommendation (the detail page's row)."""
    query = worklist_query(
        filters,
        as_of=as_of,
        grace=grace,
        limit=limit,
        offset=offset,
        lead=lead,
        only=only,
        tz=tz,
        sort=sort,
        priority=priority,
        stored=stored,
    )
    return rows_of(session, query, tz=tz)


def worklist_query(
    filters: Filters,
    *,
    as_of: datetime,
    grace: timedelta,
    limit: int | None,
    offset: int = 0,
    lead: timedelta = DEFAULT_LEAD,
    only: int | None = None,
    tz: tzinfo = UTC,
    sort: str = "due_end",
    priority: tuple[str, ...] = (),
    stored: bool = False,
) -> Any:
    """The statement :func:`worklist` runs (for timing the database apart).
    Raises ValueError for a ``sort`` not in SORTS."""
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}; sorts: {', '.join(SORTS)}")
    size = aliased(Finding)
    done = aliased(Study)
    closer = (
        select(ReviewAction.actor)
        .where(ReviewAction.recommendation_id == R.id, ReviewAction.action == "closed")
        .order_by(ReviewAction.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    status = (R.status if stored else status_column(as_of, grace, lead, tz)).label("status")
    largest = size.largest_size_mm
    columns = [
        R,
        status,
        Patient.identifier,
        Study,
        done.accession,
        Completion.early,
        closer,
        largest,
    ]
    query = (
        _query(columns, filters, as_of, grace, lead, tz, stored=stored)
        .outerjoin(Completion, Completion.recommendation_id == R.id)
        .outerjoin(done, done.id == Completion.study_id)
        .outerjoin(size, size.id == R.finding_id)
        .order_by(*_ordering(sort, priority, largest))
        # a worklist row shows no report text: never load it
        .options(defer(Study.report_text), defer(Study.source))
    )
    if only is not None:
        query = query.where(R.id == only)
    if offset and sort != "priority":
        # a deep page: its ids first, from the recommendations alone (an index walk),
        # then the joins for those rows only, not for every row skipped
        ids = _query([R.id], filters, as_of, grace, lead, tz, joins=False, stored=stored)
        ids = ids.order_by(*_ordering(sort, priority, largest)).offset(offset)
        page = ids.limit(limit) if limit else ids
        return query.where(R.id.in_(page.scalar_subquery()))
    if offset:
        query = query.offset(offset)
    if limit:
        query = query.limit(limit)
    return query


def _ordering(sort: str, priority: tuple[str, ...], largest: Any) -> list[Any]:
    if sort == "due_start":
        return [R.due_start, R.id]
    if sort == "priority":
        size_first = [func.coalesce(largest, -1.0).desc(), R.due_end, R.id]
        if not priority:  # no finding order given (an empty CASE is not SQL)
            return [R.conditional, *size_first]
        rank = case(
            *[(R.finding_type == t, i) for i, t in enumerate(priority)], else_=len(priority)
        )
        return [R.conditional, rank, *size_first]
    return [R.due_end, R.id]


def rows_of(session: Session, query: Any, *, tz: tzinfo = UTC) -> list[WorklistRow]:
    """Run a :func:`worklist_query` statement; dates in the site's zone ``tz``."""
    return [_row(*row, tz=tz) for row in session.execute(query)]


def count(
    session: Session,
    filters: Filters,
    *,
    as_of: datetime,
    grace: timedelta,
    lead: timedelta = DEFAULT_LEAD,
    tz: tzinfo = UTC,
    stored: bool = False,
) -> int:
    """How many recommendations the filters select (all pages)."""
    query = _query([func.count(R.id)], filters, as_of, grace, lead, tz, joins=False, stored=stored)
    return int(session.scalar(query) or 0)


def known_values(session: Session, dimension: str) -> list[str]:
    """The distinct stored values of a study dimension (radiologist, provider, site,
    department), sorted, for usage errors that list them."""
    column = {
        "radiologist": Study.interpreter,
        "provider": Study.ordering_provider,
        "site": Study.facility,
        "department": Study.department,
    }[dimension]
    if dimension == "department" or session.get_bind().dialect.name != "postgresql":
        # SQLite skips through an index for DISTINCT; department has no index
        query = select(column).where(column.is_not(None)).distinct().order_by(column)
        return [v for v in session.scalars(query.limit(1000)) if v]
    # PostgreSQL reads every study's index entry for DISTINCT (no skip scan): a loose
    # index scan instead, each next value one index probe (the least above the last)
    values = select(func.min(column).label("value"), literal(1).label("n")).cte(
        "known", recursive=True
    )
    following = select(func.min(column)).where(column > values.c.value).scalar_subquery()
    values = values.union_all(
        select(following, values.c.n + 1).where(values.c.value.is_not(None), values.c.n < 1000)
    )
    query = select(values.c.value).where(values.c.value.is_not(None)).order_by(values.c.value)
    return [v for v in session.scalars(query) if v]


def _filtered(
    query: Any,
    filters: Filters,
    as_of: datetime,
    grace: timedelta,
    lead: timedelta = DEFAULT_LEAD,
    tz: tzinfo = UTC,
    *,
    stored: bool = False,
) -> Any:
    if filters.statuses and stored:
        query = query.where(R.status.in_(filters.statuses))
    elif filters.statuses:
        wanted = [status_condition(s, as_of, grace, lead, tz) for s in filters.statuses]
        query = query.where(or_(*wanted))
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
    if filters.region:
        query = query.where(func.coalesce(R.body_region, Study.body_region) == filters.region)
    for value, column in (
        (filters.radiologist, R.interpreter),
        (filters.provider, R.ordering_provider),
        (filters.site, R.facility),
        (filters.department, Study.department),
        (filters.patient_class, Study.patient_class),
    ):
        if value:
            query = query.where(column == value)
    if filters.due_from:
        query = query.where(R.due_end >= filters.due_from)
    if filters.due_to:
        query = query.where(R.due_start <= filters.due_to)
    if filters.assignee == "":
        query = query.where(R.assignee.is_(None))
    elif filters.assignee is not None:  # one person's few rows, read through their index
        mine = select(R.id).where(R.assignee == filters.assignee).scalar_subquery()
        query = query.where(R.id.in_(mine))
    return query


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _row(
    rec: Recommendation,
    status: str,
    patient: str,
    study: Study,
    completed_by: str | None,
    early: bool | None,
    closed_by: str | None,
    size_mm: float | None = None,
    *,
    tz: tzinfo = UTC,
) -> WorklistRow:
    """Dates are the site's calendar days (``tz``)."""
    completed = status == "completed"
    closed = status == "closed"
    return WorklistRow(
        id=rec.id,
        status=status,
        patient_id=patient,
        accession=study.accession,
        procedure=study.procedure,
        study_date=study.observed_at.astimezone(tz).date().isoformat(),
        finding_type=rec.finding_type,
        modality=rec.modality,
        modality_options=rec.modality_options,
        body_region=rec.body_region,
        laterality=rec.laterality,
        interval_min=rec.interval_min,
        interval_max=rec.interval_max,
        window=rec.window_source,
        due_start=rec.due_start.astimezone(tz).date().isoformat(),
        due_end=rec.due_end.astimezone(tz).date().isoformat(),
        conditional=rec.conditional,
        score=rec.score,
        evidence=rec.evidence,
        completed_by=completed_by if completed else None,
        completed_at=_iso(rec.completed_at) if completed else None,
        early=bool(early) if completed else None,
        closed_at=_iso(rec.closed_at) if closed else None,
        closed_by=closed_by if closed else None,
        closed_reason=rec.closed_reason if closed else None,
        ordering_provider=study.ordering_provider,
        radiologist=study.interpreter,
        site=study.facility,
        department=study.department,
        patient_class=study.patient_class,
        assignee=rec.assignee,
        size_mm=size_mm,
    )


class Detail(BaseModel):
    row: WorklistRow
    context: str
    finding: dict[str, Any] | None
    completion_reason: str | None
    #: Studies waiting for a person's choice (status needs_review).
    candidates: list[dict[str, Any]]
    audit: list[dict[str, Any]]


def detail(
    session: Session,
    rec_id: int,
    *,
    as_of: datetime,
    grace: timedelta,
    lead: timedelta = DEFAULT_LEAD,
    tz: tzinfo = UTC,
) -> Detail | None:
    rec = session.get(R, rec_id) if valid_id(session, rec_id) else None
    if rec is None:
        return None
    rows = worklist(
        session,
        Filters(),
        as_of=datetime.max.replace(tzinfo=UTC),
        grace=grace,
        limit=None,
        lead=lead,
        only=rec_id,
        tz=tz,
    )
    status = session.scalar(select(status_column(as_of, grace, lead, tz)).where(R.id == rec_id))
    row = rows[0].model_copy(update={"status": status or "not yet reported"})
    if row.status != "completed":
        row = row.model_copy(update={"completed_by": None, "completed_at": None, "early": None})
    if row.status != "closed":
        row = row.model_copy(update={"closed_at": None, "closed_by": None, "closed_reason": None})
    study = rec.study
    completion = session.scalar(select(Completion).where(Completion.recommendation_id == rec_id))
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
    candidates = [
        {
            "accession": c.study.accession,
            "procedure": c.study.procedure,
            "study_date": c.study.observed_at.astimezone(tz).date().isoformat(),
            "strength": c.strength,
            "early": c.early,
            "reason": c.reason,
        }
        for c in session.scalars(
            select(MatchCandidate)
            .where(MatchCandidate.recommendation_id == rec_id)
            .order_by(MatchCandidate.found_at, MatchCandidate.id)
        )
    ]
    actions = session.scalars(
        select(ReviewAction)
        .where(ReviewAction.recommendation_id == rec_id)
        .order_by(ReviewAction.id)  # the order they were written: append-only
    )
    audit = [
        {
            "at": a.at.isoformat(),
            "clinical_at": _iso(a.clinical_at),
            "actor": a.actor,
            "action": a.action,
            "reason": a.reason,
        }
        for a in actions
    ]
    return Detail(
        row=row,
        context=context,
        finding=finding,
        completion_reason=completion.reason if completion else None,
        candidates=candidates,
        audit=audit,
    )


#: ``tracker stats --by`` dimensions and the value each groups on.
STATS_DIMENSIONS = (
    "month",
    "radiologist",
    "provider",
    "site",
    "department",
    "patient_class",
    "modality",
    "finding",
    "region",
    "sex",
    "age_band",
    "postal_prefix",
)
#: Dimensions whose small groups are suppressed (``suppress_below``): they could
#: point at a patient.
SUPPRESSED_DIMENSIONS = frozenset({"postal_prefix"})
#: The value a suppressed group's rows are pooled under.
SUPPRESSED = "other (small groups)"
#: Closed reasons that count as adherent, and as non-compliant (docs/tracker.md).
ADHERENT_CLOSED = frozenset({"done elsewhere"})
NON_COMPLIANT_CLOSED = frozenset({"patient declined", "lost to follow-up"})


class StatsRow(BaseModel):
    """Counts and rates of one group (definitions: docs/tracker.md, "Statistics").

    ``adherence`` = adherent / (adherent + overdue + coming_due + non_compliant);
    ``closed_loop_rate`` = (adherent + scheduled) / mature; None when the
    denominator is 0. ``group`` "manual_only" rows count the recommendations no
    study can complete (consult, lab, procedure, other), kept out of the rates.
    """

    group: str
    value: str
    recommendations: int
    open: int
    coming_due: int
    due: int
    scheduled: int
    overdue: int
    needs_review: int
    completed: int
    adherent: int
    non_compliant: int
    closed_other: int
    mature: int
    adherence: float | None
    closed_loop_rate: float | None
    median_days_to_completion: float | None


def stats(
    session: Session,
    filters: Filters,
    *,
    as_of: datetime,
    grace: timedelta,
    by: tuple[str, ...] = ("finding", "modality"),
    lead: timedelta = DEFAULT_LEAD,
    manual_only: frozenset[str] = frozenset({"CONSULT", "LAB", "PROCEDURE", "OTHER"}),
    tz: tzinfo = UTC,
    age_bands: tuple[int, ...] = (18, 40, 65, 75),
    suppress_below: int = 11,
    postal_prefix: int = 3,
    stored: bool = False,
) -> list[StatsRow]:
    """Counts and rates overall ("all") and per value of each ``by`` dimension.

    Superseded recommendations are left out. Adherent: completed, or closed as
    done elsewhere. Non-compliant: closed as patient declined or lost to
    follow-up. Other closed reasons (not indicated, deceased, care transferred)
    count in ``closed_other`` only. Mature: adherent, non-compliant, or pending
    with its window opened by ``as_of``. ``month``: the report's month in ``tz``.
    ``age_band``: the patient's age at the study in bands starting at each of
    ``age_bands`` (years); ``postal_prefix``: the first ``postal_prefix``
    characters of the patient's postal code (PID-11), where a value with fewer
    than ``suppress_below`` recommendations is pooled with the other small ones
    under SUPPRESSED, and that pool is left out too when it is itself that small.
    ``stored``: read the stored statuses (radfollow.tracker.statuses, brought up
    to ``as_of`` by the caller) instead of computing them.
    Raises ValueError for an unknown dimension.
    """
    unknown = [d for d in by if d not in STATS_DIMENSIONS]
    if unknown:
        raise ValueError(f"unknown stats dimension {unknown[0]!r}")
    status = (R.status if stored else status_column(as_of, grace, lead, tz)).label("status")
    finished = func.coalesce(R.completed_at, R.reported_at)
    columns = [
        status,
        R.reported_at,
        finished,
        R.due_start,
        R.closed_reason,
        R.modality,
        R.finding_type,
        func.coalesce(R.body_region, Study.body_region),
        Study.interpreter,
        Study.ordering_provider,
        Study.facility,
        Study.department,
        Study.patient_class,
        Patient.sex,
        Patient.birth_date,
        Patient.postal_code,
        Study.observed_at,
    ]
    groups: dict[tuple[str, str], Tally] = defaultdict(Tally)
    for row in session.execute(_query(columns, filters, as_of, grace, lead, tz, stored=stored)):
        st, reported, done, due_start, reason, modality = row[:6]
        if st == "superseded":
            continue
        values = {
            "month": reported.astimezone(tz).strftime("%Y-%m"),
            "modality": modality or "unspecified",
            "finding": row[6] or "unlinked",
            "region": row[7] or "unknown",
            "radiologist": row[8] or "unknown",
            "provider": row[9] or "unknown",
            "site": row[10] or "unknown",
            "department": row[11] or "unknown",
            "patient_class": row[12] or "unknown",
            "sex": sex_word(row[13]),
            "age_band": age_band(row[14], row[16].astimezone(tz).date(), age_bands),
            "postal_prefix": postal_prefix_of(row[15], postal_prefix),
        }
        category = _category(st, reason)
        waited = (done - reported).total_seconds() / 86400 if st == "completed" else None
        opened = due_start <= as_of
        keys = [("all", "all")] + [(d, values[d]) for d in by]
        if modality in manual_only:
            keys = [("manual_only", "all")]
        for key in keys:
            groups[key].add(category, waited, opened)
    return stats_rows(groups, by, suppress_below)


def stats_rows(
    groups: dict[tuple[str, str], Tally], by: tuple[str, ...], suppress_below: int
) -> list[StatsRow]:
    """The rows of ``stats`` from the tallies of its groups (``(group, value)``):
    small postal groups pooled, in the order ``stats`` gives."""
    _suppress(groups, suppress_below)
    return [_stats_row(g, v, tally) for (g, v), tally in sorted(groups.items(), key=_order(by))]


def sex_word(value: str | None) -> str:
    """PID-8 (HL7 table 0001) as a word."""
    return {"F": "female", "M": "male", "O": "other", "A": "other", "N": "other"}.get(
        (value or "").upper(), "unknown"
    )


def age_band(born: date | None, on: date, bands: tuple[int, ...]) -> str:
    """The band of the age in whole years on ``on``: "40-64", "75+", "0-17"; "unknown"
    without a birth date or for a birth date after ``on``."""
    if born is None or born > on:
        return "unknown"
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return band_label(age, bands)


def band_label(age: int, bands: tuple[int, ...]) -> str:
    """The band of ``age`` (whole years; negative: "unknown") among bands starting at
    0 and at each of ``bands``."""
    if age < 0:
        return "unknown"
    lows = [0, *sorted(b for b in bands if b > 0)]
    i = bisect_right(lows, age) - 1
    return f"{lows[i]}+" if i == len(lows) - 1 else f"{lows[i]}-{lows[i + 1] - 1}"


def postal_prefix_of(postal_code: str | None, length: int) -> str:
    """The first ``length`` characters of a postal code (spaces dropped, upper case);
    "unknown" when it is shorter."""
    code = "".join((postal_code or "").split()).upper()
    return code[:length] if len(code) >= length else "unknown"


def _suppress(groups: dict[tuple[str, str], Tally], below: int) -> None:
    for dimension in SUPPRESSED_DIMENSIONS:
        small = [k for k, t in groups.items() if k[0] == dimension and t.recommendations < below]
        pooled = Tally()
        for key in small:
            pooled.merge(groups.pop(key))
        if pooled.recommendations >= below:
            groups[(dimension, SUPPRESSED)] = pooled


AGEING_BUCKETS = ((0, 30), (31, 90), (91, 180), (181, None))


def ageing_buckets() -> list[tuple[str, int, int | None]]:
    """(label, first day, last day or None) of each overdue-ageing bucket."""
    return [
        (f"{low}-{high}" if high is not None else f">{low - 1}", low, high)
        for low, high in AGEING_BUCKETS
    ]


class Overview(BaseModel):
    """The dashboard's headline figures for the filters at ``as_of``.

    ``by_status``: recommendations per status (every status, 0 when none).
    ``overdue_ageing``: overdue recommendations by whole days past their window end
    (0-30, 31-90, 91-180, >180). ``complete``: recommendations (superseded left
    out) that name a modality and an interval; ``completeness`` = complete / total.
    """

    by_status: dict[str, int]
    overdue_ageing: dict[str, int]
    total: int
    complete: int
    completeness: float | None

    @classmethod
    def of(
        cls, by_status: dict[str, int], ageing: dict[str, int], total: int, complete: int
    ) -> Overview:
        """The overview of these counts (``completeness`` rounded to 4 places)."""
        return cls(
            by_status=by_status,
            overdue_ageing=ageing,
            total=total,
            complete=complete,
            completeness=round(complete / total, 4) if total else None,
        )


def status_counts(
    session: Session,
    filters: Filters,
    *,
    as_of: datetime,
    grace: timedelta,
    lead: timedelta = DEFAULT_LEAD,
    tz: tzinfo = UTC,
    stored: bool = False,
) -> dict[str, int]:
    """Recommendations per status (every status in STATUSES, 0 when none); the
    filters' own ``statuses`` are ignored, so a page can show every count."""
    everyone = filters.model_copy(update={"statuses": []})
    # stored: grouped on an expression, so SQLite's planner is free to take the
    # index of another filter (a period, a site) rather than the status index's order
    narrowed = bool(everyone.model_dump(exclude_defaults=True))
    status: Any
    if stored:
        status = func.coalesce(R.status, "") if narrowed else R.status
    else:
        status = status_column(as_of, grace, lead, tz)
    query = _query(
        [status, func.count(R.id)], everyone, as_of, grace, lead, tz, joins=False, stored=stored
    )
    found = dict(session.execute(query.group_by(status)).tuples().all())
    return {s: int(found.get(s, 0)) for s in STATUSES}


def overview(
    session: Session,
    filters: Filters,
    *,
    as_of: datetime,
    grace: timedelta,
    lead: timedelta = DEFAULT_LEAD,
    tz: tzinfo = UTC,
    stored: bool = False,
) -> Overview:
    """Status counts, overdue ageing and completeness of the filtered recommendations."""
    by_status = status_counts(
        session, filters, as_of=as_of, grace=grace, lead=lead, tz=tz, stored=stored
    )
    overdue = filters.model_copy(update={"statuses": ["overdue"]})
    days = [
        (as_of - due_end).days
        for due_end in session.scalars(
            _query([R.due_end], overdue, as_of, grace, lead, tz, joins=False, stored=stored)
        )
    ]
    ageing = {
        label: sum(low <= d and (high is None or d <= high) for d in days)
        for label, low, high in ageing_buckets()
    }
    live = filters.model_copy(update={"statuses": [s for s in STATUSES if s != "superseded"]})
    named = and_(R.modality.is_not(None), R.interval_min.is_not(None))
    total, complete = session.execute(
        _query(
            [func.count(R.id), func.count(case((named, R.id)))],
            live,
            as_of,
            grace,
            lead,
            tz,
            joins=False,
            stored=stored,
        )
    ).one()
    return Overview.of(by_status, ageing, int(total or 0), int(complete or 0))


def _category(status: str, reason: str | None) -> str:
    if status == "completed" or (status == "closed" and reason in ADHERENT_CLOSED):
        return "adherent"
    if status == "closed":
        return "non_compliant" if reason in NON_COMPLIANT_CLOSED else "closed_other"
    return status


def _order(by: tuple[str, ...]) -> Any:
    rank = {"all": 0, **{d: i + 1 for i, d in enumerate(by)}, "manual_only": len(by) + 1}

    def key(item: tuple[tuple[str, str], Any]) -> tuple[int, str]:
        (group, value), _ = item
        return (rank[group], value)

    return key


#: The categories a recommendation counts in (``_category``), in StatsRow's order.
CATEGORIES = (*STATUSES[:6], "adherent", "non_compliant", "closed_other")


@dataclass
class Tally:
    """What ``stats`` adds up for one group: recommendations per category, the mature
    ones (adherent, non-compliant, or pending with the window opened), the
    mature scheduled ones, and the days from report to completion of each
    completed one (chunks of an array each, joined for the median)."""

    recommendations: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))
    mature: int = 0
    scheduled_mature: int = 0
    #: Floats (one recommendation each) or float64 arrays (radfollow.tracker.facts).
    waits: list[Any] = field(default_factory=list)
    #: ``waits`` is one array in ascending order (its median is read, not computed).
    ascending: bool = False

    def add(self, category: str, waited: float | None, opened: bool) -> None:
        """One recommendation: its category, days to completion (None: not completed)
        and whether its window has opened."""
        self.recommendations += 1
        self.counts[category] = self.counts.get(category, 0) + 1
        if waited is not None:
            self.waits.append(waited)
            self.ascending = False
        if category in ("adherent", "non_compliant") or (category != "closed_other" and opened):
            self.mature += 1
            self.scheduled_mature += category == "scheduled"

    def merge(self, other: Tally) -> None:
        self.ascending = False
        self.recommendations += other.recommendations
        for category, n in other.counts.items():
            self.counts[category] += n
        self.mature += other.mature
        self.scheduled_mature += other.scheduled_mature
        self.waits.extend(other.waits)

    def median_wait(self) -> float | None:
        """The median of the days to completion (the mean of the two middle ones for an
        even count), rounded to 0.1; None without a completed recommendation."""
        if self.ascending and len(self.waits) == 1:
            ordered = self.waits[0]
            middle = ordered.size // 2
            value = (
                ordered[middle] if ordered.size % 2 else (ordered[middle - 1] + ordered[middle]) / 2
            )
            return round(float(value), 1)
        single = [w for w in self.waits if not isinstance(w, np.ndarray)]
        chunks = [w for w in self.waits if isinstance(w, np.ndarray)]
        waits = np.concatenate([np.asarray(single, dtype=np.float64), *chunks])
        return round(float(np.median(waits)), 1) if waits.size else None

    @property
    def completed(self) -> int:
        return sum(w.size if isinstance(w, np.ndarray) else 1 for w in self.waits)


def _stats_row(group: str, value: str, tally: Tally) -> StatsRow:
    counts = tally.counts
    adherence_base = sum(counts[c] for c in ("adherent", "overdue", "coming_due", "non_compliant"))
    mature = tally.mature
    return StatsRow(
        group=group,
        value=value,
        recommendations=tally.recommendations,
        open=counts["open"],
        coming_due=counts["coming_due"],
        due=counts["due"],
        scheduled=counts["scheduled"],
        overdue=counts["overdue"],
        needs_review=counts["needs_review"],
        completed=tally.completed,
        adherent=counts["adherent"],
        non_compliant=counts["non_compliant"],
        closed_other=counts["closed_other"],
        mature=mature,
        adherence=round(counts["adherent"] / adherence_base, 4) if adherence_base else None,
        closed_loop_rate=(
            round((counts["adherent"] + tally.scheduled_mature) / mature, 4) if mature else None
        ),
        median_days_to_completion=tally.median_wait(),
    )


class ReportText(BaseModel):
    """The whole report of one recommendation, for its detail page only: the text
    and the character offsets (start, end) of the recommendation and its finding."""

    text: str
    recommendation: tuple[int, int]
    finding: tuple[int, int] | None


def report_of(session: Session, rec_id: int) -> ReportText | None:
    rec = session.get(R, rec_id) if valid_id(session, rec_id) else None
    if rec is None:
        return None
    finding = (rec.finding.start, rec.finding.end) if rec.finding is not None else None
    return ReportText(
        text=rec.study.report_text, recommendation=(rec.start, rec.end), finding=finding
    )
