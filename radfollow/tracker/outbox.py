"""The notification outbox (issue 17, migration 0013; docs/notifications.md).

The transactional-outbox pattern: a notification is written as an ``outbox``
row in the same transaction as the change that causes it, then delivered by a
sender that claims rows with a lease, so no change is committed without its
notification and no notification is sent for a change that rolled back.

* ``uncommunicated_critical`` and ``needs_review`` are written by ingest and
  matching, in their transaction (:func:`enqueue`);
* ``coming_due`` and ``overdue`` (and overdue reminders every N days up to a
  limit) come from the stored statuses: :func:`plan_due_events` refreshes them
  (radfollow.tracker.statuses) and writes the events of every recommendation
  in those statuses, in one transaction.

Each event has an idempotency ``key`` (event, subject, sequence): writing it
again does nothing, so a retried transaction, a restarted sender or two
planners never make two. Deliveries (one per event and channel) are planned by
:func:`plan_deliveries`, claimed by :func:`claim` (``FOR UPDATE SKIP LOCKED``
on PostgreSQL; SQLite's write lock), and settled by :func:`settle`: delivered,
or failed and retried after an exponential backoff, or failed for good after
the last attempt. A sender killed mid-delivery leaves rows ``sending`` with a
lease; after the lease they are claimed again and sent with the same key, which
the receiver uses to drop the repeat.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from pydantic import BaseModel
from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from radfollow.tracker.schema import (
    CriticalFinding,
    OutboxDelivery,
    OutboxEvent,
    Recommendation,
    Study,
)
from radfollow.tracker.statuses import refresh

#: The events the outbox knows, in the order a status page lists them.
EVENTS = ("uncommunicated_critical", "needs_review", "overdue", "coming_due")
PENDING, SENDING, DELIVERED, FAILED = "pending", "sending", "delivered", "failed"
#: An event that no longer held when its turn came (the follow-up was done, the report
#: corrected to document the call, or cancelled): not sent.
WITHDRAWN = "withdrawn"


def event_key(event: str, subject: str, subject_id: int | str, sequence: int = 1) -> str:
    """The idempotency key of one event: ``overdue:recommendation:12:2``."""
    return f"{event}:{subject}:{subject_id}:{sequence}"


def accession_subject(patient_id: int, accession: str) -> str:
    """The subject of an accession's events: every version of a report shares it, so a
    corrected report does not notify again (``uncommunicated_critical``)."""
    return f"{patient_id}/{accession}"[:150]


def enqueue(
    session: Session,
    event: str,
    *,
    observed_at: datetime | None = None,
    recommendation_id: int | None = None,
    study_id: int | None = None,
    accession: str | None = None,
    recipient: str | None = None,
    sequence: int = 1,
) -> None:
    """Write one event in the caller's transaction; nothing when its key exists.

    The event's subject is the recommendation, else the accession (``accession``:
    :func:`accession_subject`), else the study. ``created_at`` is the time it is
    written (now); ``observed_at`` the clinical time it is about (the exam), which
    lets the planner leave out events about old exams (a backfill).
    """
    if recommendation_id is not None:
        key = event_key(event, "recommendation", recommendation_id, sequence)
    elif accession is not None:
        key = event_key(event, "accession", accession, sequence)
    elif study_id is not None:
        key = event_key(event, "study", study_id, sequence)
    else:
        raise ValueError("an outbox event needs a recommendation, an accession or a study")
    row = {
        "key": key,
        "event": event,
        "recommendation_id": recommendation_id,
        "study_id": study_id,
        "sequence": sequence,
        "recipient": recipient,
        "created_at": datetime.now(UTC),
        "observed_at": observed_at,
    }
    _insert_ignore(session, OutboxEvent, [row], ["key"])


def _insert_ignore(
    session: Session,
    table: type[OutboxEvent] | type[OutboxDelivery],
    rows: list[dict],
    keys: list[str],
) -> None:
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(table).values(rows).on_conflict_do_nothing(index_elements=keys))


@dataclass(frozen=True)
class Schedule:
    """When coming-due and overdue events are written (rules/notify.json ``schedule``)."""

    coming_due: bool = True
    overdue: bool = True
    reminder_every: timedelta = timedelta(days=7)
    reminder_limit: int = 3
    #: Only recommendations due at most this long ago are notified as overdue, so a
    #: backfill of old reports does not send years of notices.
    overdue_horizon: timedelta = timedelta(days=180)


def plan_due_events(
    session: Session,
    *,
    as_of: datetime,
    grace: timedelta,
    lead: timedelta,
    tz: tzinfo,
    schedule: Schedule,
) -> int:
    """Refresh the stored statuses to ``as_of`` and write the coming-due, overdue and
    reminder events they call for, in the caller's transaction. Returns the number
    of events written. Only recommendations without the event are written (an
    anti-join, not a conflict per row: a pass over 10,000 overdue recommendations
    writes nothing and uses no id). Nothing when ``as_of`` is before the last
    refresh (another process's clock is ahead): its statuses are not ``as_of``'s."""
    if refresh(session, as_of=as_of, grace=grace, lead=lead, tz=tz) is None:
        return 0
    written = 0
    for status, wanted in (("coming_due", schedule.coming_due), ("overdue", schedule.overdue)):
        if not wanted:
            continue
        known = exists().where(
            OutboxEvent.recommendation_id == Recommendation.id, OutboxEvent.event == status
        )
        query = select(Recommendation.id, Recommendation.ordering_provider).where(
            Recommendation.status == status, ~known
        )
        if status == "overdue":
            query = query.where(Recommendation.due_end >= as_of - schedule.overdue_horizon)
        rows = [
            _status_event(status, rec_id, provider, 1, as_of)
            for rec_id, provider in session.execute(query).all()
        ]
        for k in range(0, len(rows), 500):
            _insert_ignore(session, OutboxEvent, rows[k : k + 500], ["key"])
        written += len(rows)
    if schedule.overdue and schedule.reminder_limit > 1:
        written += _plan_reminders(session, as_of, schedule)
    return written


def _status_event(
    event: str, rec_id: int, provider: str | None, sequence: int, at: datetime
) -> dict[str, object]:
    """The outbox row of a recommendation's status event (coming due, overdue)."""
    return {
        "key": event_key(event, "recommendation", rec_id, sequence),
        "event": event,
        "recommendation_id": rec_id,
        "study_id": None,
        "sequence": sequence,
        "recipient": provider,
        "created_at": at,
        "observed_at": None,
    }


def _plan_reminders(session: Session, as_of: datetime, schedule: Schedule) -> int:
    """A reminder for each still-overdue recommendation whose last overdue event is
    ``reminder_every`` old, up to ``reminder_limit`` events in all."""
    latest = (
        select(
            OutboxEvent.recommendation_id,
            func.max(OutboxEvent.sequence).label("sequence"),
            func.max(OutboxEvent.created_at).label("last"),
        )
        .where(OutboxEvent.event == "overdue")
        .group_by(OutboxEvent.recommendation_id)
        .subquery()
    )
    due = session.execute(
        select(Recommendation.id, Recommendation.ordering_provider, latest.c.sequence)
        .join(latest, latest.c.recommendation_id == Recommendation.id)
        .where(
            Recommendation.status == "overdue",
            latest.c.sequence < schedule.reminder_limit,
            latest.c.last <= as_of - schedule.reminder_every,
        )
    ).all()
    rows = [
        _status_event("overdue", rec_id, provider, sequence + 1, as_of)
        for rec_id, provider, sequence in due
    ]
    _insert_ignore(session, OutboxEvent, rows, ["key"])
    return len(rows)


def plan_deliveries(
    session: Session,
    channels: Mapping[str, Iterable[str]],
    *,
    now: datetime,
    since: timedelta,
    horizon: timedelta = timedelta(days=30),
) -> int:
    """A pending delivery per channel for each event of the channel's kinds written
    in the last ``since``, about an exam of the last ``horizon`` (when it is about
    an exam), and not yet planned for it: a channel added later, or a backfill of
    old reports, does not flood its receiver with history. Returns the number
    planned."""
    planned = 0
    for channel, events in channels.items():
        kinds = sorted(set(events))
        if not kinds:
            continue
        has = exists().where(
            OutboxDelivery.event_id == OutboxEvent.id, OutboxDelivery.channel == channel
        )
        ids = list(
            session.scalars(
                select(OutboxEvent.id).where(
                    OutboxEvent.event.in_(kinds),
                    OutboxEvent.created_at >= now - since,
                    or_(
                        OutboxEvent.observed_at.is_(None), OutboxEvent.observed_at >= now - horizon
                    ),
                    ~has,
                )
            )
        )
        rows = [
            {
                "event_id": i,
                "channel": channel,
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": now,
            }
            for i in ids
        ]
        for k in range(0, len(rows), 500):
            _insert_ignore(session, OutboxDelivery, rows[k : k + 500], ["event_id", "channel"])
        planned += len(rows)
    return planned


@dataclass(frozen=True)
class Claimed:
    """A claimed delivery with its event's fields; ``token`` fences the claim."""

    delivery_id: int
    token: str
    channel: str
    attempts: int
    key: str
    event: str
    sequence: int
    recommendation_id: int | None
    study_id: int | None
    recipient: str | None
    created_at: datetime


@dataclass(frozen=True)
class Backoff:
    """Retry policy: the n-th failed attempt waits ``base * 2**(n-1)``, at most
    ``longest``; after ``attempts`` attempts the delivery fails for good."""

    attempts: int = 8
    base: timedelta = timedelta(seconds=30)
    longest: timedelta = timedelta(hours=1)

    def delay(self, attempt: int) -> timedelta:
        # the exponent is capped first: 2**40 base periods exceed any ``longest``
        return min(self.longest, self.base * (2 ** min(max(0, attempt - 1), 40)))


def claim(
    session: Session,
    *,
    worker: str,
    channels: Iterable[str],
    now: datetime,
    lease: timedelta,
    backoff: Backoff = Backoff(),
    limit: int = 100,
) -> list[Claimed]:
    """Claim up to ``limit`` due deliveries of ``channels`` (pending and due, or
    sending with an expired lease: a sender that died) for ``worker``, each under a
    fresh token; in the caller's transaction, which should commit at once. Rows of
    other channels are left alone (another sender's, or a channel disabled for a
    while). A row whose lease expired after its last attempt fails instead."""
    names = sorted(set(channels))
    if not names:
        return []
    expired = and_(OutboxDelivery.status == SENDING, OutboxDelivery.lease_until < now)
    session.execute(
        update(OutboxDelivery)
        .where(
            OutboxDelivery.channel.in_(names), expired, OutboxDelivery.attempts >= backoff.attempts
        )
        .values(status=FAILED, lease_until=None, last_error="lease expired on the last attempt")
        .execution_options(synchronize_session=False)
    )
    due = or_(
        and_(OutboxDelivery.status == PENDING, OutboxDelivery.next_attempt_at <= now), expired
    )
    query = (
        select(OutboxDelivery.id)
        .where(OutboxDelivery.channel.in_(names), due)
        .order_by(OutboxDelivery.next_attempt_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(session.scalars(query))
    if not ids:
        return []
    token = f"{worker[:40]}:{uuid.uuid4().hex[:12]}"
    session.execute(
        update(OutboxDelivery)
        .where(OutboxDelivery.id.in_(ids))
        .values(
            status=SENDING,
            claimed_by=token,
            lease_until=now + lease,
            attempts=OutboxDelivery.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    rows = session.execute(
        select(OutboxDelivery, OutboxEvent)
        .join(OutboxEvent, OutboxDelivery.event_id == OutboxEvent.id)
        .where(OutboxDelivery.id.in_(ids))
        .order_by(OutboxDelivery.id)
    ).all()
    return [
        Claimed(
            delivery_id=d.id,
            token=token,
            channel=d.channel,
            attempts=d.attempts,
            key=e.key,
            event=e.event,
            sequence=e.sequence,
            recommendation_id=e.recommendation_id,
            study_id=e.study_id,
            recipient=e.recipient,
            created_at=e.created_at,
        )
        for d, e in rows
    ]


def still_claimed(session: Session, claimed: Claimed, now: datetime) -> bool:
    """The claim is still this token's and its lease has not run out: checked right
    before sending, so a sender slower than its lease does not send a row another
    sender has taken over."""
    row = session.get(OutboxDelivery, claimed.delivery_id)
    return (
        row is not None
        and row.status == SENDING
        and row.claimed_by == claimed.token
        and row.lease_until is not None
        and row.lease_until > now
    )


def still_wanted(session: Session, claimed: Claimed) -> bool:
    """The event still holds when it is about to be sent: the recommendation is still
    coming due, overdue or in review; the accession's current report (its newest
    version, not cancelled) still has a critical result without documented
    communication. A stale event is withdrawn, not sent."""
    if claimed.recommendation_id is not None:
        rec = session.get(Recommendation, claimed.recommendation_id)
        if rec is None:
            return False
        if rec.completed_at or rec.closed_at or rec.superseded_at:
            return False
        if claimed.event == "needs_review":
            return rec.needs_review_at is not None
        if rec.status is None:  # changed since the pass's refresh: not known to be stale
            return True
        if claimed.event == "coming_due":
            return rec.status in ("coming_due", "due", "overdue")
        return rec.status == claimed.event
    study = session.get(Study, claimed.study_id) if claimed.study_id is not None else None
    if study is None:
        return False
    current = session.scalar(
        select(Study)
        .where(Study.patient_id == study.patient_id, Study.accession == study.accession)
        .order_by(Study.id.desc())
        .limit(1)
    )
    if current is None or current.result_status == "X":
        return False
    open_critical = select(CriticalFinding.id).where(
        CriticalFinding.study_id == current.id, CriticalFinding.communicated.is_(False)
    )
    return session.scalar(open_critical.limit(1)) is not None


def settle(
    session: Session,
    claimed: Claimed,
    *,
    now: datetime,
    error: str | None = None,
    permanent: bool = False,
    withdrawn: bool = False,
    backoff: Backoff = Backoff(),
) -> str:
    """Record one attempt's outcome: delivered (``error`` None), withdrawn (the event
    no longer holds), retried later, or failed for good (``permanent``, or the last
    attempt). Only the claim's own token settles it: a claim taken over after its
    lease expired is not. Returns the new status, or "" when the claim was lost."""
    row = session.get(OutboxDelivery, claimed.delivery_id, with_for_update=True)
    if row is None or row.status != SENDING or row.claimed_by != claimed.token:
        return ""
    if withdrawn:
        row.status, row.last_error = (
            WITHDRAWN,
            "no longer holds (completed, corrected or cancelled)",
        )
    elif error is None:
        row.status, row.delivered_at, row.last_error = DELIVERED, now, None
    elif permanent or row.attempts >= backoff.attempts:
        row.status, row.last_error = FAILED, error[:255]
    else:
        row.status, row.last_error = PENDING, error[:255]
        row.next_attempt_at = now + backoff.delay(row.attempts)
    row.lease_until = None
    return row.status


def retry_failed(session: Session, *, now: datetime, channel: str | None = None) -> int:
    """Failed deliveries (of ``channel``, or all) back to pending with a fresh count of
    attempts, after a person fixed the cause (a token, a receiver). Returns how many."""
    statement = update(OutboxDelivery).where(OutboxDelivery.status == FAILED)
    if channel is not None:
        statement = statement.where(OutboxDelivery.channel == channel)
    result = session.execute(
        statement.values(
            status=PENDING, attempts=0, next_attempt_at=now, claimed_by=None
        ).execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


class DeliveryCount(BaseModel):
    """Deliveries of one channel in one status."""

    channel: str
    status: str
    count: int


def delivery_counts(session: Session) -> list[DeliveryCount]:
    """Deliveries per channel and status, for ``radfollow notify status`` and the app."""
    rows = session.execute(
        select(OutboxDelivery.channel, OutboxDelivery.status, func.count())
        .group_by(OutboxDelivery.channel, OutboxDelivery.status)
        .order_by(OutboxDelivery.channel, OutboxDelivery.status)
    ).all()
    return [DeliveryCount(channel=c, status=s, count=n) for c, s, n in rows]


class DeliveryRow(BaseModel):
    """One delivery as listed (no identifiers beyond the outbox's own)."""

    id: int
    channel: str
    status: str
    attempts: int
    event: str
    key: str
    created_at: str
    next_attempt_at: str | None
    delivered_at: str | None
    last_error: str | None


def recent_deliveries(
    session: Session, *, status: str | None = None, limit: int = 100, offset: int = 0
) -> list[DeliveryRow]:
    """Deliveries, newest event first (``status``: only those)."""
    query = select(OutboxDelivery, OutboxEvent).join(
        OutboxEvent, OutboxDelivery.event_id == OutboxEvent.id
    )
    if status is not None:
        query = query.where(OutboxDelivery.status == status)
    query = query.order_by(OutboxEvent.created_at.desc(), OutboxDelivery.id.desc())
    rows = session.execute(query.limit(limit).offset(offset)).all()
    return [
        DeliveryRow(
            id=d.id,
            channel=d.channel,
            status=d.status,
            attempts=d.attempts,
            event=e.event,
            key=e.key,
            created_at=e.created_at.isoformat(),
            next_attempt_at=d.next_attempt_at.isoformat() if d.status == PENDING else None,
            delivered_at=d.delivered_at.isoformat() if d.delivered_at else None,
            last_error=d.last_error,
        )
        for d, e in rows
    ]
