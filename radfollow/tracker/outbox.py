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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from pydantic import BaseModel
from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from radfollow.tracker.schema import OutboxDelivery, OutboxEvent, Recommendation
from radfollow.tracker.statuses import refresh

#: The events the outbox knows, in the order a status page lists them.
EVENTS = ("uncommunicated_critical", "needs_review", "overdue", "coming_due")
PENDING, SENDING, DELIVERED, FAILED = "pending", "sending", "delivered", "failed"


def event_key(event: str, subject: str, subject_id: int, sequence: int = 1) -> str:
    """The idempotency key of one event: ``overdue:recommendation:12:2``."""
    return f"{event}:{subject}:{subject_id}:{sequence}"


def enqueue(
    session: Session,
    event: str,
    *,
    at: datetime,
    recommendation_id: int | None = None,
    study_id: int | None = None,
    recipient: str | None = None,
    sequence: int = 1,
) -> None:
    """Write one event in the caller's transaction; nothing when its key exists."""
    subject, subject_id = (
        ("recommendation", recommendation_id)
        if recommendation_id is not None
        else ("study", study_id)
    )
    if subject_id is None:
        raise ValueError("an outbox event needs a recommendation or a study")
    row = {
        "key": event_key(event, subject, subject_id, sequence),
        "event": event,
        "recommendation_id": recommendation_id,
        "study_id": study_id,
        "sequence": sequence,
        "recipient": recipient,
        "created_at": at,
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
    of events written (existing keys are not counted)."""
    refresh(session, as_of=as_of, grace=grace, lead=lead, tz=tz)
    before = session.scalar(select(func.count(OutboxEvent.id))) or 0
    for status, wanted in (("coming_due", schedule.coming_due), ("overdue", schedule.overdue)):
        if not wanted:
            continue
        query = select(Recommendation.id, Recommendation.ordering_provider).where(
            Recommendation.status == status
        )
        if status == "overdue":
            query = query.where(Recommendation.due_end >= as_of - schedule.overdue_horizon)
        recs = session.execute(query).all()
        rows = [
            {
                "key": event_key(status, "recommendation", rec_id),
                "event": status,
                "recommendation_id": rec_id,
                "study_id": None,
                "sequence": 1,
                "recipient": provider,
                "created_at": as_of,
            }
            for rec_id, provider in recs
        ]
        for k in range(0, len(rows), 500):
            _insert_ignore(session, OutboxEvent, rows[k : k + 500], ["key"])
    if schedule.overdue and schedule.reminder_limit > 1:
        _plan_reminders(session, as_of, schedule)
    after = session.scalar(select(func.count(OutboxEvent.id))) or 0
    return after - before


def _plan_reminders(session: Session, as_of: datetime, schedule: Schedule) -> None:
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
    for rec_id, provider, sequence in due:
        enqueue(
            session,
            "overdue",
            at=as_of,
            recommendation_id=rec_id,
            recipient=provider,
            sequence=sequence + 1,
        )


def plan_deliveries(
    session: Session, channels: Mapping[str, Iterable[str]], *, now: datetime, since: timedelta
) -> int:
    """A pending delivery per channel for each event of the channel's kinds written
    in the last ``since`` and not yet planned for it (a channel added later does not
    flood its receiver with history). Returns the number planned."""
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
                    OutboxEvent.event.in_(kinds), OutboxEvent.created_at >= now - since, ~has
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
    """A claimed delivery with its event's fields."""

    delivery_id: int
    channel: str
    attempts: int
    key: str
    event: str
    sequence: int
    recommendation_id: int | None
    study_id: int | None
    recipient: str | None
    created_at: datetime


def claim(
    session: Session, *, worker: str, now: datetime, lease: timedelta, limit: int = 100
) -> list[Claimed]:
    """Claim up to ``limit`` deliveries that are due (pending and due, or sending
    with an expired lease: a sender that died) for ``worker``; in the caller's
    transaction, which should commit at once."""
    due = or_(
        and_(OutboxDelivery.status == PENDING, OutboxDelivery.next_attempt_at <= now),
        and_(OutboxDelivery.status == SENDING, OutboxDelivery.lease_until < now),
    )
    query = select(OutboxDelivery.id).where(due).order_by(OutboxDelivery.next_attempt_at)
    query = query.limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(session.scalars(query))
    if not ids:
        return []
    session.execute(
        update(OutboxDelivery)
        .where(OutboxDelivery.id.in_(ids))
        .values(
            status=SENDING,
            claimed_by=worker[:64],
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


@dataclass(frozen=True)
class Backoff:
    """Retry policy: the n-th failed attempt waits ``base * 2**(n-1)``, at most
    ``longest``; after ``attempts`` attempts the delivery fails for good."""

    attempts: int = 8
    base: timedelta = timedelta(seconds=30)
    longest: timedelta = timedelta(hours=1)

    def delay(self, attempt: int) -> timedelta:
        return min(self.longest, self.base * (2 ** max(0, attempt - 1)))


def settle(
    session: Session,
    delivery_id: int,
    *,
    worker: str,
    now: datetime,
    error: str | None = None,
    permanent: bool = False,
    backoff: Backoff = Backoff(),
) -> str:
    """Record one attempt's outcome: delivered (``error`` None), retried later, or
    failed for good (``permanent``, or the last attempt). Only the claiming worker's
    live claim is settled: a claim taken over after its lease expired is not.
    Returns the new status, or "" when the claim was no longer this worker's."""
    row = session.get(OutboxDelivery, delivery_id, with_for_update=True)
    if row is None or row.status != SENDING or row.claimed_by != worker[:64]:
        return ""
    if error is None:
        row.status, row.delivered_at, row.last_error = DELIVERED, now, None
    elif permanent or row.attempts >= backoff.attempts:
        row.status, row.last_error = FAILED, error[:255]
    else:
        row.status, row.last_error = PENDING, error[:255]
        row.next_attempt_at = now + backoff.delay(row.attempts)
    row.lease_until = None
    return row.status


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
