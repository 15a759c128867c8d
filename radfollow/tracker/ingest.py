"""Store one report and its extraction in the tracker, in one transaction.

Idempotent: a message already seen (same MSH-10 from the same sender), or the
same accession and result status again, changes nothing. A corrected report
(C) supersedes the accession's earlier recommendations; a final (F) replaces a
preliminary (P); a cancelled one (X) supersedes without new ones; a
preliminary after a final is recorded and ignored. Every new study is matched
against the patient's open recommendations and every new recommendation
against studies already stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from radfollow.errors import TrackerError
from radfollow.models import ExtractionResult, RadiologyReport
from radfollow.models import Patient as PatientRecord
from radfollow.tracker.keys import control_key
from radfollow.tracker.matching import (
    SYSTEM,
    match_new_recommendations,
    match_new_study,
    system_action,
)
from radfollow.tracker.outbox import accession_subject, enqueue
from radfollow.tracker.policy import Policy
from radfollow.tracker.rows import (
    check_values,
    communication_values,
    critical_values,
    demographics,
    finding_values,
    judged_values,
    recommendation_values,
    study_values,
)
from radfollow.tracker.scheduling import schedule_from_orders
from radfollow.tracker.schema import (
    Completion,
    CriticalFinding,
    Finding,
    MatchCandidate,
    MatchExclusion,
    Message,
    Patient,
    Recommendation,
    ReportCheck,
    ResultCommunication,
    Study,
)


@dataclass
class IngestOutcome:
    status: str  # stored | duplicate | ignored
    reason: str = ""
    study_id: int | None = None
    created: int = 0
    superseded: int = 0
    completed: list[int] = field(default_factory=list)
    needs_review: list[int] = field(default_factory=list)
    scheduled: list[int] = field(default_factory=list)


def ingest(
    session: Session, report: RadiologyReport, result: ExtractionResult, policy: Policy
) -> IngestOutcome:
    """Store one report in the caller's transaction; see the module docstring.

    Concurrent writers of one patient's reports are serialised from the first
    statement on (:func:`lock_patient`), so a final report and its correction
    written at the same moment end as they would one after the other.
    Raises TrackerError when the report has no observation time.
    """
    patient = lock_patient(session, report.patient)
    facility = control_key(report.sending_facility or "")
    message = session.scalar(
        select(Message).where(
            Message.sending_facility == facility,
            Message.control_id == control_key(report.control_id),
        )
    )
    # A message may hold several reports (one per OBR group, sharing MSH-10):
    # it is a resend only when this report of it was stored already.
    if message is not None and _report_seen(session, report):
        return IngestOutcome("duplicate", "message control id already ingested")
    outcome = _ingest_new(session, report, result, policy, patient)
    if message is None:
        session.add(
            Message(
                sending_facility=facility,
                control_id=control_key(report.control_id),
                outcome=outcome.status,
                received_at=datetime.now(UTC),
            )
        )
    return outcome


def _report_seen(session: Session, report: RadiologyReport) -> bool:
    query = select(Study.id).where(
        Study.control_id == control_key(report.control_id), Study.accession == report.accession
    )
    return session.scalar(query.limit(1)) is not None


def _ingest_new(
    session: Session,
    report: RadiologyReport,
    result: ExtractionResult,
    policy: Policy,
    patient: Patient,
) -> IngestOutcome:
    if report.observation_time is None:
        raise TrackerError("report has no observation time (OBR-7)")
    earlier = list(
        session.scalars(
            select(Study).where(Study.patient_id == patient.id, Study.accession == report.accession)
        )
    )
    status = report.result_status.value
    if any(_same_version(s, status, report.text) for s in earlier):
        return IngestOutcome("duplicate", "same accession and result status already stored")
    if status == "P" and any(s.result_status in ("F", "C") for s in earlier):
        return IngestOutcome("ignored", "preliminary report after a final one")
    if status in ("P", "F") and any(s.result_status in ("C", "X") for s in earlier):
        return IngestOutcome("ignored", "earlier version after its correction or cancellation")
    study = _study(session, patient, report, report.observation_time, policy)
    outcome = IngestOutcome("stored", study_id=study.id)
    # A later version (correction, cancellation, final after preliminary) takes
    # effect when it arrives (MSH-7), never before the exam.
    at = study.observed_at
    if earlier and report.message_time is not None:
        at = max(at, report.message_time)
    outcome.superseded = _supersede(session, earlier, study, status, at)
    recs = [] if status == "X" else _recommendations(session, study, result, policy, at)
    _carry_exclusions(session, earlier, recs)
    outcome.created = len(recs)
    outcome.scheduled = schedule_from_orders(session, recs, policy)
    for rec_id, matched in match_new_study(session, study, policy) + match_new_recommendations(
        session, recs, policy
    ):
        (outcome.completed if matched == "completed" else outcome.needs_review).append(rec_id)
    return outcome


def _same_version(study: Study, status: str, text: str) -> bool:
    """A resend: same status (and, for corrections, the same text)."""
    return study.result_status == status and (status != "C" or study.report_text == text)


def lock_patient(session: Session, source: PatientRecord) -> Patient:
    """The patient's row, inserted when new, held until the transaction ends.

    PostgreSQL: ``SELECT ... FOR UPDATE`` (after ``INSERT ... ON CONFLICT DO
    NOTHING`` for a new patient), so a second writer of the same patient waits
    for the first to commit and then reads what it wrote. SQLite has one
    writer at a time: the insert comes first, always, so the transaction holds
    the write lock before it reads anything (reads before it would run on a
    snapshot that a concurrent writer can make stale).
    """
    key = {
        "identifier": source.id,
        "assigning_authority": control_key(source.assigning_authority or ""),
    }
    query = select(Patient).filter_by(**key)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
        patient = session.scalar(query)
        if patient is None:
            session.execute(_insert_patient(postgresql_insert, key))
            patient = session.scalar(query)
    else:
        session.execute(_insert_patient(sqlite_insert, key))
        patient = session.scalar(query)
    if patient is None:  # pragma: no cover - the insert or the concurrent one stands
        raise TrackerError("patient row could not be stored")
    return patient


def _insert_patient(insert: Any, key: dict[str, str]) -> Any:
    return (
        insert(Patient)
        .values(**key)
        .on_conflict_do_nothing(index_elements=["identifier", "assigning_authority"])
    )


def _study(
    session: Session, patient: Patient, report: RadiologyReport, observed: datetime, policy: Policy
) -> Study:
    study = Study(**study_values(patient.id, report, observed, policy))
    _demographics(patient, report)
    session.add(study)
    session.flush()
    return study


def _demographics(patient: Patient, report: RadiologyReport) -> None:
    """The patient's sex, birth date and postal code as the latest report states them."""
    current = {"sex": patient.sex, "birth_date": patient.birth_date}
    current["postal_code"] = patient.postal_code
    for name, value in demographics(current, report).items():
        setattr(patient, name, value)


def _supersede(
    session: Session, earlier: list[Study], study: Study, status: str, at: datetime
) -> int:
    replaced = {
        "C": {"P", "F", "C"},
        "X": {"P", "F", "C"},
        "F": {"P"},
    }.get(status, set())
    targets = [s.id for s in earlier if s.result_status in replaced]
    if not targets:
        return 0
    _undo_completions(session, targets, study, at)
    recs = session.scalars(
        select(Recommendation).where(
            Recommendation.study_id.in_(targets), Recommendation.state.in_(("active", "closed"))
        )
    )
    count = 0
    why = {"C": "corrected report", "X": "cancelled report", "F": "final report"}[status]
    for rec in recs:
        rec.state = "superseded"
        rec.superseded_by = study.id
        rec.superseded_at = at
        rec.refresh_resolved()
        session.add(system_action(rec.id, "superseded", f"{why} {study.control_id}", at))
        count += 1
    return count


def _undo_completions(session: Session, targets: list[int], study: Study, at: datetime) -> None:
    """Completions made by a replaced study no longer hold; the new version is matched again."""
    why = {"C": "corrected", "X": "cancelled"}.get(study.result_status, "replaced")
    for completion in list(
        session.scalars(select(Completion).where(Completion.study_id.in_(targets)))
    ):
        rec = session.get(Recommendation, completion.recommendation_id)
        if completion.matched_by != SYSTEM and study.result_status in ("F", "C"):
            # a person's choice holds for the new version of the study they chose
            completion.study_id = study.id
            reason = (
                f"completing study {why} ({study.control_id}): {completion.matched_by}'s match kept"
            )
            session.add(system_action(completion.recommendation_id, "match kept", reason, at))
            continue
        if rec is not None:
            rec.completed_at = None
            rec.refresh_resolved()
            reason = f"completing study {why} ({study.control_id})"
            session.add(system_action(rec.id, "reopened", reason, at))
        session.delete(completion)
    for candidate in list(
        session.scalars(select(MatchCandidate).where(MatchCandidate.study_id.in_(targets)))
    ):
        session.delete(candidate)
        session.flush()
        reason = f"candidate study {why} ({study.control_id})"
        _clear_review_if_empty(session, candidate.recommendation_id, reason, at)
    session.flush()


def _carry_exclusions(session: Session, earlier: list[Study], recs: list[Recommendation]) -> None:
    """A study a person turned down for a recommendation stays turned down for the
    recommendations of the report's later versions (a correction re-extracts them)."""
    if not earlier or not recs:
        return
    old = (
        select(MatchExclusion)
        .join(Recommendation, Recommendation.id == MatchExclusion.recommendation_id)
        .where(Recommendation.study_id.in_([s.id for s in earlier]))
    )
    by_study = {e.study_id: e for e in session.scalars(old.order_by(MatchExclusion.id))}
    for exclusion in by_study.values():
        for rec in recs:
            session.add(
                MatchExclusion(
                    recommendation_id=rec.id,
                    study_id=exclusion.study_id,
                    actor=exclusion.actor,
                    reason=exclusion.reason,
                    at=exclusion.at,
                )
            )
    session.flush()


def _clear_review_if_empty(session: Session, rec_id: int, reason: str, at: datetime) -> None:
    """A recommendation in review whose last candidate went away leaves review."""
    rec = session.get(Recommendation, rec_id)
    left = select(MatchCandidate.id).where(MatchCandidate.recommendation_id == rec_id)
    if rec is None or rec.needs_review_at is None or session.scalar(left.limit(1)) is not None:
        return
    rec.needs_review_at = None
    session.add(system_action(rec.id, "review cleared", reason, at))


def _recommendations(
    session: Session, study: Study, result: ExtractionResult, policy: Policy, at: datetime
) -> list[Recommendation]:
    """The report's recommendations, reported at ``at`` (the exam time, or a later
    version's arrival); due windows count from the exam time."""
    findings = {f.id: Finding(**finding_values(study.id, f)) for f in result.findings}
    for guidance in result.guidance:
        judged = findings.get(guidance.finding_id)
        if judged is not None:
            for name, value in judged_values(guidance).items():
                setattr(judged, name, value)
    session.add_all(findings.values())
    session.add_all(ReportCheck(**check_values(study.id, check)) for check in result.checks)
    session.add_all(
        CriticalFinding(**critical_values(study.id, c)) for c in result.critical_results
    )
    session.add_all(
        ResultCommunication(**communication_values(study.id, m)) for m in result.communications
    )
    session.flush()
    if result.uncommunicated_critical and study.result_status != "X":
        enqueue(
            session,
            "uncommunicated_critical",
            observed_at=study.observed_at,
            study_id=study.id,
            accession=accession_subject(study.patient_id, study.accession),
            recipient=study.ordering_provider,
        )
    own = {
        "id": study.id,
        "patient_id": study.patient_id,
        "observed_at": study.observed_at,
        "interpreter": study.interpreter,
        "ordering_provider": study.ordering_provider,
        "facility": study.facility,
    }
    recs = []
    for rec in result.recommendations:
        finding = findings.get(rec.finding_id) if rec.finding_id else None
        linked = (
            {"id": finding.id, "type": finding.type, "laterality": finding.laterality}
            if finding
            else None
        )
        row = Recommendation(**recommendation_values(own, linked, rec, policy, at))
        row.study = study
        recs.append(row)
    session.add_all(recs)
    session.flush()
    session.add_all(system_action(r.id, "created", f"report {study.control_id}", at) for r in recs)
    return recs
