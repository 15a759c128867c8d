"""Stored statuses (radfollow.tracker.statuses) always equal the computed ones.

Recommendations across every status (windows opening and closing, the grace
day boundary, coming due, scheduled and lapsing, in review, closed, completed,
superseded, reported or completed in the future) are refreshed at a sequence
of times, with writes in between; after each refresh every stored status must
be the one ``status_column`` computes, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from radfollow.tracker.db import Tracker
from radfollow.tracker.queries import Filters, count, status_column, status_counts, worklist
from radfollow.tracker.review import CloseReason, close
from radfollow.tracker.schema import PENDING, Recommendation
from radfollow.tracker.statuses import refresh

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
TZ = ZoneInfo("America/New_York")
SENTENCE = (
    "FINDINGS: A 7 mm nodule in the right upper lobe.\n"
    "IMPRESSION: Recommend chest CT in 3 months.\n"
)


def _recs(tracker: Tracker, feed) -> list[int]:  # type: ignore[no-untyped-def]
    for i in range(14):
        feed(
            SENTENCE,
            when="2025-12-01",
            accession=f"A{i}",
            control=f"C{i}",
            procedure="CT CHEST",
            modality="CT",
            patient=f"P{i}",
        )
    with tracker.session() as session:
        recs = list(session.scalars(select(Recommendation).order_by(Recommendation.id)))
        day = timedelta(days=1)
        shapes = [
            (T0 + 40 * day, T0 + 70 * day),  # open, then coming due, due, overdue
            (T0 + 10 * day, T0 + 20 * day),  # coming due soon
            (T0 - 5 * day, T0 + 3 * day),  # due, overdue after grace in New York days
            (T0 - 90 * day, T0 - 60 * day),  # overdue
            (T0 - 40 * day, T0 - 29 * day - timedelta(hours=13)),  # at the grace boundary
        ]
        for i, rec in enumerate(recs):
            start, end = shapes[i % len(shapes)]
            rec.due_start, rec.due_end = start, end
        recs[5].scheduled_at, recs[5].scheduled_for = T0 - day, T0 + 15 * day  # lapses later
        recs[6].needs_review_at = T0 - day
        recs[7].completed_at = recs[7].resolved_at = T0 + 20 * day  # completed in the future
        recs[8].reported_at = T0 + 25 * day  # reported in the future
        recs[9].state, recs[9].superseded_at = "superseded", T0 - day
        recs[9].refresh_resolved()
        ids = [r.id for r in recs]
    with tracker.session() as session:
        close(session, ids[10], reason=CloseReason.NOT_INDICATED, by="qa", at=T0 - day, note=None)
    return ids


def _check(tracker: Tracker, as_of: datetime) -> None:
    grace, lead = tracker.policy.grace, tracker.policy.coming_due
    with tracker.session() as session:
        assert refresh(session, as_of=as_of, grace=grace, lead=lead, tz=TZ)
    with tracker.session() as session:
        computed = status_column(as_of, grace, lead, TZ)
        rows = session.execute(select(Recommendation.id, Recommendation.status, computed)).all()
        wrong = [(i, stored, want) for i, stored, want in rows if stored != want]
        assert wrong == [], as_of
        for stored in (False, True):
            counts = status_counts(
                session, Filters(), as_of=as_of, grace=grace, lead=lead, tz=TZ, stored=stored
            )
            assert sum(counts.values()) == count(
                session, Filters(), as_of=as_of, grace=grace, lead=lead, tz=TZ
            )
        assert status_counts(
            session, Filters(), as_of=as_of, grace=grace, lead=lead, tz=TZ, stored=True
        ) == status_counts(session, Filters(), as_of=as_of, grace=grace, lead=lead, tz=TZ)


def test_stored_statuses_follow_time_and_writes(tracker: Tracker, feed) -> None:  # type: ignore[no-untyped-def]
    ids = _recs(tracker, feed)
    as_of = T0
    for step in range(40):
        _check(tracker, as_of)
        if step == 10:  # a write: closed through the ORM, picked up at the next refresh
            with tracker.session() as session:
                close(session, ids[0], reason=CloseReason.DECEASED, by="qa", at=as_of, note=None)
        if step == 20:  # a completion written directly on the row
            with tracker.session() as session:
                rec = session.get(Recommendation, ids[1])
                assert rec is not None
                rec.completed_at = as_of
                rec.refresh_resolved()
        as_of += timedelta(days=3, hours=7) if step % 2 else timedelta(hours=11)


def test_an_earlier_as_of_is_computed_not_stored(tracker: Tracker, feed) -> None:  # type: ignore[no-untyped-def]
    _recs(tracker, feed)
    grace, lead = tracker.policy.grace, tracker.policy.coming_due
    with tracker.session() as session:
        assert refresh(session, as_of=T0, grace=grace, lead=lead, tz=TZ)
        assert not refresh(session, as_of=T0 - timedelta(seconds=1), grace=grace, lead=lead, tz=TZ)
        assert refresh(session, as_of=T0, grace=grace, lead=lead, tz=TZ)


@pytest.mark.parametrize("change", ["grace", "timezone"])
def test_another_policy_recomputes_every_status(tracker: Tracker, feed, change: str) -> None:  # type: ignore[no-untyped-def]
    _recs(tracker, feed)
    grace, lead = tracker.policy.grace, tracker.policy.coming_due
    with tracker.session() as session:
        assert refresh(session, as_of=T0 + timedelta(days=60), grace=grace, lead=lead, tz=TZ)
    other_grace = grace + timedelta(days=40) if change == "grace" else grace
    other_tz = ZoneInfo("Pacific/Kiritimati") if change == "timezone" else TZ
    as_of = T0 + timedelta(days=60)
    with tracker.session() as session:
        assert refresh(session, as_of=as_of, grace=other_grace, lead=lead, tz=other_tz)
    with tracker.session() as session:
        computed = status_column(as_of, other_grace, lead, other_tz)
        rows = session.execute(select(Recommendation.status, computed)).all()
        assert all(a == b for a, b in rows)


def test_worklist_pages_read_the_stored_status(tracker: Tracker, feed) -> None:  # type: ignore[no-untyped-def]
    _recs(tracker, feed)
    grace, lead = tracker.policy.grace, tracker.policy.coming_due
    as_of = T0 + timedelta(days=5)
    with tracker.session() as session:
        refresh(session, as_of=as_of, grace=grace, lead=lead, tz=TZ)
    with tracker.session() as session:
        for status in ("overdue", "due", "open", "closed", "scheduled"):
            args = {"as_of": as_of, "grace": grace, "lead": lead, "tz": TZ, "limit": None}
            stored = worklist(session, Filters(statuses=[status]), stored=True, **args)
            computed = worklist(session, Filters(statuses=[status]), **args)
            assert [r.id for r in stored] == [r.id for r in computed]
            assert {r.status for r in stored} <= {status}
    assert PENDING.year == 9999


@pytest.mark.parametrize(
    ("sort", "priority"),
    [
        ("due_end", ()),
        ("due_start", ()),
        ("priority", ()),
        ("priority", ("renal_lesion", "pulmonary_nodule")),
    ],
)
@pytest.mark.parametrize("stored", [False, True])
def test_a_deep_page_is_the_slice_of_the_whole_list(
    tracker: Tracker,
    feed,  # type: ignore[no-untyped-def]
    sort: str,
    priority: tuple[str, ...],
    stored: bool,
) -> None:
    """Pages after the first read their ids first (queries.worklist_query): the same
    rows, in the same order, as slicing the whole list."""
    _recs(tracker, feed)
    grace, lead = tracker.policy.grace, tracker.policy.coming_due
    as_of = T0 + timedelta(days=5)
    with tracker.session() as session:
        refresh(session, as_of=as_of, grace=grace, lead=lead, tz=TZ)
    args = {"as_of": as_of, "grace": grace, "lead": lead, "tz": TZ, "sort": sort}
    args["priority"] = priority
    with tracker.session() as session:
        for filters in (Filters(), Filters(statuses=["overdue", "due", "open"])):
            whole = [r.id for r in worklist(session, filters, limit=None, stored=stored, **args)]
            assert len(whole) >= 5
            for offset in (1, 3, len(whole) - 2, len(whole) + 1):
                page = worklist(session, filters, limit=4, offset=offset, stored=stored, **args)
                assert [r.id for r in page] == whole[offset : offset + 4], (offset, filters)


def test_a_change_clears_a_status_stored_after_the_row_was_read(
    tracker: Tracker,
    feed,  # type: ignore[no-untyped-def]
) -> None:
    """A session that read a recommendation before its status was stored (NULL) and
    then changes it must still clear the status a refresh stored meanwhile."""
    ids = _recs(tracker, feed)
    grace, lead = tracker.policy.grace, tracker.policy.coming_due
    with tracker.session() as first:
        rec = first.get(Recommendation, ids[0])
        assert rec is not None and rec.status is None
        with tracker.session() as other:
            refresh(other, as_of=T0, grace=grace, lead=lead, tz=TZ)
        rec.assignee = "kim"
    with tracker.session() as session:
        assert session.get(Recommendation, ids[0]).status is None  # type: ignore[union-attr]
