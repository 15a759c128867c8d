"""What a notification says: the facts of one outbox event, read from the tracker.

Minimal identifiers, no report text: the accession, the exam date and
procedure, the recommended exam and its due window, and, for the channels that
address a record system (FHIR, webhook), the patient identifier with its
assigning authority. Critical events name the categories, not the sentence.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from radfollow.tracker.outbox import Claimed
from radfollow.tracker.schema import CriticalFinding, Patient, Recommendation, Study


@dataclass(frozen=True)
class Notice:
    """The facts of one event. ``exam_date`` is the exam's date in the site's time
    zone; ``due_start``/``due_end`` are aware datetimes (shown in the site's zone)."""

    key: str
    event: str
    sequence: int
    accession: str
    exam_date: date
    procedure: str | None
    patient_id: str
    assigning_authority: str
    recipient: str | None
    facility: str | None = None
    recommendation_local_id: str | None = None
    recommended: str | None = None
    modality: str | None = None
    due_start: datetime | None = None
    due_end: datetime | None = None
    critical: tuple[str, ...] = ()
    #: The most urgent ACR actionable-finding category among ``critical`` (1-3).
    acr_category: int | None = None
    site_zone: tzinfo = UTC

    def due_date(self) -> date | None:
        """The last day of the due window in the site's calendar."""
        return self.due_end.astimezone(self.site_zone).date() if self.due_end else None

    def days_overdue(self, now: datetime) -> int | None:
        if self.due_end is None or self.event != "overdue":
            return None
        return max(0, (now - self.due_end).days)


def notice_of(session: Session, claimed: Claimed, site_zone: tzinfo = UTC) -> Notice | None:
    """The notice of one claimed delivery; None when its subject is gone. A study's
    event reads the accession's current version (a correction replaces the first)."""
    if claimed.recommendation_id is not None:
        row = session.execute(
            select(Recommendation, Study, Patient)
            .join(Study, Recommendation.study_id == Study.id)
            .join(Patient, Study.patient_id == Patient.id)
            .where(Recommendation.id == claimed.recommendation_id)
        ).first()
        if row is None:
            return None
        rec, study, patient = row
        recommended = " ".join(p for p in (rec.modality, rec.body_region) if p) or None
        return replace(
            _common(claimed, study, patient, site_zone),
            recommendation_local_id=rec.local_id,
            recommended=recommended,
            modality=rec.modality,
            due_start=rec.due_start,
            due_end=rec.due_end,
        )
    first = session.get(Study, claimed.study_id) if claimed.study_id is not None else None
    if first is None:
        return None
    found = session.execute(
        select(Study, Patient)
        .join(Patient, Study.patient_id == Patient.id)
        .where(Study.patient_id == first.patient_id, Study.accession == first.accession)
        .order_by(Study.id.desc())
        .limit(1)
    ).first()
    if found is None:
        return None
    study, patient = found
    rows = session.execute(
        select(CriticalFinding.label, CriticalFinding.acr_category)
        .where(CriticalFinding.study_id == study.id)
        .order_by(CriticalFinding.id)
    ).all()
    return replace(
        _common(claimed, study, patient, site_zone),
        critical=tuple(dict.fromkeys(label for label, _ in rows)),
        acr_category=min((acr for _, acr in rows), default=None),
    )


def _common(claimed: Claimed, study: Study, patient: Patient, site_zone: tzinfo) -> Notice:
    return Notice(
        key=claimed.key,
        event=claimed.event,
        sequence=claimed.sequence,
        accession=study.accession,
        exam_date=study.observed_at.astimezone(site_zone).date(),
        procedure=study.procedure,
        patient_id=patient.identifier,
        assigning_authority=patient.assigning_authority,
        recipient=claimed.recipient,
        facility=study.facility,
        site_zone=site_zone,
    )


#: What each event is called in a message.
EVENT_TEXT = {
    "coming_due": "Follow-up imaging coming due",
    "overdue": "Follow-up imaging overdue",
    "uncommunicated_critical": "Critical result without documented communication",
    "needs_review": "Follow-up match needs review",
}


def summary(notice: Notice, now: datetime) -> str:
    """One line about the event, with no identifier but the accession."""
    parts = [f"{EVENT_TEXT[notice.event]}: accession {notice.accession}"]
    parts.append(f"exam of {notice.exam_date.isoformat()}")
    if notice.recommended:
        parts.append(f"recommended {notice.recommended}")
    due = notice.due_date()
    if due is not None:
        parts.append(f"due by {due.isoformat()}")
    overdue = notice.days_overdue(now)
    if overdue is not None:
        parts.append(f"{overdue} days overdue")
    if notice.critical:
        parts.append("result: " + ", ".join(notice.critical))
    if notice.sequence > 1:
        parts.append(f"reminder {notice.sequence - 1}")
    return "; ".join(parts)
