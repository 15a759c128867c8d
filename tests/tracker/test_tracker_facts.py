"""The in-memory copy (radfollow.tracker.facts) gives the queries' figures.

Several hundred recommendations with every status, closing reason, modality,
missing value, demographic and postal shape are loaded; after each refresh of
the stored statuses and each kind of write (a person's close, a patient's or a
study's details changed, new reports, time passing), ``Facts.stats``,
``overview`` and ``status_counts`` must equal queries' own with ``stored=True``
for a table of filters, on SQLite and PostgreSQL. Each catch-up must read only
the rows the change log lists."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from radfollow.tracker import facts as facts_module
from radfollow.tracker.db import Tracker
from radfollow.tracker.facts import Facts
from radfollow.tracker.queries import (
    STATS_DIMENSIONS,
    Filters,
    known_values,
    overview,
    stats,
    status_counts,
)
from radfollow.tracker.review import CloseReason, close
from radfollow.tracker.schema import PENDING, Patient, Recommendation, StatusChange, Study
from radfollow.tracker.statuses import refresh

T0 = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
TZ = ZoneInfo("America/New_York")
DAY = timedelta(days=1)
REASONS = [r.value for r in CloseReason]
MANUAL = frozenset({"CONSULT", "LAB", "PROCEDURE", "OTHER"})

#: Filters compared (the dashboard's and the worklist's).
FILTERS = [
    Filters(),
    Filters(since=T0 - 200 * DAY),
    Filters(since=T0 - 300 * DAY, until=T0 - 20 * DAY),
    Filters(statuses=["overdue"]),
    Filters(statuses=["open", "due", "coming_due"]),
    Filters(statuses=["closed", "completed"], site="SITE1"),
    Filters(modality="ct"),
    Filters(finding_type="pulmonary_nodule"),
    Filters(region="abdomen"),
    Filters(radiologist="RAD2"),
    Filters(provider="DOC3"),
    Filters(site="SITE0", since=T0 - 365 * DAY),
    Filters(department="RAD"),
    Filters(patient_class="inpatient"),
    Filters(due_from=T0 - 30 * DAY, due_to=T0 + 30 * DAY),
    Filters(assignee="kim"),
    Filters(assignee=""),
    Filters(radiologist="nobody by this name"),
]


def _load(tracker: Tracker, count: int, seed: int, first: int = 0) -> None:
    """``count`` recommendations straight into the tables, every shape mixed."""
    rng = random.Random(seed)
    with tracker.engine.begin() as conn:
        patients = []
        for p in range(first, first + count // 3 + 1):
            patients.append(
                {
                    "identifier": f"F{seed}-{p}",
                    "assigning_authority": "T",
                    "sex": rng.choice(["F", "M", "f", "O", "U", None]),
                    "birth_date": rng.choice(
                        [None, date(1940 + rng.randrange(80), 1 + rng.randrange(12), 28)]
                    ),
                    "postal_code": rng.choice(
                        ["02139", "021 40", "94110", "10001", "606", "6", None, "60611"] * 2
                        + [None, f"{rng.randrange(900) + 100}11"]
                    ),
                }
            )
        conn.execute(sa.insert(Patient), patients)
        pids = list(
            conn.execute(
                sa.select(Patient.id).where(Patient.identifier.like(f"F{seed}-%"))
            ).scalars()
        )
        for k in range(count):
            # whole days from T0 mostly, so windows open and end exactly at an as-of
            when = T0 - rng.randrange(500) * DAY - timedelta(hours=rng.choice([0, 0, 5]))
            when += rng.choice([0, 40]) * DAY
            pid = rng.choice(pids)
            site = rng.choice(["SITE0", "SITE1", "SITE2", None])
            rad = rng.choice(["RAD1", "RAD2", "RAD3", None])
            doc = rng.choice(["DOC1", "DOC2", "DOC3"])
            study = conn.execute(
                sa.insert(Study).returning(Study.id),
                {
                    "patient_id": pid,
                    "accession": f"F{seed}-{first + k}",
                    "control_id": f"F{seed}-{first + k}",
                    "modality": "CT",
                    "procedure": "CT CHEST",
                    "body_region": rng.choice(["chest", "abdomen", None]),
                    "regions": "chest",
                    "procedure_kind": "diagnostic",
                    "facility": site,
                    "interpreter": rad,
                    "ordering_provider": doc,
                    "department": rng.choice(["RAD", "ED", None]),
                    "patient_class": rng.choice(["outpatient", "inpatient", "emergency", None]),
                    "observed_at": when - timedelta(hours=2),
                    "result_status": "F",
                    "report_text": "text",
                },
            ).scalar_one()
            start = when + timedelta(days=rng.choice([0, 20, 60, 90, 180, 400]))
            end = start + timedelta(days=rng.choice([0, 30, 90]))
            row = {
                "study_id": study,
                "patient_id": pid,
                "local_id": "r1",
                "finding_type": rng.choice(["pulmonary_nodule", "renal_lesion", None]),
                "modality": rng.choice(["CT", "MR", "US", "CONSULT", "LAB", None]),
                "body_region": rng.choice(["chest", "abdomen", None]),
                "interval_min": rng.choice([3.0, 6.0, None]),
                "interval_max": 12.0,
                "window_source": "report",
                "due_start": start,
                "due_end": end,
                "conditional": False,
                "score": 0.9,
                "evidence": "Recommend CT.",
                "start": 0,
                "end": 5,
                "state": "active",
                "reported_at": when,
                "resolved_at": PENDING,
                "interpreter": rad,
                "ordering_provider": doc,
                "facility": site,
                "created_at": when,
                "assignee": rng.choice(["kim", "lee", None, None]),
            }
            shape = rng.randrange(8)
            if shape == 0:  # completed (some after the first as-of)
                row["completed_at"] = row["resolved_at"] = when + rng.randrange(1, 300) * DAY
            elif shape == 1:
                row["state"] = "closed"
                row["closed_at"] = row["resolved_at"] = when + 5 * DAY
                row["closed_reason"] = rng.choice(REASONS)
                row["closed_by"] = "qa"
            elif shape == 2:
                row["state"] = "superseded"
                row["superseded_at"] = row["resolved_at"] = when + 3 * DAY
            elif shape == 3:
                row["needs_review_at"] = when + DAY
            elif shape == 4:
                row["scheduled_at"] = when + DAY
                row["scheduled_for"] = rng.choice([None, end + 10 * DAY])
            conn.execute(sa.insert(Recommendation), row)


def _boundaries(tracker: Tracker) -> None:
    """Rows exactly at the filters' and the as-of's edges: windows that open at T0
    (in review, scheduled) and ones ending or opening at the due filter's edges."""
    with tracker.session() as session:
        recs = list(session.scalars(sa.select(Recommendation).order_by(Recommendation.id)))
        waiting = [r for r in recs if r.needs_review_at or r.scheduled_at][:6]
        for rec in waiting:
            rec.due_start, rec.due_end = T0, T0 + 30 * DAY
        for rec in recs[-6:-3]:
            rec.due_end = T0 - 30 * DAY
            rec.due_start = min(rec.due_start, rec.due_end)
        for rec in recs[-3:]:
            rec.due_start = T0 + 30 * DAY
            rec.due_end = max(rec.due_end, rec.due_start)


def _refresh(tracker: Tracker, as_of: datetime) -> int:
    policy = tracker.policy
    with tracker.session() as session:
        version = refresh(session, as_of=as_of, grace=policy.grace, lead=policy.coming_due, tz=TZ)
    assert version is not None
    return version


def _compare(tracker: Tracker, copy: Facts, as_of: datetime) -> None:
    version = _refresh(tracker, as_of)
    policy = tracker.policy
    args = {"as_of": as_of, "grace": policy.grace, "lead": policy.coming_due, "tz": TZ}
    by = STATS_DIMENSIONS
    shape = {"age_bands": (18, 40, 65, 75), "suppress_below": 11, "postal_prefix": 3}
    with tracker.session() as session:
        copy.sync(session, version)
        assert copy.version == version
        for filters in FILTERS:
            want = stats(session, filters, by=by, manual_only=MANUAL, stored=True, **shape, **args)
            got = copy.stats(filters, as_of=as_of, by=by, manual_only=MANUAL, **shape)
            assert got == want, filters
            assert copy.overview(filters, as_of=as_of) == overview(
                session, filters, stored=True, **args
            ), filters
            assert copy.status_counts(filters) == status_counts(
                session, filters, stored=True, **args
            ), filters


def test_facts_equal_the_queries_through_writes_and_time(tracker: Tracker) -> None:
    _load(tracker, 400, seed=1)
    _boundaries(tracker)
    copy = Facts(TZ)
    as_of = T0
    _compare(tracker, copy, as_of)
    reads: list[int | None] = []
    read = copy._read

    def counting(session, ids):  # type: ignore[no-untyped-def]
        reads.append(None if ids is None else len(ids))
        read(session, ids)

    copy._read = counting  # type: ignore[method-assign]
    with tracker.session() as session:  # a person's decision
        rec = session.scalars(
            sa.select(Recommendation.id).where(Recommendation.state == "active").limit(1)
        ).one()
        close(session, rec, reason=CloseReason.DONE_ELSEWHERE, by="qa", at=as_of, note=None)
    _compare(tracker, copy, as_of)
    assert reads[-1] == 1
    with tracker.session() as session:  # a patient's details, a study's class
        patient = session.scalars(sa.select(Patient).limit(1)).one()
        patient.sex, patient.postal_code, patient.birth_date = "M", "60622", date(2001, 2, 3)
        study = session.scalars(sa.select(Study).order_by(Study.id.desc()).limit(1)).one()
        study.patient_class = "inpatient"
    _compare(tracker, copy, as_of)
    _load(tracker, 60, seed=2)  # new reports
    _compare(tracker, copy, as_of)
    for step in range(6):  # time passing: windows open, come due, pass their grace
        as_of += timedelta(days=23, hours=5 * step)
        _compare(tracker, copy, as_of)
    assert None not in reads  # every catch-up read only the rows the log listed


def test_a_copy_older_than_the_log_reads_everything(
    tracker: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    _load(tracker, 120, seed=3)
    stale, fresh = Facts(TZ), Facts(TZ)
    _compare(tracker, stale, T0)
    monkeypatch.setattr("radfollow.tracker.statuses.KEPT_VERSIONS", 2)
    for step in range(1, 5):
        with tracker.session() as session:
            rec = session.scalars(
                sa.select(Recommendation.id)
                .where(Recommendation.state == "active")
                .order_by(Recommendation.id)
                .offset(step)
                .limit(1)
            ).one()
            close(session, rec, reason=CloseReason.DECEASED, by="qa", at=T0, note=None)
        _compare(tracker, fresh, T0)
    with tracker.session() as session:
        assert session.scalar(sa.select(sa.func.min(StatusChange.version))) > 3
    _compare(tracker, stale, T0)  # its version's changes were pruned: read again, still equal


def test_another_policy_makes_the_copy_read_everything(tracker: Tracker) -> None:
    _load(tracker, 50, seed=4)
    copy = Facts(TZ)
    _compare(tracker, copy, T0)
    with tracker.session() as session:
        refresh(session, as_of=T0, grace=tracker.policy.grace + DAY, lead=DAY, tz=TZ)
        version = refresh(session, as_of=T0, grace=tracker.policy.grace, lead=DAY, tz=TZ)
        assert session.scalar(sa.select(sa.func.count()).where(StatusChange.recommendation_id == 0))
    reads: list[object] = []
    original = copy._read
    copy._read = lambda session, ids: reads.append(ids) or original(session, ids)  # type: ignore[method-assign]
    with tracker.session() as session:
        assert version is not None
        copy.sync(session, version)
    assert reads == [None]


def test_one_patients_figures_are_not_held() -> None:
    assert not Facts.holds(Filters(patient="MRN1"))
    assert not Facts.holds(Filters(statuses=["not yet reported"]))
    assert Facts.holds(Filters(site="SITE1", statuses=["overdue"]))
    assert facts_module._us(datetime(1970, 1, 2, tzinfo=UTC)) == 86_400_000_000


@pytest.mark.parametrize(
    ("dimension", "column"),
    [
        ("radiologist", Study.interpreter),
        ("provider", Study.ordering_provider),
        ("site", Study.facility),
        ("department", Study.department),
    ],
)
def test_known_values_are_every_distinct_stored_value(
    tracker: Tracker, dimension: str, column: sa.ColumnElement[str]
) -> None:
    """The filter lists' values (PostgreSQL: a loose index scan; SQLite: DISTINCT)."""
    _load(tracker, 40, seed=5)
    with tracker.session() as session:
        session.execute(sa.update(Study).where(Study.id % 7 == 0).values({column: ""}))
        stored = {v for v in session.scalars(sa.select(column)) if v}
        assert stored and len(stored) < 10
        assert known_values(session, dimension) == sorted(stored)
        session.execute(sa.update(Study).values({column: None}))
        assert known_values(session, dimension) == []


def test_an_older_version_is_not_read_again(tracker: Tracker) -> None:
    """A page whose refresh returned a version the copy has passed (another page
    caught up meanwhile) uses the copy as it is."""
    _load(tracker, 30, seed=6)
    copy = Facts(TZ)
    _compare(tracker, copy, T0)
    with tracker.session() as session:
        rec = session.scalars(sa.select(Recommendation.id).limit(1)).one()
        close(session, rec, reason=CloseReason.DECEASED, by="qa", at=T0, note=None)
    _compare(tracker, copy, T0)
    reads: list[object] = []
    original = copy._read
    copy._read = lambda session, ids: reads.append(ids) or original(session, ids)  # type: ignore[method-assign]
    with tracker.session() as session:
        assert copy.version is not None
        copy.sync(session, copy.version - 1)
    assert reads == []


def test_dates_far_from_now_are_read(tracker: Tracker) -> None:
    """Study and report times outside pandas' nanosecond range (1677-2262): HL7
    takes any four-digit year."""
    _load(tracker, 30, seed=7)
    with tracker.session() as session:
        studies = list(session.scalars(sa.select(Study).order_by(Study.id).limit(2)))
        studies[0].observed_at = datetime(2300, 1, 1, 3, tzinfo=UTC)
        studies[1].observed_at = datetime(1650, 6, 1, tzinfo=UTC)
        recs = list(session.scalars(sa.select(Recommendation).order_by(Recommendation.id)))
        recs[-1].reported_at = datetime(1650, 6, 1, 2, tzinfo=UTC)  # month in New York: May
    _compare(tracker, Facts(TZ), T0)
