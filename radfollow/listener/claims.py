"""Claims on inbox rows are leases, so several listeners can share one database.

A worker claims rows (``processing``, ``claimed_by`` its ``host:pid``) until
``lease_until``, and a :class:`Heartbeat` thread renews the lease while it works.
A worker that dies stops renewing: once its lease has run out, any listener's
worker claims the row again (migration 0014, issue 18). The worker settles a row
(``done`` or ``failed``) with a conditional UPDATE that matches only while the
row is still its own, in the transaction of its tracker write, so a worker that
lost its lease writes nothing twice. Lease times are the database's clock on
PostgreSQL (listeners on two hosts whose clocks differ agree on it) and this
process's on SQLite (one host).

At start a listener gives back only rows whose lease ran out and rows of this
host's workers that no longer run; a live lease of another listener's worker is
left alone.

Poison messages (migration 0015): a row a worker died holding (its lease ran
out, its worker process is gone, or the listener restarted) counts the death
in ``worker_deaths`` and goes back to pending. Such rows are claimed one at a
time, before any other, so the next death is the row's own and the rows that
only shared a batch with it are processed normally. A row that reaches
``Lease.max_worker_deaths`` is failed, with an error that says so (``radfollow
replay`` processes it again). A worker that stops gracefully gives back
the rows it did not begin without counting anything.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    and_,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from radfollow.tracker.db import Tracker
from radfollow.tracker.schema import SUSPECT_ROWS as SUSPECT
from radfollow.tracker.schema import InboxMessage

log = logging.getLogger("radfollow.listener.claims")

#: Seconds a claim holds without a renewal (``radfollow listen --lease-seconds``).
DEFAULT_LEASE_S = 60.0
#: Worker deaths while holding a row after which it is failed, not claimed again
#: (``radfollow listen --max-worker-deaths``). The first death may be another
#: row's of the same batch; the later ones happen while the row is claimed alone,
#: hence at least 2.
DEFAULT_MAX_WORKER_DEATHS = 3
MIN_WORKER_DEATHS = 2
PROCESSING = "processing"
#: How the ``error`` of a row failed as a poison message starts (``listen status`` counts them).
POISON_PREFIX = "poison message:"
_POISON = (f"{POISON_PREFIX} processing it ended ", " times without a result (its worker"
           " died, or the database refused the result); not claimed again (`radfollow replay`"
           " processes it again)")  # fmt: skip


def poison_error(deaths: int) -> str:
    """The ``error`` stored on a row failed for killing its workers (no message values)."""
    return f"{_POISON[0]}{deaths}{_POISON[1]}"


@dataclass(frozen=True)
class Lease:
    """How long a claim holds (``seconds``), how often its worker renews it
    (``heartbeat_seconds``, a third of the lease by default), and after how many
    worker deaths while holding it a row is failed (``max_worker_deaths``).

    Raises ValueError when the lease is not positive, the heartbeat is not
    shorter than the lease, or ``max_worker_deaths`` is below 2.
    """

    seconds: float = DEFAULT_LEASE_S
    heartbeat_seconds: float | None = None
    max_worker_deaths: int = DEFAULT_MAX_WORKER_DEATHS

    def __post_init__(self) -> None:
        if not self.seconds > 0:
            raise ValueError(f"the lease must be longer than 0 s (got {self.seconds:g})")
        if self.max_worker_deaths < MIN_WORKER_DEATHS:
            raise ValueError(
                f"the worker deaths before a row fails must be at least {MIN_WORKER_DEATHS}"
                f" (got {self.max_worker_deaths}): the first death may be another row's"
            )
        if not 0 < self.heartbeat < self.seconds:
            raise ValueError(
                f"the heartbeat ({self.heartbeat:g} s) must be shorter than the lease"
                f" ({self.seconds:g} s)"
            )

    @property
    def heartbeat(self) -> float:
        return self.heartbeat_seconds if self.heartbeat_seconds is not None else self.seconds / 3

    @property
    def length(self) -> timedelta:
        return timedelta(seconds=self.seconds)


def worker_id(pid: int | None = None) -> str:
    """``host:pid`` of a worker (this process by default), as stored in ``claimed_by``."""
    return f"{socket.gethostname()}:{pid or os.getpid()}"[:64]


def db_now(session: Session) -> Any:
    """Now, as lease times are counted: PostgreSQL's ``now()`` (one clock for every
    host), else this process's clock (SQLite: one host)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.now()
    return datetime.now(UTC)


def _expired(now: Any) -> ColumnElement[bool]:
    """A processing row whose lease has run out (``ix_inbox_lease`` finds them)."""
    return and_(InboxMessage.status == PROCESSING, InboxMessage.lease_until < now)


def claim(
    tracker: Tracker, batch: int, worker: str | None = None, lease: Lease | None = None
) -> list[int]:
    """Atomically claim up to ``batch`` rows for ``worker``; return exactly those.

    First, rows whose lease ran out (their holder died) go back to pending with
    the death counted, or are failed at ``lease.max_worker_deaths``. Then a
    pending row a worker died holding is claimed alone, the oldest first; only
    when there is none are up to ``batch`` pending rows claimed, oldest first.
    Each claim counts an attempt. PostgreSQL: rows are picked ``FOR UPDATE SKIP
    LOCKED`` (in a materialised CTE: as a plain ``IN (subquery)`` the planner
    may run the ``LIMIT`` subquery once per row, and one worker then claimed the
    whole backlog). SQLite has one writer at a time, so the subquery form is
    exact there.
    """
    me = worker or worker_id()
    lease = lease or Lease()
    failed: list[tuple[int, int]] = []
    with tracker.session() as session:
        now = db_now(session)
        _release_expired(session, now, lease.max_worker_deaths, failed)
        values = {
            "status": PROCESSING,
            "attempts": InboxMessage.attempts + 1,
            "claimed_by": me,
            "lease_until": now + lease.length,
            "heartbeat_at": now,
        }
        taken = _claim_pending(session, 1, values, suspects=True) or sorted(
            _claim_pending(session, batch, values)
        )
    _report(failed)
    return taken


def _release_expired(
    session: Session, now: Any, max_deaths: int, failed: list[tuple[int, int]]
) -> None:
    """Rows whose lease ran out are a dead worker's (:func:`_orphan`); one WARNING
    line names their former holders."""
    query = select(InboxMessage.id, InboxMessage.claimed_by).where(_expired(now))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    found = {row_id: holder for row_id, holder in session.execute(query)}
    if not found:
        return
    settled = _orphan(session, InboxMessage.id.in_(list(found)) & _expired(now), max_deaths, failed)
    if settled:
        log.warning(
            "took over %d inbox rows whose lease had run out (held by %s); each is"
            " claimed alone next",
            settled,
            ", ".join(sorted({holder or "unknown" for holder in found.values()})),
        )


def _orphan(
    session: Session, which: ColumnElement[bool], max_deaths: int, failed: list[tuple[int, int]]
) -> int:
    """The ``processing`` rows ``which`` selects were held by a worker that died:
    count the death; fail those that reach ``max_deaths`` (appended to ``failed``
    as (id, deaths), for :func:`_report` once committed), give the others back to
    pending. Returns how many rows it settled.

    The rows are locked first (:func:`_locked`)."""
    mine = _locked(session, which)
    if mine is None:
        return 0
    deaths = InboxMessage.worker_deaths + 1
    poisoned = session.execute(
        update(InboxMessage)
        .where(mine, deaths >= max_deaths)
        .values(
            status="failed",
            worker_deaths=deaths,
            lease_until=None,
            error=literal(_POISON[0]) + cast(deaths, String) + literal(_POISON[1]),
            processed_at=datetime.now(UTC),
        )
        .returning(InboxMessage.id, InboxMessage.worker_deaths)
        .execution_options(synchronize_session=False)
    ).all()
    failed.extend(sorted((row_id, count) for row_id, count in poisoned))
    given_back = session.execute(
        update(InboxMessage)
        .where(mine)
        .values(status="pending", worker_deaths=deaths, claimed_by=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return len(poisoned) + int(getattr(given_back, "rowcount", 0) or 0)


def _report(failed: list[tuple[int, int]]) -> None:
    """One ERROR line per row :func:`_orphan` failed, once its transaction committed."""
    for row_id, count in failed:
        log.error(
            "inbox row %d failed: processing it ended %d times without a result (poison message)",
            row_id,
            count,
        )


def _locked(session: Session, which: ColumnElement[bool]) -> ColumnElement[bool] | None:
    """The ``processing`` rows ``which`` selects, locked in id order on PostgreSQL (so
    give-backs, heartbeats and dead workers' rows cannot deadlock), as a condition
    for their UPDATE; None when there are none. The condition repeats ``which``: on
    SQLite the look-up runs before the write transaction, so another worker may
    have claimed a row since."""
    held = and_(InboxMessage.status == PROCESSING, which)
    query = select(InboxMessage.id).where(held).order_by(InboxMessage.id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    ids = list(session.scalars(query))
    return and_(InboxMessage.id.in_(ids), held) if ids else None


def _claim_pending(
    session: Session, batch: int, values: dict[str, Any], *, suspects: bool = False
) -> list[int]:
    """Claim up to ``batch`` pending rows, oldest first; with ``suspects`` only rows a
    worker died holding (``ix_inbox_suspect``)."""
    pending = (
        select(InboxMessage.id)
        .where(InboxMessage.status == "pending")
        .order_by(InboxMessage.id)
        .limit(batch)
    )
    sqlite = session.get_bind().dialect.name == "sqlite"
    if suspects and sqlite:
        # SQLite plans ix_inbox_status for this, whatever the statistics: every claim
        # then read every pending row. INDEXED BY needs the index's own predicate.
        pending = (
            select(literal_column("id", Integer))
            .select_from(text("inbox INDEXED BY ix_inbox_suspect"))
            .where(text(SUSPECT))
            .order_by(literal_column("id"))
            .limit(batch)
        )
    elif suspects:
        pending = pending.where(InboxMessage.worker_deaths > 0)
    if session.get_bind().dialect.name == "postgresql":
        picked = pending.with_for_update(skip_locked=True).cte("picked").prefix_with("MATERIALIZED")
        where = InboxMessage.id == picked.c.id
    else:
        where = InboxMessage.id.in_(pending.scalar_subquery())
    statement = (
        update(InboxMessage)
        .where(where, InboxMessage.status == "pending")
        .values(**values)
        .returning(InboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    return list(session.scalars(statement))


def renew(tracker: Tracker, worker: str, lease: Lease) -> int:
    """Extend the lease of every row ``worker`` holds; return how many. The rows
    are locked in id order first, as :func:`_orphan` locks them."""
    with tracker.session() as session:
        now = db_now(session)
        mine = _locked(session, InboxMessage.claimed_by == worker)
        if mine is None:
            return 0
        result = session.execute(
            update(InboxMessage)
            .where(mine)
            .values(lease_until=now + lease.length, heartbeat_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)


def settle(session: Session, row_id: int, worker: str, status: str, **values: Any) -> bool:
    """Mark the row ``status`` if ``worker`` still holds it; False (nothing written)
    when its lease was lost and another worker took the row.

    Run it first in the transaction of the row's tracker write: on PostgreSQL the
    UPDATE locks the row, so no claim can take it before that transaction ends.
    ``claimed_by`` stays on the row: the worker that settled it.
    """
    statement = (
        update(InboxMessage)
        .where(
            InboxMessage.id == row_id,
            InboxMessage.status == PROCESSING,
            InboxMessage.claimed_by == worker,
        )
        .values(status=status, lease_until=None, **values)
        .returning(InboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    return session.scalars(statement).first() is not None


def recover(tracker: Tracker, claimed_by: str) -> int:
    """Rows ``claimed_by`` holds go back to pending, no death counted (those a
    stopping worker claimed but did not begin); return how many."""
    with tracker.session() as session:
        return _give_back(session, InboxMessage.claimed_by == claimed_by)


def recover_dead(tracker: Tracker, claimed_by: str, lease: Lease | None = None) -> int:
    """Rows the dead worker ``claimed_by`` held: the death counted, back to pending or
    failed at ``lease.max_worker_deaths``; return how many."""
    return _orphan_committed(tracker, lease, lambda _: InboxMessage.claimed_by == claimed_by)


def _orphan_committed(
    tracker: Tracker, lease: Lease | None, which: Callable[[Session], ColumnElement[bool]]
) -> int:
    """:func:`_orphan` on the rows ``which(session)`` selects, in a transaction of its
    own, its ERROR lines once committed."""
    failed: list[tuple[int, int]] = []
    with tracker.session() as session:
        settled = _orphan(session, which(session), (lease or Lease()).max_worker_deaths, failed)
    _report(failed)
    return settled


def recover_at_start(tracker: Tracker, lease: Lease | None = None) -> int:
    """At listener start, rows left ``processing`` are a dead worker's when their
    lease ran out, when they have none (claimed before migration 0014), or when
    their worker ran on this host and runs no more: the death is counted and
    they go back to pending (or are failed at ``lease.max_worker_deaths``). A
    live lease of a worker of another listener (on this host or another) is
    left alone."""

    def stale(session: Session) -> ColumnElement[bool]:
        holders = session.scalars(
            select(InboxMessage.claimed_by)
            .where(InboxMessage.status == PROCESSING, InboxMessage.claimed_by.is_not(None))
            .distinct()
        )
        gone = sorted(holder for holder in holders if holder and _gone_from_this_host(holder))
        return or_(
            InboxMessage.lease_until.is_(None),
            InboxMessage.lease_until < db_now(session),
            InboxMessage.claimed_by.in_(gone),
        )

    return _orphan_committed(tracker, lease, stale)


def give_back_unsettled(
    tracker: Tracker, row_ids: list[int], worker: str, lease: Lease | None = None
) -> int:
    """Rows ``worker`` processed but could not settle (the database refused the result):
    counted as a death would be (failed at ``lease.max_worker_deaths``), the others
    back to pending; return how many."""
    mine = and_(InboxMessage.id.in_(row_ids), InboxMessage.claimed_by == worker)
    return _orphan_committed(tracker, lease, lambda _: mine)


def _give_back(session: Session, which: ColumnElement[bool]) -> int:
    """``which`` processing rows back to pending, no death counted (:func:`_locked`)."""
    mine = _locked(session, which)
    if mine is None:
        return 0
    result = session.execute(
        update(InboxMessage)
        .where(mine)
        .values(status="pending", claimed_by=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _gone_from_this_host(holder: str) -> bool:
    """``holder`` (``host:pid``) names a process of this host that no longer runs.

    A pid reused by another process counts as running: its rows then wait for
    their lease. (Where containers share a host name but not their process
    table, a live worker elsewhere can look gone; settling stays safe, as a
    worker writes a row only while it still holds it.)
    """
    _, _, pid = holder.rpartition(":")
    if not pid.isdigit() or int(pid) <= 0 or worker_id(int(pid)) != holder:
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # it runs, under another user
        return False
    return False


class Heartbeat:
    """While the ``with`` block runs, a thread renews ``worker``'s leases every
    ``lease.heartbeat`` seconds. A failed renewal is logged (ERROR, the error's
    class only) and tried again at the next beat."""

    def __init__(self, tracker: Tracker, worker: str, lease: Lease) -> None:
        self.tracker = tracker
        self.worker = worker
        self.lease = lease
        self.beats = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="radfollow-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.lease.heartbeat):
            try:
                renew(self.tracker, self.worker, self.lease)
                self.beats += 1
            except SQLAlchemyError as error:
                log.error("cannot renew the inbox lease (%s)", type(error).__name__)
