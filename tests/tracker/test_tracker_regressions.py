"""Regressions from review: multi-OBR messages, stale versions after a correction."""

from __future__ import annotations

from datetime import datetime

from radfollow.models import Patient, RadiologyReport, ResultStatus
from radfollow.nlp.extract import ReportText
from radfollow.tracker.ingest import ingest
from radfollow.tracker.queries import Filters, worklist


def _report(accession: str, text: str, status: str = "F", control: str = "M1") -> RadiologyReport:
    return RadiologyReport(
        control_id=control,
        sending_facility="HOSP",
        patient=Patient(id="MRN1", assigning_authority="HOSP"),
        accession=accession,
        procedure={"text": "CT CHEST AND ABDOMEN"},
        modality="CT",
        observation_time=datetime.fromisoformat("2025-01-10T10:00:00+00:00"),
        result_status=ResultStatus(status),
        text=text,
    )


def _ingest(tracker, extractor, report: RadiologyReport):  # type: ignore[no-untyped-def]
    result = extractor.extract(ReportText(report.text))
    with tracker.session() as session:
        return ingest(session, report, result, tracker.policy)


def test_every_report_of_a_multi_obr_message_is_stored(tracker, extractor) -> None:  # type: ignore[no-untyped-def]
    chest = _report("ACC-CH", "IMPRESSION: Recommend follow-up CT chest in 6 months.")
    adrenal = _report("ACC-AB", "IMPRESSION: Left adrenal nodule. Recommend adrenal MRI.")
    assert _ingest(tracker, extractor, chest).status == "stored"
    assert _ingest(tracker, extractor, adrenal).status == "stored"
    assert _ingest(tracker, extractor, adrenal).status == "duplicate"  # the resend
    with tracker.session() as session:
        rows = worklist(
            session,
            Filters(),
            as_of=datetime.fromisoformat("2025-02-01T00:00:00+00:00"),
            grace=tracker.policy.grace,
            limit=None,
        )
    assert sorted(r.accession for r in rows) == ["ACC-AB", "ACC-CH"]


def test_final_after_its_correction_is_ignored(tracker, extractor) -> None:  # type: ignore[no-untyped-def]
    corrected = _report("A1", "IMPRESSION: Recommend CT chest in 12 months.", "C", "M2")
    final = _report("A1", "IMPRESSION: Recommend CT chest in 6 months.", "F", "M1")
    assert _ingest(tracker, extractor, corrected).status == "stored"
    outcome = _ingest(tracker, extractor, final)
    assert (outcome.status, outcome.created) == ("ignored", 0)


def test_cancelled_follow_up_study_no_longer_completes(tracker, extractor) -> None:  # type: ignore[no-untyped-def]
    chest = "IMPRESSION: 6 mm nodule in the right upper lobe. Recommend CT chest in 3 months."
    first = _report("A1", chest, "F", "M1")
    later = _report("A2", "IMPRESSION: Stable.", "F", "M2")
    later.observation_time = datetime.fromisoformat("2025-04-10T10:00:00+00:00")
    _ingest(tracker, extractor, first)
    assert len(_ingest(tracker, extractor, later).completed) == 1
    corrected = later.model_copy(
        update={
            "control_id": "M3",
            "result_status": ResultStatus("C"),
            "text": "IMPRESSION: Stable. Addendum.",
        }
    )
    assert len(_ingest(tracker, extractor, corrected).completed) == 1  # matched again
    cancelled = later.model_copy(update={"control_id": "M4", "result_status": ResultStatus("X")})
    assert _ingest(tracker, extractor, cancelled).completed == []
    with tracker.session() as session:
        rows = worklist(
            session,
            Filters(),
            as_of=datetime.fromisoformat("2025-12-01T00:00:00+00:00"),
            grace=tracker.policy.grace,
            limit=None,
        )
    assert [r.status for r in rows] == ["overdue"]
