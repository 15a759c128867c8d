"""Stored statuses: each recommendation's status at the latest refresh, kept in the
row (``recommendations.status``), so that "now" worklists and counts are index
lookups instead of evaluating every row's status (migration 0009).

The status is always the one :func:`radfollow.tracker.queries.status_column`
computes, written by one SQL ``UPDATE`` per refresh, so the stored and the
computed status cannot disagree for the refresh's time. What makes a stored
status stale, and how each is caught:

- a write: any ORM change to a recommendation sets its ``status`` to NULL in
  the same flush (``before_flush`` below), and NULL rows are refreshed;
- time passing from the last refresh ``T0`` to now ``T1``: a row's status
  changes by time only when one of its thresholds falls in between: its window
  opens (``due_start``) or comes within the coming-due lead, its window end plus
  grace passes (in the site's days), or a scheduled study lapses; the refresh
  re-evaluates exactly the rows whose ``due_start`` / ``due_end`` lie in those
  ranges (indexed), and every scheduled row;
- a clinical time later than the refresh (a report or completion stamped in
  the future): such rows are marked ``status_volatile`` and re-evaluated at
  every refresh until the time has passed;
- another policy (grace, lead, timezone): every stored status is dropped.

Only an as-of at or after the last refresh can use stored statuses (the web
app's "now"); the CLI's ``--as-of`` in the past computes them as before.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import and_, case, delete, event, insert, or_, select, text, true, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from radfollow.tracker.queries import _day, _minus, _plus, status_column
from radfollow.tracker.schema import Patient, Setting, StatusChange, Study
from radfollow.tracker.schema import Recommendation as R

#: Settings keys: when the stored statuses were last brought up to date, and under
#: which policy (grace, coming-due lead, site timezone).
AS_OF_KEY = "status_as_of"
POLICY_KEY = "status_policy"
#: Counts the refreshes that changed a stored status: figures computed from the
#: stored statuses at one version hold until the next (radfollow.web caches them).
VERSION_KEY = "status_version"
#: PostgreSQL advisory lock serialising refreshes ("rfstat").
REFRESH_LOCK = 0x7266_7374_6174
#: The change log (``status_changes``) keeps this many versions; a copy older than
#: that reads everything again.
KEPT_VERSIONS = 1000


@event.listens_for(Session, "before_flush")
def _drop_stale(session: Session, _context: Any, _instances: Any) -> None:
    """A recommendation changed through the ORM loses its stored status (refreshed at
    the next read that wants it); so do the recommendations of a changed patient
    or study (the figures group them by its sex, age, postal code, site...)."""
    patients, studies = set(), set()
    for obj in session.dirty:
        if not session.is_modified(obj, include_collections=False):
            continue
        if isinstance(obj, R):
            obj.status = None
            # in the UPDATE even when it was loaded NULL (a refresh may have stored
            # one since: it must not outlive this change)
            flag_modified(obj, "status")
        elif isinstance(obj, Patient) and obj.id is not None:
            patients.add(obj.id)
        elif isinstance(obj, Study) and obj.id is not None:
            studies.add(obj.id)
    for column, ids in ((R.patient_id, patients), (R.study_id, studies)):
        if ids:
            statement = update(R).where(column.in_(sorted(ids))).values(status=None)
            session.connection().execute(statement)


def _policy(grace: timedelta, lead: timedelta, tz: tzinfo) -> str:
    return f"{int(grace.total_seconds())}/{int(lead.total_seconds())}/{tz}"


def _cut(as_of: datetime, grace: timedelta, tz: tzinfo) -> datetime:
    """Overdue at ``as_of`` means ``due_end`` before this (queries.status_condition)."""
    return _minus(_day(as_of, tz), grace)


def refresh(
    session: Session, *, as_of: datetime, grace: timedelta, lead: timedelta, tz: tzinfo
) -> int | None:
    """Bring the stored statuses up to ``as_of``. Returns their version (VERSION_KEY,
    1 or more) when they now hold the status at ``as_of`` of every recommendation;
    None for an ``as_of`` before the last refresh (compute statuses instead).
    In the caller's transaction, first
    thing in it: the rows to look at again are found through their indexes and
    updated by the same SQL status expression the queries use; refreshes are
    serialised (PostgreSQL: an advisory lock; SQLite: the write lock)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": REFRESH_LOCK})
    else:  # SQLite: take the write lock first, so what is read below stays current
        session.execute(update(Setting).where(Setting.key == AS_OF_KEY).values(key=AS_OF_KEY))
    keys = (AS_OF_KEY, POLICY_KEY, VERSION_KEY)
    stored = dict(
        session.execute(select(Setting.key, Setting.value).where(Setting.key.in_(keys)))
        .tuples()
        .all()
    )
    policy = _policy(grace, lead, tz)
    last = None
    if stored.get(POLICY_KEY) == policy and AS_OF_KEY in stored:
        last = datetime.fromisoformat(stored[AS_OF_KEY])
    if last is not None and as_of < last:
        return None
    stale: list[Any] = []
    if last is not None:  # one query each, so each uses its index
        stale = [
            R.status.is_(None),
            R.status_volatile == true(),
            R.status == "scheduled",
            and_(R.due_start > _plus(last, lead), R.due_start <= _plus(as_of, lead)),
            and_(R.due_start > last, R.due_start <= as_of),
            and_(R.due_end >= _cut(last, grace, tz), R.due_end < _cut(as_of, grace, tz)),
        ]
    if last is None:
        targets: list[Any] = [true()]
    else:  # the few rows to look at again, found through their indexes
        ids = sorted(
            {i for condition in stale for i in session.scalars(select(R.id).where(condition))}
        )
        targets = [R.id.in_(ids[k : k + 5000]) for k in range(0, len(ids), 5000)]
    changed: list[int] = []
    if targets:  # the expressions are built only when a row is to be updated
        future = or_(
            R.reported_at > as_of,
            R.closed_at > as_of,
            R.superseded_at > as_of,
            R.completed_at > as_of,
            R.needs_review_at > as_of,
            R.scheduled_at > as_of,
        )
        status, volatile = status_column(as_of, grace, lead, tz), case((future, True), else_=False)
        differs = or_(R.status.is_(None), R.status != status, R.status_volatile != volatile)
        values = {"status": status, "status_volatile": volatile}
    for condition in targets:
        statement = update(R).values(values).execution_options(synchronize_session=False)
        if last is None:  # every row: logged as one "0"
            result = session.execute(statement.where(condition))
            changed += [0] if getattr(result, "rowcount", 1) else []
        else:  # only the rows whose stored status changes, logged one by one
            found = session.execute(statement.where(condition, differs).returning(R.id))
            changed += list(found.scalars())
    current = int(stored[VERSION_KEY]) if stored.get(VERSION_KEY, "").isdigit() else 0
    if changed or last is None or current == 0:
        current += 1
        session.execute(
            insert(StatusChange),
            [{"version": current, "recommendation_id": i} for i in sorted(set(changed)) or [0]],
        )
        session.execute(delete(StatusChange).where(StatusChange.version <= current - KEPT_VERSIONS))
    settings = {AS_OF_KEY: as_of.isoformat(), POLICY_KEY: policy, VERSION_KEY: str(current)}
    for key, value in settings.items():
        if stored.get(key) != value:
            session.merge(Setting(key=key, value=value))
    return current
