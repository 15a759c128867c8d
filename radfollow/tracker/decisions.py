"""A person's matching decisions: undo a wrong match, or choose the study that fulfils.

Both are audited with the person's name. ``unmatch`` sends a completed
recommendation back to the worklist (its status is then computed from its
window again) or turns down the candidates of one in review; the studies it
names are recorded in ``match_exclusions`` and never matched to it again.
``choose`` completes a recommendation with a study the person picked (a
candidate, or any later study of the patient).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from radfollow.errors import TrackerError
from radfollow.tracker.matching import Verdict, complete, match_new_recommendations
from radfollow.tracker.policy import Policy
from radfollow.tracker.queries import valid_id
from radfollow.tracker.review import actor_name
from radfollow.tracker.schema import (
    Completion,
    MatchCandidate,
    MatchExclusion,
    Recommendation,
    ReviewAction,
    Study,
)


def _recommendation(session: Session, rec_id: int) -> Recommendation:
    rec = session.get(Recommendation, rec_id) if valid_id(session, rec_id) else None
    if rec is None:
        raise TrackerError(f"no recommendation {rec_id}")
    if rec.state != "active":
        raise TrackerError(f"recommendation {rec_id} is {rec.state}")
    return rec


def _study(session: Session, rec: Recommendation, accession: str) -> Study:
    study = session.scalar(
        select(Study)
        .where(Study.patient_id == rec.patient_id, Study.accession == accession)
        .order_by(Study.observed_at.desc(), Study.id.desc())
        .limit(1)
    )
    if study is None:
        raise TrackerError(f"the patient of recommendation {rec.id} has no study {accession}")
    return study


def unmatch(
    session: Session,
    rec_id: int,
    *,
    by: str,
    reason: str,
    at: datetime,
    accession: str | None = None,
    policy: Policy | None = None,
) -> list[str]:
    """Undo the completion of ``rec_id`` (or turn down its candidates in review).

    ``accession``: only that candidate (default: the completing study, or every
    candidate). With ``policy``, the other stored studies are matched again (one
    may fulfil it, or several go to review). Returns the accessions excluded.
    Raises TrackerError when the recommendation is neither completed nor in
    review, ``by`` or ``reason`` is blank, or ``accession`` is not its completing
    study or a candidate.
    """
    actor = actor_name(by)
    if not reason.strip():
        raise TrackerError("--reason must say why the study does not fulfil it")
    rec = _recommendation(session, rec_id)
    completion = session.scalar(select(Completion).where(Completion.recommendation_id == rec.id))
    if completion is not None:
        studies = [completion.study]
        if accession is not None and completion.study.accession != accession:
            raise TrackerError(f"recommendation {rec_id} was completed by another study")
        session.delete(completion)
        rec.completed_at = None
        rec.refresh_resolved()
    elif rec.needs_review_at is not None:
        candidates = list(
            session.scalars(
                select(MatchCandidate).where(MatchCandidate.recommendation_id == rec.id)
            )
        )
        chosen = [c for c in candidates if accession is None or c.study.accession == accession]
        if not chosen:
            raise TrackerError(f"study {accession} is not a candidate of recommendation {rec_id}")
        studies = [c.study for c in chosen]
        for candidate in chosen:
            session.delete(candidate)
        if len(chosen) == len(candidates):
            rec.needs_review_at = None
    else:
        raise TrackerError(f"recommendation {rec_id} is neither completed nor in review")
    for study in studies:
        session.add(
            MatchExclusion(
                recommendation_id=rec.id, study_id=study.id, actor=actor, reason=reason, at=at
            )
        )
    accessions = [s.accession for s in studies]
    text = f"{', '.join(accessions)} does not fulfil it: {reason}"
    session.add(
        ReviewAction(recommendation_id=rec.id, actor=actor, action="unmatched", reason=text, at=at)
    )
    session.flush()
    if policy is not None and rec.needs_review_at is None:
        match_new_recommendations(session, [rec], policy)  # another stored study may fit
    return accessions


def choose(
    session: Session,
    rec_id: int,
    *,
    accession: str,
    by: str,
    note: str | None,
    at: datetime,
    early_days: timedelta = timedelta(days=30),
) -> Study:
    """Complete ``rec_id`` with the patient's study ``accession`` (a person's choice).

    Raises TrackerError when the recommendation is already completed or not
    active, ``by`` is blank, or the study is not a later study of the patient.
    """
    actor = actor_name(by)
    rec = _recommendation(session, rec_id)
    if rec.completed_at is not None:
        raise TrackerError(f"recommendation {rec_id} is already completed; unmatch it first")
    study = _study(session, rec, accession)
    if study.result_status == "X":
        raise TrackerError(f"study {accession} was cancelled")
    if study.observed_at <= rec.study.observed_at or study.id == rec.study_id:
        raise TrackerError(f"study {accession} is not later than the recommending study")
    session.execute(
        delete(MatchExclusion).where(
            MatchExclusion.recommendation_id == rec.id, MatchExclusion.study_id == study.id
        )
    )
    reason = f"chosen by {actor}" + (f": {note}" if note else "")
    early = study.observed_at < rec.due_start - early_days
    complete(session, rec, study, Verdict("strong", reason, early), by=actor, at=at)
    session.flush()
    return study
