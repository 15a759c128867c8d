"""Match recommendations to later studies of the same patient, with a stated reason.

The rules (docs/tracker.md, "Matching"; data in rules/tracker.json and
rules/procedures.json), each checked by :func:`evaluate`:

1. **Kind.** Consult, lab, procedure and other recommendations are never
   completed by a study (``manual_only``). A biopsy recommendation is fulfilled
   by a biopsy study (``procedures.json`` kind ``biopsy``) whatever modality
   guided it; biopsy and interventional studies fulfil nothing else. A
   screening study fulfils a recommendation that says "screening"; for any
   other it is a weak match.
2. **Modality.** The study's modality fulfils the recommended one or one of its
   acceptable alternatives ("CT or MRI") (``fulfilled_by``). A CT or MR
   angiogram is a diagnostic study of its region.
3. **Region.** One of the study's regions covers the recommended region in the
   hierarchy of ``region_covers`` (abdomen covers kidney); one that may show it
   only in part (``partial_regions``: a right upper quadrant ultrasound and the
   kidney) is a weak match. A biopsy samples one organ: a biopsy of a part of
   the recommended region fits (a lung biopsy for "biopsy of the chest mass"),
   one of a region that merely contains it is weak (a neck biopsy for a thyroid
   nodule). A recommendation
   without a region takes its own study's. When either side's region is
   unknown (a procedure the table does not understand), the match is weak.
4. **Laterality.** A left follow-up needs a left or bilateral study; a bilateral
   one a bilateral study; a study that states no side covers both.
5. **Timing.** Only studies after the recommending one, at least the minimum
   delay later (:meth:`Policy.minimum_delay`); one taken more than
   ``early_days`` before the window opens is completed and flagged ``early``.
6. **A person decides** when the match is weak, or when a new recommendation
   finds two or more qualifying studies already stored (they arrived out of
   order): the recommendation becomes ``needs_review`` with its candidates.
   A study a person rejected (``tracker unmatch``) is never matched again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from radfollow.tracker.outbox import enqueue
from radfollow.tracker.policy import Policy
from radfollow.tracker.schema import (
    Completion,
    MatchCandidate,
    MatchExclusion,
    OutboxEvent,
    Recommendation,
    ReviewAction,
    Study,
)

SYSTEM = "radfollow"
Strength = Literal["strong", "weak"]


@dataclass(frozen=True)
class Exam:
    """A study (or an order's planned study) as the matcher sees it."""

    time: datetime
    modality: str | None
    regions: tuple[str, ...]
    kind: str
    laterality: str | None
    label: str
    accession: str | None = None


@dataclass(frozen=True)
class Verdict:
    strength: Strength
    reason: str
    early: bool


@dataclass(frozen=True)
class Match:
    recommendation: Recommendation
    study: Study
    verdict: Verdict


def _read(study: Study, policy: Policy) -> tuple[tuple[str, ...], str, str | None]:
    """(regions, kind, laterality) of a study; rows stored before migration 0008,
    which lack them, have their procedure read again."""
    if study.procedure_kind is None:
        info = policy.procedure(study.procedure, study.procedure_code, study.modality)
        return info.regions, info.kind, info.laterality
    return tuple(study.region_list()), study.procedure_kind, study.laterality


def study_exam(study: Study, policy: Policy) -> Exam:
    """The study as an :class:`Exam`."""
    regions, kind, side = _read(study, policy)
    label = (
        f"{study.procedure or study.modality} (accession {study.accession}, "
        f"{study.observed_at.date().isoformat()})"
    )
    return Exam(study.observed_at, study.modality, regions, kind, side, label, study.accession)


def evaluate(rec: Recommendation, exam: Exam, policy: Policy) -> Verdict | None:
    """Whether ``exam`` fulfils ``rec`` (strong or weak, with the reason), or None."""
    own = rec.study
    if exam.time <= own.observed_at or exam.accession == own.accession:
        return None
    options = rec.acceptable_modalities() or ([own.modality] if own.modality else [])
    options = [m for m in options if not policy.manual_only(m)]
    if not options and rec.acceptable_modalities():  # consult, lab...: a person closes it
        return None
    if exam.time < own.observed_at + policy.minimum_delay(rec.interval_min):
        return None
    weak: list[str] = []
    kind_reason = _kind(rec, options, exam, policy, weak)
    if kind_reason is None:
        return None
    region, source = _wanted_region(rec, policy)
    if region is None:
        weak.append("the recommendation names no region and its own study's is unknown")
    elif not exam.regions:
        weak.append("the study's region is unknown (procedure not understood): modality only")
    else:
        fits = [_region_fit(r, region, exam.kind, policy) for r in exam.regions]
        inferred = source == " (the recommending study's)"
        if "strong" not in fits and "weak" not in fits:
            if not (inferred and any(policy.region_covers(region, r) for r in exam.regions)):
                return None
            weak.append(f"the recommendation names no region; {region} is its study's")
        elif "strong" not in fits:
            weak.append(f"region {'/'.join(exam.regions)} may not show all of {region}")
        elif inferred and exam.kind == "biopsy":
            weak.append(f"the recommendation names no organ; {region} is its study's region")
    if not _sides_agree(rec.laterality, exam.laterality):
        return None
    early = exam.time < rec.due_start - policy.early
    parts = [kind_reason]
    if region is not None and exam.regions:
        parts.append(f"region {'/'.join(exam.regions)} covers {region}{source}")
    if rec.laterality:
        parts.append(f"side {exam.laterality or 'not stated'} covers {rec.laterality}")
    if early:
        parts.append(f"early: before the window opened {rec.due_start.date().isoformat()}")
    parts += weak
    wanted = " ".join(x for x in ("/".join(options) or "follow-up", region) if x)
    reason = f"{exam.label} fulfils {wanted}: " + "; ".join(parts)
    return Verdict("weak" if weak else "strong", reason, early)


def _wanted_region(rec: Recommendation, policy: Policy) -> tuple[str | None, str]:
    """The region to fulfil and where it came from: stated, the finding's organ
    (``finding_regions``), else the recommending study's first region."""
    if rec.body_region:
        return rec.body_region, ""
    organ = policy.rules.finding_regions.get(rec.finding_type or "")
    if organ:
        return organ, f" (the {rec.finding_type}'s organ)"
    own = study_regions(rec.study, policy)
    return (own[0], " (the recommending study's)") if own else (None, "")


def study_regions(study: Study, policy: Policy) -> list[str]:
    return list(_read(study, policy)[0])


def _kind(
    rec: Recommendation, options: list[str], exam: Exam, policy: Policy, weak: list[str]
) -> str | None:
    """The modality/kind part of the reason, or None when the kinds do not fit."""
    if exam.kind == "biopsy":
        fits = next((m for m in options if policy.biopsy_fulfils(m)), None)
        guide = exam.modality or "any"
        return None if fits is None else f"a biopsy ({guide} guided) fulfils {fits}"
    if exam.kind == "interventional":
        return None
    modality = next((m for m in options if policy.modality_fulfils(m, exam.modality)), None)
    if modality is None:
        return None
    alternatives = f" (one of {' or '.join(options)})" if len(options) > 1 else ""
    text = f"modality {exam.modality} fulfils {modality}{alternatives}"
    if exam.kind == "angiography":
        text += " (an angiogram is a diagnostic study of its region)"
    if exam.kind == "screening" and "screen" not in rec.evidence.lower():
        weak.append("a screening study for a recommendation that does not ask for screening")
    return text


def _region_fit(exam_region: str, wanted: str, kind: str, policy: Policy) -> str | None:
    """strong: the study's region is the wanted one or contains it; weak: it may show
    it in part (``partial_regions``). A biopsy samples one organ: a biopsy of a part
    of the wanted region is strong (a lung biopsy for "biopsy of the chest mass"),
    of a region that only contains the wanted one weak (a neck biopsy for a thyroid
    nodule may have sampled a node). None: it does not fit."""
    if kind == "biopsy":
        if exam_region == wanted or policy.region_covers(wanted, exam_region):
            return "strong"
        return "weak" if policy.region_covers(exam_region, wanted) else None
    if policy.region_covers(exam_region, wanted):
        return "strong"
    return "weak" if policy.partly_covers(exam_region, wanted) else None


def _sides_agree(wanted: str | None, side: str | None) -> bool:
    return wanted is None or side is None or side in (wanted, "bilateral")


def system_action(rec_id: int, action: str, reason: str, clinical_at: datetime) -> ReviewAction:
    """An audit entry written by radfollow itself (not a reviewer): ``at`` is when
    radfollow acted, ``clinical_at`` the clinical time it acted on."""
    return ReviewAction(
        recommendation_id=rec_id,
        actor=SYSTEM,
        action=action,
        reason=reason,
        at=datetime.now(UTC),
        clinical_at=clinical_at,
    )


def complete(
    session: Session,
    rec: Recommendation,
    study: Study,
    verdict: Verdict,
    *,
    by: str = SYSTEM,
    at: datetime | None = None,
) -> None:
    """Record that ``study`` fulfils ``rec``; clears a pending review and its candidates."""
    rec.completed_at = study.observed_at
    rec.needs_review_at = None
    rec.refresh_resolved()
    _clear_candidates(session, rec.id)
    session.add(
        Completion(
            recommendation_id=rec.id,
            study_id=study.id,
            reason=verdict.reason,
            matched_at=study.observed_at,
            early=verdict.early,
            matched_by=by,
        )
    )
    if by == SYSTEM:
        session.add(system_action(rec.id, "completed", verdict.reason, study.observed_at))
    else:
        session.add(
            ReviewAction(
                recommendation_id=rec.id,
                actor=by,
                action="matched",
                reason=verdict.reason,
                at=at or datetime.now(UTC),
            )
        )


def record(session: Session, match: Match) -> None:
    complete(session, match.recommendation, match.study, match.verdict)


def send_to_review(session: Session, rec: Recommendation, matches: list[Match]) -> None:
    """``rec`` becomes ``needs_review`` with these candidate studies (audited once)."""
    known = set(
        session.scalars(
            select(MatchCandidate.study_id).where(MatchCandidate.recommendation_id == rec.id)
        )
    )
    new = [m for m in matches if m.study.id not in known]
    if not new:
        return
    when = max(m.study.observed_at for m in new)
    first = rec.needs_review_at is None
    if first:
        rec.needs_review_at = when
        # a review cleared and later needed again is a new episode: a new notice
        episodes = session.scalar(
            select(func.count(OutboxEvent.id)).where(
                OutboxEvent.recommendation_id == rec.id, OutboxEvent.event == "needs_review"
            )
        )
        enqueue(
            session,
            "needs_review",
            observed_at=when,
            recommendation_id=rec.id,
            recipient=rec.ordering_provider,
            sequence=(episodes or 0) + 1,
        )
    for m in new:
        session.add(
            MatchCandidate(
                recommendation_id=rec.id,
                study_id=m.study.id,
                strength=m.verdict.strength,
                reason=m.verdict.reason,
                early=m.verdict.early,
                found_at=m.study.observed_at,
            )
        )
    why = (
        f"{len(known) + len(new)} studies qualify"
        if len(known) + len(new) > 1 or any(m.verdict.strength == "strong" for m in new)
        else "weak match"
    )
    accessions = ", ".join(m.study.accession for m in new)
    action = "needs review" if first else "candidate"
    session.add(system_action(rec.id, action, f"{why}: {accessions}", when))
    session.flush()


def _clear_candidates(session: Session, rec_id: int) -> None:
    for candidate in session.scalars(
        select(MatchCandidate).where(MatchCandidate.recommendation_id == rec_id)
    ):
        session.delete(candidate)


def _strong_candidates(session: Session, rec_id: int) -> bool:
    query = select(MatchCandidate.id).where(
        MatchCandidate.recommendation_id == rec_id, MatchCandidate.strength == "strong"
    )
    return session.scalar(query.limit(1)) is not None


def excluded(session: Session, rec_id: int) -> set[str]:
    """Accessions of the studies a person said do not fulfil recommendation ``rec_id``
    (by accession: a corrected version of that study is the same exam)."""
    query = (
        select(Study.accession)
        .join(MatchExclusion, MatchExclusion.study_id == Study.id)
        .where(MatchExclusion.recommendation_id == rec_id)
    )
    return set(session.scalars(query))


def open_recommendations(session: Session, patient_id: int) -> list[Recommendation]:
    query = select(Recommendation).where(
        Recommendation.patient_id == patient_id,
        Recommendation.state == "active",
        Recommendation.completed_at.is_(None),
    )
    return list(session.scalars(query))


#: (recommendation id, "completed" | "needs_review") for each recommendation matched.
Outcome = list[tuple[int, str]]


def match_new_study(session: Session, study: Study, policy: Policy) -> Outcome:
    """Complete (or send to review) the patient's open recommendations ``study`` fulfils.

    A recommendation already in review gains the study as a further candidate.
    """
    done: Outcome = []
    if study.result_status == "X":
        return done
    exam = study_exam(study, policy)
    for rec in open_recommendations(session, study.patient_id):
        verdict = evaluate(rec, exam, policy)
        if verdict is None or study.accession in excluded(session, rec.id):
            continue
        match = Match(rec, study, verdict)
        only_weak = rec.needs_review_at is not None and not _strong_candidates(session, rec.id)
        if verdict.strength == "strong" and only_weak:  # the first strong one decides
            record(session, match)
            done.append((rec.id, "completed"))
            continue
        if rec.needs_review_at is not None or verdict.strength == "weak":
            send_to_review(session, rec, [match])
            done.append((rec.id, "needs_review"))
        else:
            record(session, match)
            done.append((rec.id, "completed"))
    return done


def match_new_recommendations(
    session: Session, recs: list[Recommendation], policy: Policy
) -> Outcome:
    """Studies already stored (arrived out of order) that fulfil new recommendations.

    One strong match completes; two or more, or only weak ones, go to review.
    """
    done: Outcome = []
    if not recs:
        return done
    own = recs[0].study
    latest: dict[str, Study] = {}  # the last stored version of each later study
    for s in session.scalars(
        select(Study)
        .where(Study.patient_id == own.patient_id, Study.observed_at > own.observed_at)
        .order_by(Study.id)
    ):
        latest[s.accession] = s
    later = [
        (s, study_exam(s, policy))
        for s in sorted(latest.values(), key=lambda s: (s.observed_at, s.id))
        if s.result_status != "X"
    ]
    for rec in recs:
        rejected = excluded(session, rec.id)
        found = [
            Match(rec, study, verdict)
            for study, exam in later
            if study.accession not in rejected
            and (verdict := evaluate(rec, exam, policy)) is not None
        ]
        strong = [m for m in found if m.verdict.strength == "strong"]
        if len(strong) == 1:
            record(session, strong[0])
            done.append((rec.id, "completed"))
        elif found:
            send_to_review(session, rec, strong or found)
            done.append((rec.id, "needs_review"))
    return done
