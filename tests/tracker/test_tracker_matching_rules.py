"""Issue 14: the matching rules, each with a positive and a near-miss case, on SQLite
and PostgreSQL (``db_url``). Recommendations are given as records (no NLP), so
each case tests the tracker's rules only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from radfollow.errors import TrackerError
from radfollow.models import (
    Coding,
    ExtractionResult,
    Finding,
    OrderEvent,
    Patient,
    RadiologyReport,
    Recommendation,
)
from radfollow.tracker.db import Tracker
from radfollow.tracker.decisions import choose, unmatch
from radfollow.tracker.ingest import ingest
from radfollow.tracker.orders import ingest_order
from radfollow.tracker.queries import Filters, detail, worklist
from radfollow.tracker.review import CloseReason, close, reopen
from radfollow.tracker.schema import Recommendation as RecRow

Track = Callable[..., None]


def _at(day: str) -> datetime:
    return datetime.fromisoformat(day if "T" in day else day + "T09:00:00").replace(tzinfo=UTC)


@pytest.fixture()
def track(tracker: Tracker) -> Track:
    """Store one report; ``rec`` (a dict) adds one recommendation with its finding."""

    def _track(
        accession: str,
        when: str,
        procedure: str,
        modality: str | None,
        rec: dict[str, Any] | None = None,
        *,
        code: str | None = None,
        status: str = "F",
    ) -> None:
        text = (rec or {}).get("text", "IMPRESSION: Recommend follow-up.")
        report = RadiologyReport(
            control_id=f"M-{accession}-{status}",
            sending_facility="HOSP",
            patient=Patient(id="MRN1", assigning_authority="HOSP"),
            accession=accession,
            procedure={"text": procedure, "code": code},
            modality=modality,
            observation_time=_at(when),
            result_status=status,
            text=text,
        )
        result = ExtractionResult()
        if rec is not None:
            interval = rec.get("interval")
            result = ExtractionResult(
                findings=[
                    Finding(
                        id="f1",
                        type=rec.get("type", "other_mass"),
                        text="mass",
                        start=0,
                        end=4,
                        assertion="present",
                        incidental=True,
                        laterality=rec.get("side"),
                    )
                ],
                recommendations=[
                    Recommendation(
                        id="r1",
                        text=text,
                        start=0,
                        end=len(text),
                        modality_options=rec.get("options", []),
                        body_region=rec.get("region"),
                        interval_months=tuple(interval) if interval else None,
                        finding_id="f1",
                    )
                ],
            )
        with tracker.session() as session:
            ingest(session, report, result, tracker.policy)

    return _track


def _status(tracker: Tracker, day: str = "2030-01-01") -> tuple[str, str | None, list[str]]:
    """(status, completing accession, candidate accessions) of the one recommendation."""
    as_of = datetime.fromisoformat(day + "T23:59:59+00:00")
    with tracker.session() as session:
        rec_id = session.scalars(select(RecRow.id)).one()
        found = detail(session, rec_id, as_of=as_of, grace=tracker.policy.grace)
        assert found is not None
        return (
            found.row.status,
            found.row.completed_by,
            [c["accession"] for c in found.candidates],
        )


CT_CHEST_YEAR = {"options": ["CT"], "region": "chest", "interval": (12, 12)}

# (case id, recommending study, recommendation, later studies, expected status, completing)
CASES = [
    # Timing: a same-afternoon CT angiogram never completes a 1-year follow-up.
    (
        "same-day-cta",
        ("CT CHEST W/O CONTRAST", "CT"),
        CT_CHEST_YEAR,
        [("B", "2025-01-10T15:00:00", "CTA CHEST PE PROTOCOL", "CT")],
        "open",
        None,
    ),
    (
        "cta-a-year-later",
        ("CT CHEST W/O CONTRAST", "CT"),
        CT_CHEST_YEAR,
        [("B", "2026-01-12", "CTA CHEST PE PROTOCOL", "CT")],
        "completed",
        "B",
    ),
    (
        "one-day-before-minimum-delay",  # 12 months: 182 days -> 2025-07-11
        ("CT CHEST", "CT"),
        CT_CHEST_YEAR,
        [("B", "2025-07-10", "CT CHEST", "CT")],
        "open",
        None,
    ),
    (
        "at-minimum-delay-is-early",
        ("CT CHEST", "CT"),
        CT_CHEST_YEAR,
        [("B", "2025-07-11", "CT CHEST", "CT")],
        "completed",
        "B",
    ),
    # Procedure names as data.
    (
        "ct-abd-pelvis-slash",
        ("CT CHEST", "CT"),
        {"options": ["CT"], "region": "adrenal", "interval": (3, 6)},
        [("B", "2025-05-01", "CT ABD/PELVIS W/WO", "CT")],
        "completed",
        "B",
    ),
    (
        "us-retroperitoneal-kidney",
        ("CT ABDOMEN", "CT"),
        {"options": ["US"], "region": "kidney", "interval": (6, 6)},
        [("B", "2025-07-15", "US RETROPERITONEAL", "US")],
        "completed",
        "B",
    ),
    (
        "us-retroperitoneal-not-liver",
        ("CT ABDOMEN", "CT"),
        {"options": ["US"], "region": "liver", "interval": (6, 6)},
        [("B", "2025-07-15", "US RETROPERITONEAL", "US")],
        "open",
        None,
    ),
    (
        "us-soft-tissues-head-neck-thyroid",
        ("CT CHEST", "CT"),
        {"options": ["US"], "region": "thyroid", "interval": None},
        [("B", "2025-02-01", "US SOFT TISSUES HEAD AND NECK", "US")],
        "completed",
        "B",
    ),
    (
        "us-thyroid-not-ct-neck",
        ("CT CHEST", "CT"),
        {"options": ["CT"], "region": "neck", "interval": None},
        [("B", "2025-02-01", "US THYROID", "US")],
        "due",
        None,
    ),
    # Anatomy: a narrower or other region never fulfils.
    (
        "ct-chest-not-adrenal",
        ("CT CHEST", "CT"),
        {"options": ["CT"], "region": "adrenal", "interval": None},
        [("B", "2025-02-01", "CT CHEST W CONTRAST", "CT")],
        "due",
        None,
    ),
    (
        "cta-head-neck-not-chest",
        ("CT CHEST", "CT"),
        {"options": ["CT"], "region": "chest", "interval": (3, 3)},
        [("B", "2025-04-15", "CTA HEAD AND NECK", "CT")],
        "due",
        None,
    ),
    (
        "pet-ct-for-ct-chest",
        ("CT CHEST", "CT"),
        {"options": ["CT"], "region": "chest", "interval": (3, 3)},
        [("B", "2025-04-15", "PET/CT SKULL BASE TO MID THIGH", "PET")],
        "completed",
        "B",
    ),
    # Alternatives ("CT or MRI").
    (
        "alternative-mr",
        ("CT ABDOMEN", "CT"),
        {"options": ["CT", "MR"], "region": "adrenal", "interval": None},
        [("B", "2025-02-01", "MRI ABDOMEN W/WO", "MR")],
        "completed",
        "B",
    ),
    (
        "alternative-not-us",
        ("CT ABDOMEN", "CT"),
        {"options": ["CT", "MR"], "region": "adrenal", "interval": None},
        [("B", "2025-02-01", "US ABDOMEN COMPLETE", "US")],
        "due",
        None,
    ),
    # Laterality.
    (
        "left-not-right",
        ("MG DIAG MAMMO LT", "MG"),
        {"options": ["US"], "region": "breast", "interval": (6, 6), "side": "left"},
        [("B", "2025-07-15", "US BREAST RIGHT LIMITED", "US")],
        "open",
        None,
    ),
    (
        "left-by-bilateral",
        ("MG DIAG MAMMO LT", "MG"),
        {"options": ["US"], "region": "breast", "interval": (6, 6), "side": "left"},
        [("B", "2025-07-15", "US BREAST BILAT", "US")],
        "completed",
        "B",
    ),
    (
        "left-not-right-one-letter",
        ("MG DIAG MAMMO LT", "MG"),
        {"options": ["MG"], "region": "breast", "interval": (6, 6), "side": "left"},
        [("B", "2025-07-15", "MAMMO DIAG R", "MG")],
        "open",
        None,
    ),
    # A study that may show the region only in part goes to a person.
    (
        "ruq-us-for-kidney-weak",
        ("CT ABDOMEN", "CT"),
        {"options": ["US"], "region": "kidney", "interval": (6, 6), "side": "left"},
        [("B", "2025-07-15", "US RIGHT UPPER QUADRANT", "US")],
        "needs_review",
        None,
    ),
    (
        "pet-skull-base-not-head",
        ("CT HEAD", "CT"),
        {"options": ["CT"], "region": "head", "interval": (6, 6)},
        [("B", "2025-07-15", "PET/CT SKULL BASE TO THIGH", "PET")],
        "open",
        None,
    ),
    # Kinds: biopsy by any guidance; a biopsy fulfils no imaging follow-up.
    (
        "biopsy-by-us-guided-fna",
        ("US THYROID", "US"),
        {"options": ["BIOPSY"], "region": "thyroid", "interval": None},
        [("B", "2025-01-20", "US GUIDED BIOPSY THYROID", "US")],
        "completed",
        "B",
    ),
    (
        "neck-node-fna-for-thyroid-biopsy-weak",
        ("US THYROID", "US"),
        {"options": ["BIOPSY"], "region": "thyroid", "interval": None},
        [("B", "2025-01-20", "US FNA NECK LYMPH NODE", "US")],
        "needs_review",
        None,
    ),
    (
        "biopsy-not-for-us",
        ("US THYROID", "US"),
        {"options": ["US"], "region": "thyroid", "interval": (12, 12)},
        [("B", "2026-01-20", "FNA THYROID", "US")],
        "overdue",
        None,
    ),
    (
        "screening-for-diagnostic-needs-review",
        ("MG DIAG MAMMO BILAT", "MG"),
        {"options": ["MG"], "region": "breast", "interval": (6, 6)},
        [("B", "2025-07-15", "BILAT SCREENING MAMMO", "MG")],
        "needs_review",
        None,
    ),
    (
        "screening-for-screening",
        ("MG DIAG MAMMO BILAT", "MG"),
        {
            "options": ["MG"],
            "region": "breast",
            "interval": (12, 12),
            "text": "Recommend screening mammogram in 1 year.",
        },
        [("B", "2026-01-15", "BILAT SCREENING MAMMO", "MG")],
        "completed",
        "B",
    ),
    # The finding's organ is the region of a recommendation that names none.
    (
        "liver-biopsy-not-by-kidney-biopsy",
        ("CT ABDOMEN", "CT"),
        {"options": ["BIOPSY"], "region": None, "interval": None, "type": "hepatic_lesion"},
        [("B", "2025-01-20", "IR KIDNEY BIOPSY RIGHT", "CT")],
        "overdue",
        None,
    ),
    (
        "adnexal-us-after-ct-ap",
        ("CT ABD/PELVIS W CONTRAST", "CT"),
        {"options": ["US"], "region": None, "interval": (1.5, 1.5), "type": "adnexal_lesion"},
        [("B", "2025-03-01", "US PELVIS TRANSVAGINAL", "US")],
        "completed",
        "B",
    ),
    (
        "narrower-than-the-inferred-region-weak",
        ("CT ABD/PELVIS W CONTRAST", "CT"),
        {"options": ["US"], "region": None, "interval": (1.5, 1.5)},
        [("B", "2025-03-01", "US ABDOMEN GALLBLADDER", "US")],
        "needs_review",
        None,
    ),
    (
        "biopsy-or-mri-by-mri",
        ("CT ABDOMEN", "CT"),
        {"options": ["BIOPSY", "MR"], "region": "liver", "interval": None},
        [("B", "2025-02-01", "MRI ABDOMEN W/WO", "MR")],
        "completed",
        "B",
    ),
    # Non-imaging recommendations wait for a person.
    (
        "consult-never-auto",
        ("CT CHEST", "CT"),
        {"options": ["CONSULT"], "region": None, "interval": None},
        [("B", "2025-02-01", "CT CHEST", "CT")],
        "overdue",
        None,
    ),
    # A procedure the table does not understand: modality only, a person decides.
    (
        "unknown-procedure-weak",
        ("CT CHEST", "CT"),
        {"options": ["CT"], "region": "chest", "interval": (3, 3)},
        [("B", "2025-04-15", "OUTSIDE FILM READ", "CT")],
        "needs_review",
        None,
    ),
]


@pytest.mark.parametrize(
    ("recommending", "rec", "later", "status", "completing"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_matching_rule(
    tracker: Tracker,
    track: Track,
    recommending: tuple[str, str],
    rec: dict[str, Any],
    later: list[tuple[str, str, str, str]],
    status: str,
    completing: str | None,
) -> None:
    track("A", "2025-01-10", *recommending, rec)
    for accession, when, procedure, modality in later:
        track(accession, when, procedure, modality)
    as_of = {"open": "2025-01-20", "due": "2025-05-01"}.get(status, "2026-03-01")
    assert _status(tracker, as_of)[:2] == (status, completing)


def test_two_qualifying_studies_go_to_a_person(tracker: Tracker, track: Track) -> None:
    """The report arrives after both studies: neither is chosen silently."""
    track("B", "2025-04-10", "CT CHEST", "CT")
    track("C", "2025-04-20", "CT CHEST W CONTRAST", "CT")
    track("A", "2025-01-10", "CT CHEST", "CT", {"options": ["CT"], "region": "chest"})
    assert _status(tracker) == ("needs_review", None, ["B", "C"])
    with tracker.session() as session:
        rec_id = session.scalars(select(RecRow.id)).one()
        choose(session, rec_id, accession="C", by="qa", note=None, at=datetime.now(UTC))
    assert _status(tracker) == ("completed", "C", [])


def test_one_qualifying_study_completes(tracker: Tracker, track: Track) -> None:
    track("B", "2025-04-10", "CT CHEST", "CT")
    track("C", "2025-04-20", "MRI BRAIN", "MR")
    track("A", "2025-01-10", "CT CHEST", "CT", {"options": ["CT"], "region": "chest"})
    assert _status(tracker) == ("completed", "B", [])


def test_unmatch_sends_back_and_never_picks_that_study_again(
    tracker: Tracker, track: Track
) -> None:
    track("A", "2025-01-10", "CT CHEST", "CT", {"options": ["CT"], "region": "chest"})
    track("B", "2025-02-10", "CT CHEST", "CT")
    assert _status(tracker)[:2] == ("completed", "B")
    with tracker.session() as session:
        rec_id = session.scalars(select(RecRow.id)).one()
        gone = unmatch(session, rec_id, by="qa", reason="wrong exam", at=datetime.now(UTC))
    assert gone == ["B"]
    assert _status(tracker, "2025-03-01")[:2] == ("due", None)
    track("B", "2025-02-10", "CT CHEST", "CT", status="C")  # its correction: same exam
    assert _status(tracker, "2025-03-01")[:2] == ("due", None)
    track("D", "2025-03-05", "CT CHEST", "CT")
    assert _status(tracker, "2025-03-10")[:2] == ("completed", "D")
    with tracker.session() as session:
        actions = [
            a["action"]
            for a in detail(
                session, rec_id, as_of=_at("2030-01-01"), grace=tracker.policy.grace
            ).audit
        ]  # type: ignore[union-attr]
    assert "unmatched" in actions


@pytest.mark.parametrize("by", ["", "   "])
def test_unmatch_needs_an_actor(tracker: Tracker, track: Track, by: str) -> None:
    track("A", "2025-01-10", "CT CHEST", "CT", {"options": ["CT"], "region": "chest"})
    track("B", "2025-02-10", "CT CHEST", "CT")
    with tracker.session() as session, pytest.raises(TrackerError, match="--by"):
        unmatch(session, 1, by=by, reason="x", at=datetime.now(UTC))


def test_unmatch_of_an_open_recommendation_is_refused(tracker: Tracker, track: Track) -> None:
    track("A", "2025-01-10", "CT CHEST", "CT", {"options": ["CT"], "region": "chest"})
    with tracker.session() as session:
        rec_id = session.scalars(select(RecRow.id)).one()
        with pytest.raises(TrackerError, match="neither completed nor in review"):
            unmatch(session, rec_id, by="qa", reason="x", at=datetime.now(UTC))


def _order(event: str, number: str, when: str, scheduled: str | None) -> OrderEvent:
    return OrderEvent(
        control_id=f"O-{number}-{event}-{when}",
        message_type="SIU^S12",
        event=event,
        event_time=_at(when),
        patient=Patient(id="MRN1", assigning_authority="HOSP"),
        placer_order_number=number,
        procedure={"text": "CT CHEST W/O CONTRAST"},
        modality="CT",
        scheduled_time=_at(scheduled) if scheduled else None,
    )


@pytest.mark.parametrize(
    ("events", "status"),
    [
        pytest.param([("scheduled", "2025-12-20", "2026-01-12")], "scheduled", id="scheduled"),
        pytest.param(
            [("scheduled", "2025-12-20", "2026-01-12"), ("cancelled", "2025-12-28", None)],
            "due",
            id="cancelled-back-to-due",
        ),
        pytest.param(
            [("ordered", "2025-12-20", "2026-01-12"), ("no_show", "2026-01-12", None)],
            "due",
            id="no-show-back-to-due",
        ),
        pytest.param(
            [("scheduled", "2025-01-10T15:00:00", "2025-01-11")], "due", id="too-soon-not-fit"
        ),
    ],
)
def test_orders_and_appointments(
    tracker: Tracker, track: Track, events: list[tuple[str, str, str | None]], status: str
) -> None:
    track("A", "2025-01-10", "CT CHEST", "CT", CT_CHEST_YEAR)
    for kind, when, scheduled in events:
        with tracker.session() as session:
            ingest_order(session, _order(kind, "ORD1", when, scheduled), tracker.policy)
    assert _status(tracker, "2026-01-20")[0] == status


def test_an_order_stored_before_the_report_schedules_it(tracker: Tracker, track: Track) -> None:
    with tracker.session() as session:
        ingest_order(session, _order("ordered", "ORD1", "2025-01-05", "2026-01-12"), tracker.policy)
    track("A", "2025-01-10", "CT CHEST", "CT", CT_CHEST_YEAR)
    assert _status(tracker, "2026-01-05")[0] == "scheduled"
    track("B", "2026-01-12", "CT CHEST", "CT")
    assert _status(tracker, "2026-01-20")[:2] == ("completed", "B")


@pytest.mark.parametrize(
    ("as_of", "status"),
    [
        # window 2025-07-10 09:00 .. 2025-07-10; grace 30 days; lead 30 days
        ("2025-06-09", "open"),
        ("2025-06-10", "coming_due"),
        ("2025-07-10", "due"),
        ("2025-08-09", "due"),  # the last day of the grace period
        ("2025-08-10", "overdue"),
    ],
)
def test_status_boundaries(tracker: Tracker, track: Track, as_of: str, status: str) -> None:
    track(
        "A",
        "2025-01-10",
        "CT CHEST",
        "CT",
        {"options": ["CT"], "region": "chest", "interval": (6, 6)},
    )
    assert _status(tracker, as_of)[0] == status


def test_worklist_filters_several_statuses(tracker: Tracker, track: Track) -> None:
    track("A", "2025-01-10", "CT CHEST", "CT", CT_CHEST_YEAR)
    as_of = _at("2025-03-01")
    with tracker.session() as session:
        grace = tracker.policy.grace
        assert worklist(
            session, Filters(statuses=["open", "due"]), as_of=as_of, grace=grace, limit=None
        )
        assert not worklist(
            session, Filters(statuses=["due", "overdue"]), as_of=as_of, grace=grace, limit=None
        )


def test_a_strong_study_decides_over_weak_candidates(tracker: Tracker, track: Track) -> None:
    track("A", "2025-01-10", "CT ABDOMEN", "CT", {"options": ["CT"], "region": "adrenal"})
    track("B", "2025-02-01", "OUTSIDE FILM READ", "CT")
    assert _status(tracker)[0] == "needs_review"
    track("C", "2025-03-01", "CT ADRENAL PROTOCOL", "CT")
    assert _status(tracker) == ("completed", "C", [])


def test_versions_of_one_later_study_are_one_candidate(tracker: Tracker, track: Track) -> None:
    """The follow-up arrives as preliminary then final, before the recommending report."""
    track("B", "2025-04-10", "CT CHEST", "CT", status="P")
    track("B", "2025-04-10", "CT CHEST", "CT", status="F")
    track("A", "2025-01-10", "CT CHEST", "CT", {"options": ["CT"], "region": "chest"})
    assert _status(tracker)[:2] == ("completed", "B")


def test_an_unmatch_survives_a_correction_of_the_recommending_report(
    tracker: Tracker, track: Track
) -> None:
    rec = {"options": ["CT"], "region": "chest"}
    track("A", "2025-01-10", "CT CHEST", "CT", rec)
    track("B", "2025-02-10", "CT CHEST", "CT")
    with tracker.session() as session:
        (rec_id,) = session.scalars(select(RecRow.id)).all()
        unmatch(session, rec_id, by="qa", reason="wrong exam", at=datetime.now(UTC))
    track("A", "2025-01-10", "CT CHEST", "CT", rec, status="C")  # re-extracts it
    with tracker.session() as session:
        rows = worklist(
            session,
            Filters(),
            as_of=_at("2025-03-01"),
            grace=tracker.policy.grace,
            limit=None,
        )
    assert sorted(r.status for r in rows) == ["due", "superseded"]


def _book(tracker: Tracker, event: OrderEvent) -> str:
    with tracker.session() as session:
        return ingest_order(session, event, tracker.policy).status


def test_cancelling_one_of_two_appointments_keeps_it_scheduled(
    tracker: Tracker, track: Track
) -> None:
    track("A", "2025-01-10", "CT CHEST", "CT", CT_CHEST_YEAR)
    _book(tracker, _order("scheduled", "APT1", "2025-12-01", "2026-01-12"))
    _book(tracker, _order("scheduled", "APT2", "2025-12-02", "2026-01-14"))
    _book(tracker, _order("cancelled", "APT1", "2025-12-05", None))
    assert _status(tracker, "2026-01-05")[0] == "scheduled"


def test_an_appointment_changed_to_another_study_unschedules(
    tracker: Tracker, track: Track
) -> None:
    track("A", "2025-01-10", "CT CHEST", "CT", CT_CHEST_YEAR)
    _book(tracker, _order("scheduled", "APT1", "2025-12-01", "2026-01-12"))
    changed = _order("scheduled", "APT1", "2025-12-03", "2026-01-12").model_copy(
        update={"procedure": Coding(text="US PELVIS"), "modality": "US", "control_id": "O-2"}
    )
    _book(tracker, changed)
    assert _status(tracker, "2026-01-05")[0] == "coming_due"


@pytest.mark.parametrize(
    ("late", "outcome"),
    [
        pytest.param(("scheduled", "APT1", "2025-11-20", "2026-01-12"), "ignored", id="older"),
        pytest.param(("cancelled", "APT1", "2025-12-05", None), "duplicate", id="resent"),
    ],
)
def test_late_or_resent_order_messages_change_nothing(
    tracker: Tracker, track: Track, late: tuple[str, str, str, str | None], outcome: str
) -> None:
    track("A", "2025-01-10", "CT CHEST", "CT", CT_CHEST_YEAR)
    _book(tracker, _order("scheduled", "APT1", "2025-12-01", "2026-01-12"))
    _book(tracker, _order("cancelled", "APT1", "2025-12-05", None))
    assert _book(tracker, _order(*late)) == outcome
    assert _status(tracker, "2026-01-05")[0] == "coming_due"


@pytest.mark.parametrize(
    ("as_of", "status"), [("2026-02-10", "scheduled"), ("2026-02-12", "overdue")]
)
def test_a_booked_study_that_never_came_lapses(
    tracker: Tracker, track: Track, as_of: str, status: str
) -> None:
    """Planned 2026-01-12 09:00; 30 days (the grace period) after it, it no longer counts
    and the recommendation is what its window says (due until 2026-02-09, then overdue)."""
    track("A", "2025-01-10", "CT CHEST", "CT", CT_CHEST_YEAR)
    _book(tracker, _order("scheduled", "APT1", "2025-12-01", "2026-01-12"))
    assert _status(tracker, as_of)[0] == status


def _rec_id(tracker: Tracker) -> int:
    with tracker.session() as session:
        return session.scalars(select(RecRow.id).where(RecRow.state != "superseded")).one()


def test_unmatch_looks_at_the_other_stored_studies(tracker: Tracker, track: Track) -> None:
    track("A", "2025-01-10", "CT CHEST", "CT", {"options": ["CT"], "region": "chest"})
    track("B", "2025-02-10", "CT CHEST", "CT")
    track("C", "2025-02-20", "CT CHEST W CONTRAST", "CT")
    with tracker.session() as session:
        unmatch(
            session,
            _rec_id(tracker),
            by="qa",
            reason="outside read",
            at=datetime.now(UTC),
            policy=tracker.policy,
        )
    assert _status(tracker)[:2] == ("completed", "C")


def test_reopen_matches_the_studies_stored_meanwhile(tracker: Tracker, track: Track) -> None:
    track("A", "2025-01-10", "CT CHEST", "CT", {"options": ["CT"], "region": "chest"})
    with tracker.session() as session:
        close(
            session,
            _rec_id(tracker),
            reason=CloseReason.NOT_INDICATED,
            by="qa",
            at=_at("2025-01-15"),
            note=None,
        )
    track("B", "2025-02-10", "CT CHEST", "CT")
    assert _status(tracker)[0] == "closed"
    with tracker.session() as session:
        reopen(
            session,
            _rec_id(tracker),
            by="qa",
            at=_at("2025-03-01"),
            note=None,
            policy=tracker.policy,
        )
    assert _status(tracker)[:2] == ("completed", "B")


def test_a_persons_match_holds_for_the_corrected_study(tracker: Tracker, track: Track) -> None:
    track("A", "2025-01-10", "CT CHEST", "CT", {"options": ["CT"], "region": "chest"})
    track("B", "2025-02-10", "MRI CHEST", "MR")
    with tracker.session() as session:
        choose(session, _rec_id(tracker), accession="B", by="qa", note=None, at=datetime.now(UTC))
    track("B", "2025-02-10", "MRI CHEST", "MR", status="C")
    assert _status(tracker)[:2] == ("completed", "B")


def test_a_cancelled_study_cannot_be_chosen(tracker: Tracker, track: Track) -> None:
    track("A", "2025-01-10", "CT CHEST", "CT", {"options": ["CT"], "region": "chest"})
    track("B", "2025-02-10", "MRI CHEST", "MR")
    track("B", "2025-02-10", "MRI CHEST", "MR", status="X")
    with tracker.session() as session, pytest.raises(TrackerError, match="cancelled"):
        choose(session, _rec_id(tracker), accession="B", by="qa", note=None, at=datetime.now(UTC))


def test_a_correction_supersedes_a_closed_recommendation(tracker: Tracker, track: Track) -> None:
    rec = {"options": ["CT"], "region": "chest", "interval": (12, 12)}
    track("A", "2025-01-10", "CT CHEST", "CT", rec)
    with tracker.session() as session:
        close(
            session,
            _rec_id(tracker),
            reason=CloseReason.PATIENT_DECLINED,
            by="qa",
            at=_at("2025-01-15"),
            note=None,
        )
    track("A", "2025-01-10", "CT CHEST", "CT", rec, status="C")
    with tracker.session() as session:
        rows = worklist(
            session, Filters(), as_of=_at("2025-03-01"), grace=tracker.policy.grace, limit=None
        )
    assert sorted(r.status for r in rows) == ["open", "superseded"]  # not closed twice
