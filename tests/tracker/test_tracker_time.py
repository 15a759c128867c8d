"""Issue 14, time: the site's timezone stored with the data, calendar days in it,
corrections taking effect when they arrive (MSH-7), and audit entries of radfollow's
own actions stamped with the time it acted beside the clinical time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from radfollow.errors import TrackerError
from radfollow.models import ExtractionResult, Patient, RadiologyReport, Recommendation
from radfollow.tracker.db import Tracker
from radfollow.tracker.ingest import ingest
from radfollow.tracker.queries import Filters, detail, stats, worklist
from radfollow.tracker.schema import Recommendation as RecRow
from radfollow.tracker.schema import ReviewAction

NEW_YORK = ZoneInfo("America/New_York")


def _store(
    tracker: Tracker,
    when: datetime,
    *,
    interval: tuple[float, float] = (6, 6),
    status: str = "F",
    sent: datetime | None = None,
    control: str = "M1",
) -> None:
    text = "Recommend CT chest."
    report = RadiologyReport(
        control_id=control,
        patient=Patient(id="MRN1"),
        accession="A1",
        procedure={"text": "CT CHEST"},
        modality="CT",
        observation_time=when,
        message_time=sent,
        result_status=status,
        text=text,
    )
    result = ExtractionResult(
        recommendations=[
            Recommendation(
                id="r1",
                text=text,
                start=0,
                end=len(text),
                modality="CT",
                body_region="chest",
                interval_months=interval,
            )
        ]
    )
    with tracker.session() as session:
        ingest(session, report, result, tracker.policy)


@pytest.mark.parametrize(
    ("first", "second", "fails"),
    [
        pytest.param("America/New_York", "America/New_York", False, id="same-zone"),
        pytest.param("America/New_York", None, False, id="reader-takes-stored"),
        pytest.param("America/New_York", "Europe/Paris", True, id="other-zone-refused"),
    ],
)
def test_the_site_timezone_is_stored_with_the_data(
    db_url: str, first: str, second: str | None, fails: bool
) -> None:
    Tracker(db_url, timezone=first).close()
    if fails:
        with pytest.raises(TrackerError, match="site timezone is America/New_York"):
            Tracker(db_url, timezone=second)
        return
    tracker = Tracker(db_url, timezone=second)
    assert tracker.timezone == ZoneInfo(first)
    tracker.close()


@pytest.mark.parametrize(
    ("zone", "study_date", "month"),
    [
        pytest.param("America/New_York", "2025-01-31", "2025-01", id="site-zone"),
        pytest.param("UTC", "2025-02-01", "2025-02", id="utc"),
    ],
)
def test_a_report_at_9pm_on_31_january_is_a_january_report(
    db_url: str, zone: str, study_date: str, month: str
) -> None:
    tracker = Tracker(db_url, timezone=zone)
    tz = tracker.timezone
    _store(tracker, datetime(2025, 1, 31, 21, 0, tzinfo=NEW_YORK))
    as_of = datetime(2025, 3, 1, tzinfo=UTC)
    with tracker.session() as session:
        (row,) = worklist(
            session, Filters(), as_of=as_of, grace=tracker.policy.grace, limit=None, tz=tz
        )
        groups = stats(
            session, Filters(), as_of=as_of, grace=tracker.policy.grace, by=("month",), tz=tz
        )
    tracker.close()
    assert row.study_date == study_date
    assert ("month", month) in {(g.group, g.value) for g in groups}


@pytest.mark.parametrize(
    ("local_day", "status"),
    [("2025-08-30", "due"), ("2025-08-31", "overdue")],
)
def test_the_grace_period_ends_with_its_last_day_in_the_site_zone(
    db_url: str, local_day: str, status: str
) -> None:
    """Window end 2025-07-31 21:00 New York (02:00 UTC on 1 August); + 30 days grace:
    due through 30 August, the site's day, overdue from 31 August."""
    tracker = Tracker(db_url, timezone="America/New_York")
    _store(tracker, datetime(2025, 1, 31, 21, 0, tzinfo=NEW_YORK))
    end_of_day = datetime.fromisoformat(local_day + "T23:59:59").replace(tzinfo=NEW_YORK)
    with tracker.session() as session:
        (row,) = worklist(
            session,
            Filters(),
            as_of=end_of_day,
            grace=tracker.policy.grace,
            limit=None,
            tz=tracker.timezone,
        )
    tracker.close()
    assert (row.due_end, row.status) == ("2025-07-31", status)


def test_a_correction_takes_effect_when_it_arrives(db_url: str) -> None:
    tracker = Tracker(db_url)
    exam = datetime(2025, 1, 10, 9, tzinfo=UTC)
    _store(tracker, exam, interval=(6, 6))
    _store(
        tracker,
        exam,
        interval=(3, 3),
        status="C",
        sent=datetime(2025, 2, 1, 8, tzinfo=UTC),
        control="M2",
    )
    grace = tracker.policy.grace

    def intervals(day: str) -> list[tuple[float | None, str]]:
        as_of = datetime.fromisoformat(day + "T12:00:00+00:00")
        with tracker.session() as session:
            rows = worklist(session, Filters(), as_of=as_of, grace=grace, limit=None)
        return sorted((r.interval_min, r.status) for r in rows)

    assert intervals("2025-01-20") == [(6.0, "open")]  # before the correction arrived
    assert intervals("2025-02-02") == [(3.0, "open"), (6.0, "superseded")]
    tracker.close()


def test_radfollow_actions_carry_the_time_it_acted_and_the_clinical_time(db_url: str) -> None:
    tracker = Tracker(db_url)
    exam = datetime(2025, 1, 10, 9, tzinfo=UTC)
    before = datetime.now(UTC) - timedelta(seconds=5)
    _store(tracker, exam)
    with tracker.session() as session:
        (action,) = session.scalars(select(ReviewAction)).all()
        rec_id = session.scalars(select(RecRow.id)).one()
        shown = detail(session, rec_id, as_of=datetime.now(UTC), grace=tracker.policy.grace)
    tracker.close()
    assert (action.actor, action.action, action.clinical_at) == ("radfollow", "created", exam)
    assert action.at >= before
    assert shown is not None and shown.audit[0]["clinical_at"] == exam.isoformat()
