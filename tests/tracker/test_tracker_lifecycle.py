"""The tracker's lifecycle on SQLite and PostgreSQL: windows, statuses, matching, corrections."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from radfollow.errors import TrackerError
from radfollow.tracker.queries import Filters, detail, stats, worklist
from radfollow.tracker.review import CloseReason, close, reopen
from radfollow.tracker.schema import Recommendation

CHEST = (
    "FINDINGS: 6 mm nodule in the right upper lobe.\n"
    "IMPRESSION: Recommend follow-up CT chest in {}."
)
ADRENAL = "FINDINGS: Left adrenal nodule measuring 1.5 cm.\nIMPRESSION: Recommend adrenal MRI."
CLEAR = "FINDINGS: Stable 6 mm nodule in the right upper lobe.\nIMPRESSION: Stable nodule."


def _as_of(day: str) -> datetime:
    return datetime.fromisoformat(day + "T12:00:00+00:00")


def _rows(tracker, day: str, **filters):  # type: ignore[no-untyped-def]
    with tracker.session() as session:
        return worklist(
            session, Filters(**filters), as_of=_as_of(day), grace=tracker.policy.grace, limit=None
        )


def test_issue_scenario(tracker, feed) -> None:  # type: ignore[no-untyped-def]
    """The issue's sequence.

    CT chest with a 6-12 month follow-up, corrected to 3 months; a CT abdomen
    recommending adrenal MRI; a CT chest three months later; listed a year on.
    """
    feed(
        CHEST.format("6-12 months"),
        when="2025-01-10",
        accession="A1",
        control="M1",
        procedure="CT CHEST WITHOUT CONTRAST",
        modality="CT",
    )
    corrected = feed(
        CHEST.format("3 months"),
        when="2025-01-10",
        accession="A1",
        control="M2",
        procedure="CT CHEST WITHOUT CONTRAST",
        modality="CT",
        status="C",
    )
    assert corrected.superseded == 1
    feed(
        ADRENAL,
        when="2025-02-01",
        accession="A2",
        control="M3",
        procedure="CT ABDOMEN WITH CONTRAST",
        modality="CT",
    )
    later = feed(
        CLEAR,
        when="2025-04-15",
        accession="A3",
        control="M4",
        procedure="CT CHEST WITHOUT CONTRAST",
        modality="CT",
    )
    assert len(later.completed) == 1
    rows = {
        (r.accession, (r.interval_min, r.interval_max) if r.interval_min is not None else None): r
        for r in _rows(tracker, "2026-01-15")
    }
    assert rows[("A1", (6.0, 12.0))].status == "superseded"
    current = rows[("A1", (3.0, 3.0))]
    assert current.status == "completed" and current.completed_by == "A3"
    adrenal = rows[("A2", None)]
    assert (adrenal.status, adrenal.modality, adrenal.window) == ("overdue", "MR", "default")
    with tracker.session() as session:
        shown = detail(session, current.id, as_of=_as_of("2026-01-15"), grace=tracker.policy.grace)
    assert shown is not None and "A3" in (shown.completion_reason or "")
    assert "modality CT fulfils CT" in (shown.completion_reason or "")
    assert [a["action"] for a in shown.audit] == ["created", "completed"]
    assert "Recommend follow-up CT chest in 3 months." in shown.context


@pytest.mark.parametrize(
    ("day", "status"),
    [
        ("2025-01-11", "open"),
        ("2025-07-10", "due"),
        ("2026-02-01", "due"),
        ("2026-02-20", "overdue"),
    ],
)
def test_status_follows_the_window_and_grace(tracker, feed, day: str, status: str) -> None:  # type: ignore[no-untyped-def]
    feed(
        CHEST.format("6-12 months"),
        when="2025-01-10",
        accession="A1",
        control="M1",
        procedure="CT CHEST",
        modality="CT",
    )
    assert [r.status for r in _rows(tracker, day)] == [status]


def test_nothing_is_listed_before_its_report(tracker, feed) -> None:  # type: ignore[no-untyped-def]
    feed(
        CHEST.format("6 months"),
        when="2025-01-10",
        accession="A1",
        control="M1",
        procedure="CT CHEST",
        modality="CT",
    )
    assert _rows(tracker, "2025-01-01") == []


@pytest.mark.parametrize(
    ("sentence", "procedure", "modality", "completes"),
    [
        ("Recommend PET/CT.", "PET CT SKULL BASE TO THIGH", "PET", True),
        ("Recommend adrenal MRI.", "MR ABDOMEN WITH AND WITHOUT CONTRAST", "MR", True),
        ("Recommend adrenal MRI.", "MR BRAIN", "MR", False),
        ("Recommend CT chest in 3 months.", "XR CHEST PA AND LATERAL", "XR", False),
        ("Recommend chest radiograph in 6 weeks.", "CT CHEST", "CT", True),
        ("Recommend follow-up imaging in 6 weeks.", "CT CHEST", "CT", True),
        ("Recommend follow-up imaging in 6 weeks.", "US ABDOMEN", "US", False),
        # issue 14: 7 weeks on is before the minimum delay of a 6-month follow-up
        ("Recommend follow-up imaging in 6 months.", "CT CHEST", "CT", False),
        ("Recommend biopsy.", "CT CHEST", "CT", False),
        # issue 12: any acceptable alternative ("CT or MRI") is fulfilled
        ("Recommend adrenal CT or MRI.", "MR ABDOMEN", "MR", True),
        ("Recommend adrenal MRI or, if contraindicated, CT.", "CT ABDOMEN", "CT", True),
        ("Recommend adrenal CT or MRI.", "US ABDOMEN", "US", False),
        ("Recommend adrenal MRI, compared with the prior CT.", "CT ABDOMEN", "CT", False),
    ],
)
def test_what_fulfils_what(tracker, feed, sentence, procedure, modality, completes) -> None:  # type: ignore[no-untyped-def]
    feed(
        f"FINDINGS: Nodule in the right upper lobe.\nIMPRESSION: {sentence}",
        when="2025-01-10",
        accession="A1",
        control="M1",
        procedure="CT CHEST",
        modality="CT",
    )
    outcome = feed(
        "IMPRESSION: No acute findings.",
        when="2025-03-01",
        accession="A2",
        control="M2",
        procedure=procedure,
        modality=modality,
    )
    assert bool(outcome.completed) is completes


def test_a_study_that_arrives_first_still_completes(tracker, feed) -> None:  # type: ignore[no-untyped-def]
    feed(
        "IMPRESSION: Stable.",
        when="2025-05-01",
        accession="A2",
        control="M2",
        procedure="CT CHEST",
        modality="CT",
    )
    outcome = feed(
        CHEST.format("3 months"),
        when="2025-01-10",
        accession="A1",
        control="M1",
        procedure="CT CHEST",
        modality="CT",
    )
    assert len(outcome.completed) == 1


def test_earlier_study_never_completes(tracker, feed) -> None:  # type: ignore[no-untyped-def]
    feed(
        "IMPRESSION: Stable.",
        when="2024-05-01",
        accession="A0",
        control="M0",
        procedure="CT CHEST",
        modality="CT",
    )
    outcome = feed(
        CHEST.format("3 months"),
        when="2025-01-10",
        accession="A1",
        control="M1",
        procedure="CT CHEST",
        modality="CT",
    )
    assert outcome.completed == []


def test_other_patients_never_complete(tracker, feed) -> None:  # type: ignore[no-untyped-def]
    feed(
        CHEST.format("3 months"),
        when="2025-01-10",
        accession="A1",
        control="M1",
        procedure="CT CHEST",
        modality="CT",
    )
    outcome = feed(
        "IMPRESSION: Stable.",
        when="2025-04-01",
        accession="B1",
        control="N1",
        procedure="CT CHEST",
        modality="CT",
        patient="MRN2",
    )
    assert outcome.completed == []


@pytest.mark.parametrize(
    ("second", "expected"),
    [
        ({"control": "M1"}, "duplicate"),
        ({"control": "M9"}, "duplicate"),
        ({"control": "M9", "status": "P"}, "ignored"),
    ],
)
def test_idempotent(tracker, feed, second, expected) -> None:  # type: ignore[no-untyped-def]
    base = {"when": "2025-01-10", "accession": "A1", "procedure": "CT CHEST", "modality": "CT"}
    assert feed(CHEST.format("3 months"), control="M1", **base).status == "stored"
    again = feed(CHEST.format("3 months"), **{**base, **second})
    assert again.status == expected
    assert len(_rows(tracker, "2025-06-01")) == 1


def test_final_replaces_preliminary(tracker, feed) -> None:  # type: ignore[no-untyped-def]
    base = {"when": "2025-01-10", "accession": "A1", "procedure": "CT CHEST", "modality": "CT"}
    feed(CHEST.format("3 months"), control="M1", status="P", **base)
    final = feed(CHEST.format("6 months"), control="M2", status="F", **base)
    assert final.superseded == 1
    statuses = sorted((r.status, r.interval_min) for r in _rows(tracker, "2025-02-01"))
    assert statuses == [("open", 6.0), ("superseded", 3.0)]


def test_close_and_reopen_are_audited(tracker, feed) -> None:  # type: ignore[no-untyped-def]
    feed(
        CHEST.format("3 months"),
        when="2025-01-10",
        accession="A1",
        control="M1",
        procedure="CT CHEST",
        modality="CT",
    )
    rec_id = _rows(tracker, "2025-02-01")[0].id
    closed_at = datetime(2025, 3, 1, tzinfo=UTC)
    with tracker.session() as session:
        close(
            session,
            rec_id,
            reason=CloseReason.DONE_ELSEWHERE,
            by="qa1",
            at=closed_at,
            note="outside CT 2025-02-20",
        )
    assert _rows(tracker, "2025-03-02")[0].status == "closed"
    assert _rows(tracker, "2025-02-01")[0].status == "open"  # as of before the closure
    with tracker.session() as session, pytest.raises(TrackerError, match="already closed"):
        close(session, rec_id, reason=CloseReason.DECEASED, by="qa1", at=closed_at, note=None)
    with tracker.session() as session:
        reopen(session, rec_id, by="qa2", at=datetime(2025, 3, 5, tzinfo=UTC), note="wrong patient")
        shown = detail(session, rec_id, as_of=_as_of("2025-03-06"), grace=tracker.policy.grace)
    assert shown is not None
    assert [(a["action"], a["actor"]) for a in shown.audit] == [
        ("created", "radfollow"),
        ("closed", "qa1"),
        ("reopened", "qa2"),
    ]
    assert shown.audit[1]["reason"] == "done elsewhere: outside CT 2025-02-20"


def test_superseded_cannot_be_closed(tracker, feed) -> None:  # type: ignore[no-untyped-def]
    base = {"when": "2025-01-10", "accession": "A1", "procedure": "CT CHEST", "modality": "CT"}
    feed(CHEST.format("3 months"), control="M1", **base)
    feed(CHEST.format("6 months"), control="M2", status="C", **base)
    old = next(r for r in _rows(tracker, "2025-02-01") if r.status == "superseded")
    with tracker.session() as session, pytest.raises(TrackerError, match="superseded"):
        close(
            session,
            old.id,
            reason=CloseReason.NOT_INDICATED,
            by="qa",
            at=datetime.now(UTC),
            note=None,
        )


def test_stats(tracker, feed) -> None:  # type: ignore[no-untyped-def]
    feed(
        CHEST.format("3 months"),
        when="2025-01-10",
        accession="A1",
        control="M1",
        procedure="CT CHEST",
        modality="CT",
    )
    feed(
        ADRENAL,
        when="2025-02-01",
        accession="A2",
        control="M2",
        procedure="CT ABDOMEN",
        modality="CT",
    )
    feed(
        CLEAR, when="2025-04-20", accession="A3", control="M3", procedure="CT CHEST", modality="CT"
    )
    with tracker.session() as session:
        rows = stats(session, Filters(), as_of=_as_of("2026-01-01"), grace=tracker.policy.grace)
    overall = rows[0]
    assert (overall.group, overall.recommendations, overall.completed, overall.overdue) == (
        "all",
        2,
        1,
        1,
    )
    assert (overall.adherent, overall.adherence, overall.closed_loop_rate) == (1, 0.5, 0.5)
    assert overall.median_days_to_completion == 100.0
    assert {(r.group, r.value) for r in rows} >= {("modality", "CT"), ("modality", "MR")}


@pytest.mark.parametrize(
    ("modality", "options", "acceptable"),
    [
        ("CT", "CT MR", ["CT", "MR"]),
        ("CT", None, ["CT"]),  # a row stored before migration 0006
        (None, None, []),
    ],
)
def test_acceptable_modalities(modality, options, acceptable) -> None:  # type: ignore[no-untyped-def]
    rec = Recommendation(modality=modality, modality_options=options)
    assert rec.acceptable_modalities() == acceptable


def test_completion_reason_names_the_alternatives(tracker, feed) -> None:  # type: ignore[no-untyped-def]
    feed(
        "FINDINGS: Adrenal nodule.\nIMPRESSION: Recommend adrenal CT or MRI.",
        when="2025-01-10",
        accession="A1",
        control="M1",
        procedure="CT CHEST",
        modality="CT",
    )
    outcome = feed(
        CLEAR,
        when="2025-03-01",
        accession="A2",
        control="M2",
        procedure="MR ABDOMEN",
        modality="MR",
    )
    (rec_id,) = outcome.completed
    with tracker.session() as session:
        shown = detail(session, rec_id, as_of=_as_of("2025-04-01"), grace=tracker.policy.grace)
    assert shown is not None
    assert "modality MR fulfils MR (one of CT or MR)" in (shown.completion_reason or "")
