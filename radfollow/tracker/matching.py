"""Match recommendations to later studies of the same patient, with a stated reason.

A later study fulfils a recommendation when its modality is one that fulfils
the recommended modality or one of its acceptable alternatives ("CT or MRI")
(``fulfilled_by`` in rules/tracker.json) and its body region covers the
recommended one. A recommendation without a modality or
region ("follow-up imaging in 6 months") takes those of its own study.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from radfollow.tracker.policy import Policy
from radfollow.tracker.schema import Completion, Recommendation, ReviewAction, Study

SYSTEM = "radfollow"


@dataclass(frozen=True)
class Match:
    recommendation: Recommendation
    study: Study
    reason: str


def explain(rec: Recommendation, study: Study, policy: Policy) -> str | None:
    """Why ``study`` fulfils ``rec``, or None when it does not.

    Any acceptable modality of the recommendation ("CT or MRI") may be fulfilled.
    """
    own = rec.study
    options = rec.acceptable_modalities() or ([own.modality] if own.modality else [])
    region = rec.body_region or own.body_region
    if study.observed_at <= own.observed_at or study.result_status == "X":
        return None
    modality = next((m for m in options if policy.modality_fulfils(m, study.modality)), None)
    if modality is None:
        return None
    if not policy.region_covers(study.body_region, region):
        return None
    wanted = f"{modality} {region}" if region else modality
    covered = "" if region is None else f"; region {study.body_region} covers {region}"
    return (
        f"{study.procedure or study.modality} (accession {study.accession}, "
        f"{study.observed_at.date().isoformat()}) fulfils {wanted}: modality "
        f"{study.modality} fulfils {modality}{_alternatives(options)}{covered}"
    )


def _alternatives(options: list[str]) -> str:
    """' (one of CT or MR)' when several modalities were acceptable."""
    return f" (one of {' or '.join(options)})" if len(options) > 1 else ""


def system_action(rec_id: int, action: str, reason: str, at: datetime) -> ReviewAction:
    """An audit entry written by radfollow itself (not a reviewer)."""
    return ReviewAction(recommendation_id=rec_id, actor=SYSTEM, action=action, reason=reason, at=at)


def record(session: Session, match: Match) -> None:
    rec, study = match.recommendation, match.study
    rec.completed_at = study.observed_at
    rec.refresh_resolved()
    session.add(
        Completion(
            recommendation_id=rec.id,
            study_id=study.id,
            reason=match.reason,
            matched_at=study.observed_at,
        )
    )
    session.add(system_action(rec.id, "completed", match.reason, study.observed_at))


def open_recommendations(session: Session, patient_id: int) -> list[Recommendation]:
    query = select(Recommendation).where(
        Recommendation.patient_id == patient_id,
        Recommendation.state == "active",
        Recommendation.completed_at.is_(None),
    )
    return list(session.scalars(query))


def match_new_study(session: Session, study: Study, policy: Policy) -> list[Match]:
    """Earlier open recommendations of the patient that ``study`` fulfils."""
    matches = []
    for rec in open_recommendations(session, study.patient_id):
        reason = explain(rec, study, policy)
        if reason is not None:
            matches.append(Match(rec, study, reason))
    return matches


def match_new_recommendations(
    session: Session, recs: list[Recommendation], policy: Policy
) -> list[Match]:
    """Studies already stored (arrived out of order) that fulfil new recommendations."""
    if not recs:
        return []
    own = recs[0].study
    later = list(
        session.scalars(
            select(Study)
            .where(Study.patient_id == own.patient_id, Study.observed_at > own.observed_at)
            .order_by(Study.observed_at)
        )
    )
    matches = []
    for rec in recs:
        for study in later:
            reason = explain(rec, study, policy)
            if reason is not None:
                matches.append(Match(rec, study, reason))
                break
    return matches
