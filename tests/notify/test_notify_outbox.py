"""The outbox (issue 17): events written in the transaction of their cause, keyed so
they are written once, planned per channel, reminders on a schedule. SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from notify_helpers import Clock, rules_file

from radfollow.notify import Sender
from radfollow.tracker.db import Tracker
from radfollow.tracker.matching import Match, Verdict, send_to_review
from radfollow.tracker.outbox import enqueue, plan_deliveries
from radfollow.tracker.schema import OutboxDelivery, OutboxEvent, Recommendation, Study


def _events(tracker: Tracker) -> list[tuple[str, int]]:
    with tracker.session() as session:
        rows = session.execute(sa.select(OutboxEvent.event, OutboxEvent.sequence)).all()
    return sorted((e, s) for e, s in rows)


def _last_due(tracker: Tracker) -> object:
    with tracker.session() as session:
        return session.scalar(sa.select(sa.func.max(Recommendation.due_end)))


def test_critical_event_written_by_ingest(stored: Tracker) -> None:
    assert _events(stored) == [("uncommunicated_critical", 1)]


def test_event_rolls_back_with_its_cause(stored: Tracker) -> None:
    with stored.engine.connect() as connection:
        transaction = connection.begin()
        session = sa.orm.Session(bind=connection)
        enqueue(session, "needs_review", recommendation_id=1)
        session.flush()
        transaction.rollback()
        session.close()
    assert _events(stored) == [("uncommunicated_critical", 1)]


def test_enqueue_is_idempotent(stored: Tracker) -> None:
    for _ in range(3):
        with stored.session() as session:
            enqueue(session, "needs_review", recommendation_id=1)
    assert _events(stored).count(("needs_review", 1)) == 1


def test_overdue_and_reminders_on_schedule(stored: Tracker, clock: type[Clock], tmp_path) -> None:
    rules = rules_file(tmp_path / "rules", [])
    sender = Sender(stored, rules_dir=str(rules), clock=clock)
    clock.current = _last_due(stored) + timedelta(days=60)  # every recommendation overdue
    sender.run_once()
    assert _events(stored).count(("overdue", 1)) == 3
    sender.run_once()  # nothing new the same day
    assert len(_events(stored)) == 4
    for week in (2, 3):
        clock.advance(days=7)
        sender.run_once()
        assert _events(stored).count(("overdue", week)) == 3
    clock.advance(days=7)
    sender.run_once()  # the limit (3 notices) is reached
    assert max(s for e, s in _events(stored) if e == "overdue") == 3


def test_coming_due_once(stored: Tracker, clock: type[Clock], tmp_path) -> None:
    rules = rules_file(tmp_path / "rules", [])
    sender = Sender(stored, rules_dir=str(rules), clock=clock)
    with stored.session() as session:
        first_due = session.scalar(sa.select(sa.func.min(Recommendation.due_start)))
    clock.current = first_due - timedelta(days=5)
    sender.run_once()
    with stored.session() as session:
        coming = session.scalar(
            sa.select(sa.func.count()).where(Recommendation.status == "coming_due")
        )
    assert coming and _events(stored).count(("coming_due", 1)) == coming
    sender.run_once()
    clock.advance(days=1)
    sender.run_once()  # still coming due: no second notice
    assert _events(stored).count(("coming_due", 1)) == coming


def test_deliveries_planned_once_per_channel_and_not_for_history(
    stored: Tracker, clock: type[Clock]
) -> None:
    kinds = {"hook": ["uncommunicated_critical"], "mail": ["overdue"]}
    with stored.session() as session:
        first = plan_deliveries(session, kinds, now=clock.current, since=timedelta(days=14))
        again = plan_deliveries(session, kinds, now=clock.current, since=timedelta(days=14))
        late = plan_deliveries(
            session, {"new": ["uncommunicated_critical"]},
            now=clock.current + timedelta(days=30), since=timedelta(days=14),
        )  # fmt: skip
        rows = session.execute(sa.select(OutboxDelivery.channel, OutboxDelivery.status)).all()
    assert (first, again, late) == (1, 0, 0)
    assert rows == [("hook", "pending")]


def test_a_review_needed_again_is_notified_again(stored: Tracker) -> None:
    """A needs-review episode cleared and later needed again is a new event."""
    with stored.session() as session:
        rec = session.scalars(sa.select(Recommendation)).first()
        studies = list(session.scalars(sa.select(Study)).all())
        verdict = Verdict(strength="weak", reason="test", early=False)
        send_to_review(session, rec, [Match(rec, studies[0], verdict)])
        rec.needs_review_at = None  # a reviewer cleared it
        session.flush()
        send_to_review(session, rec, [Match(rec, studies[1], verdict)])
    assert [s for e, s in _events(stored) if e == "needs_review"] == [1, 2]
