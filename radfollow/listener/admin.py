"""``radfollow listen status`` and ``radfollow replay``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import Session

from radfollow.hl7.options import HL7Options
from radfollow.listener.claims import POISON_PREFIX, PROCESSING, db_now
from radfollow.listener.inspect import inspect
from radfollow.listener.store import inbox_fields
from radfollow.tracker.db import Tracker
from radfollow.tracker.schema import DeadLetter, InboxMessage


class Claims(BaseModel):
    """The ``processing`` rows one listener worker holds (``claimed_by``): how many,
    how many of their leases have run out (a worker that died: another listener
    takes them over), and the age of its latest heartbeat in seconds."""

    claimed_by: str
    rows: int
    expired: int
    heartbeat_age_seconds: float | None


class InboxStatus(BaseModel):
    by_status: dict[str, int]
    depth: int
    processed_last_minute: int
    processed_per_second: float
    oldest_pending_seconds: float | None
    failed: int
    #: Failed rows that kept killing their worker (radfollow/listener/claims.py).
    poison: int = 0
    #: Pending rows a worker died holding: claimed one at a time.
    suspect: int = 0
    dead_letters: int
    #: Claimed rows by worker, most rows first (issue 18: several listeners).
    claims: list[Claims] = []


def inbox_status(tracker: Tracker) -> InboxStatus:
    now = datetime.now(UTC)
    with tracker.session() as session:
        counts: dict[str, int] = {
            status: count
            for status, count in session.execute(
                select(InboxMessage.status, func.count()).group_by(InboxMessage.status)
            )
        }
        recent = (
            session.scalar(
                select(func.count()).where(
                    InboxMessage.status == "done",
                    InboxMessage.processed_at >= now - timedelta(minutes=1),
                )
            )
            or 0
        )
        oldest = session.scalar(
            select(func.min(InboxMessage.received_at)).where(
                InboxMessage.status.in_(("pending", "processing"))
            )
        )
        dead = session.scalar(select(func.count()).select_from(DeadLetter)) or 0
        poison, suspect = session.execute(
            select(
                func.count().filter(
                    InboxMessage.status == "failed", InboxMessage.error.startswith(POISON_PREFIX)
                ),
                func.count().filter(
                    InboxMessage.status == "pending", InboxMessage.worker_deaths > 0
                ),
            )
        ).one()
        claims = _claims(session)
    depth = counts.get("pending", 0) + counts.get("processing", 0)
    return InboxStatus(
        by_status=counts,
        depth=depth,
        processed_last_minute=recent,
        processed_per_second=round(recent / 60, 2),
        oldest_pending_seconds=(now - oldest).total_seconds() if oldest else None,
        failed=counts.get("failed", 0),
        poison=poison or 0,
        suspect=suspect or 0,
        dead_letters=dead,
        claims=claims,
    )


def _claims(session: Session) -> list[Claims]:
    """Each worker's claimed rows, counted against the lease clock (``db_now``)."""
    now = db_now(session)
    # no lease (claimed before migration 0014): start-up gives it back, as an expired one
    run_out = or_(InboxMessage.lease_until.is_(None), InboxMessage.lease_until < now)
    expired = case((run_out, 1), else_=0)
    rows = session.execute(
        select(
            InboxMessage.claimed_by,
            func.count(),
            func.sum(expired),
            func.max(InboxMessage.heartbeat_at),
        )
        .where(InboxMessage.status == PROCESSING)
        .group_by(InboxMessage.claimed_by)
    ).all()
    clock = session.scalar(select(now)) if not isinstance(now, datetime) else now
    found = []
    for holder, count, lapsed, beat in rows:
        age = (_aware(clock) - _aware(beat)).total_seconds() if beat and clock else None
        found.append(
            Claims(
                claimed_by=holder or "unknown",
                rows=count,
                expired=lapsed or 0,
                heartbeat_age_seconds=age,
            )
        )
    return sorted(found, key=lambda c: (-c.rows, c.claimed_by))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class ReplayResult(BaseModel):
    requeued: int = 0
    dead_letters_stored: int = 0
    dead_letters_still_bad: int = 0


def replay(
    tracker: Tracker,
    *,
    statuses: list[str],
    dead_letters: bool,
    since: datetime | None,
    hl7: HL7Options | None = None,
) -> ReplayResult:
    """Put inbox rows back to pending, their count of worker deaths cleared (a poison
    message gets its full count of tries again); store dead letters that now pass
    inspection."""
    result = ReplayResult()
    with tracker.session() as session:
        if statuses:
            query = update(InboxMessage).where(InboxMessage.status.in_(statuses))
            if since:
                query = query.where(InboxMessage.received_at >= since)
            done = session.execute(
                query.values(status="pending", error=None, processed_at=None, worker_deaths=0)
            )
            result.requeued = int(getattr(done, "rowcount", 0) or 0)
        if dead_letters:
            letters = select(DeadLetter).where(DeadLetter.replayed_at.is_(None))
            if since:
                letters = letters.where(DeadLetter.received_at >= since)
            for letter in session.scalars(letters):
                verdict = inspect(letter.raw, hl7=hl7)
                if verdict.kind not in ("store", "ignore", "unusable") or verdict.header is None:
                    result.dead_letters_still_bad += 1
                    continue
                fields = inbox_fields(verdict, letter.raw, letter.peer, letter.received_at)
                session.add(InboxMessage(**fields))
                letter.replayed_at = datetime.now(UTC)
                result.dead_letters_stored += 1
    return result
