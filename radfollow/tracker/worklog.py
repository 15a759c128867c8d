"""A quality team's work on a recommendation beyond closing it: assign it, note it,
log a contact, and verify what radfollow extracted. Every entry is audited
(``review_actions``) with the person's name; verifications are also kept as
labelled examples (``verifications``) that ``tracker export-labels`` writes as
training data. Errors: TrackerError for an unknown recommendation or user, a
blank actor or note, or corrected values missing from a wrong-values verdict.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from radfollow.errors import TrackerError
from radfollow.models import Modality
from radfollow.tracker.review import actor_name, get_recommendation
from radfollow.tracker.schema import Recommendation, ReviewAction, Study, User, Verification


class ContactKind(StrEnum):
    """Outreach a team documents (the ACR's closed-loop communication steps)."""

    CALLED_PROVIDER = "called provider"
    CALLED_PATIENT = "called patient"
    LETTER_SENT = "letter sent"
    MESSAGE_SENT = "message sent"
    FAX_SENT = "fax sent"


class Verdict(StrEnum):
    CORRECT = "correct"
    NOT_RECOMMENDATION = "not_recommendation"
    WRONG_VALUES = "wrong_values"


def _audit(
    session: Session, rec: Recommendation, actor: str, action: str, text: str | None, at: datetime
) -> None:
    session.add(
        ReviewAction(recommendation_id=rec.id, actor=actor, action=action, reason=text, at=at)
    )


def assign(session: Session, rec_id: int, *, to: str | None, by: str, at: datetime) -> None:
    """Assign ``rec_id`` to the active user ``to`` (None: unassign), audited."""
    actor = actor_name(by)
    rec = get_recommendation(session, rec_id)
    if to is not None:
        known = session.scalar(select(User.id).where(User.name == to, User.active))
        if known is None:
            raise TrackerError(f"no active user {to!r}")
    if rec.assignee == to:
        return
    rec.assignee = to
    _audit(session, rec, actor, "assigned", f"to {to}" if to else "unassigned", at)


def add_note(session: Session, rec_id: int, *, text: str, by: str, at: datetime) -> None:
    actor = actor_name(by)
    rec = get_recommendation(session, rec_id)
    if not text.strip():
        raise TrackerError("a note needs text")
    _audit(session, rec, actor, "note", text.strip(), at)


def add_contact(
    session: Session, rec_id: int, *, kind: ContactKind, note: str | None, by: str, at: datetime
) -> None:
    """Log outreach of ``kind`` (with an optional note), audited."""
    actor = actor_name(by)
    rec = get_recommendation(session, rec_id)
    text = kind.value + (f": {note.strip()}" if note and note.strip() else "")
    _audit(session, rec, actor, "contact", text, at)


def verify(
    session: Session,
    rec_id: int,
    *,
    verdict: Verdict,
    by: str,
    at: datetime,
    modality: str | None = None,
    interval_min: float | None = None,
    interval_max: float | None = None,
    note: str | None = None,
) -> Verification:
    """Record a person's verdict on the extraction of ``rec_id``.

    ``wrong_values`` needs a corrected ``modality`` (a Modality value) or interval
    (months, ``interval_min`` <= ``interval_max``); the others take none."""
    actor = actor_name(by)
    rec = get_recommendation(session, rec_id)
    if verdict is Verdict.WRONG_VALUES:
        if modality is None and interval_min is None and interval_max is None:
            raise TrackerError("a wrong-values verdict needs the corrected modality or interval")
        if modality is not None and modality not in {m.value for m in Modality}:
            raise TrackerError(f"unknown modality {modality!r}")
        if interval_min is not None and interval_max is None:
            interval_max = interval_min
        if interval_max is not None and interval_min is None:
            interval_min = interval_max
        if (
            interval_min is not None
            and interval_max is not None
            and not (0 <= interval_min <= interval_max <= 600)  # NaN fails too
        ):
            raise TrackerError("the interval is 0 to 600 months, the lower bound first")
    else:
        modality = interval_min = interval_max = None
    extracted = {
        "modality": rec.modality,
        "modality_options": rec.modality_options,
        "interval_min": rec.interval_min,
        "interval_max": rec.interval_max,
        "conditional": rec.conditional,
    }
    row = Verification(
        recommendation_id=rec.id,
        actor=actor,
        verdict=verdict.value,
        modality=modality,
        interval_min=interval_min,
        interval_max=interval_max,
        note=note.strip() if note and note.strip() else None,
        extracted=extracted,
        at=at,
    )
    session.add(row)
    shown = verdict.value
    if verdict is Verdict.WRONG_VALUES:
        parts = [f"modality {modality}"] if modality else []
        if interval_min is not None:
            parts.append(f"interval {interval_min:g}-{interval_max:g} months")
        shown += ": " + ", ".join(parts)
    _audit(session, rec, actor, "verified", shown, at)
    session.flush()
    return row


class Label(BaseModel):
    """One verified extraction as training data: the recommendation's sentence and
    its offsets in the report (characters), what radfollow said, and the person's
    verdict with corrected values. The latest verdict per recommendation."""

    recommendation_id: int
    accession: str
    start: int
    end: int
    sentence: str
    verdict: str
    modality: str | None
    interval_min: float | None
    interval_max: float | None
    extracted: dict[str, Any]
    verified_by: str
    verified_at: str


def labels(session: Session) -> Iterator[Label]:
    """Each verified recommendation's latest verdict, in recommendation order."""
    latest = (
        select(Verification, Recommendation, Study.accession)
        .join(Recommendation, Recommendation.id == Verification.recommendation_id)
        .join(Study, Study.id == Recommendation.study_id)
        .order_by(Verification.recommendation_id, Verification.id)
    )
    chosen: dict[int, tuple[Verification, Recommendation, str]] = {}
    for ver, rec, accession in session.execute(latest):
        chosen[rec.id] = (ver, rec, accession)
    for ver, rec, accession in chosen.values():
        yield Label(
            recommendation_id=rec.id,
            accession=accession,
            start=rec.start,
            end=rec.end,
            sentence=rec.evidence,
            verdict=ver.verdict,
            modality=_labelled(ver, ver.modality, rec.modality),
            interval_min=_labelled(ver, ver.interval_min, rec.interval_min),
            interval_max=_labelled(ver, ver.interval_max, rec.interval_max),
            extracted=ver.extracted,
            verified_by=ver.actor,
            verified_at=ver.at.isoformat(),
        )


def _labelled(ver: Verification, corrected: Any, extracted: Any) -> Any:
    """A label's value: none when it is not a recommendation; the person's value when
    they corrected it; radfollow's otherwise."""
    if ver.verdict == Verdict.NOT_RECOMMENDATION.value:
        return None
    if ver.verdict == Verdict.WRONG_VALUES.value and corrected is not None:
        return corrected
    return extracted
