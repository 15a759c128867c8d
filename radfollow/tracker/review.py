"""Reviewer actions: close a recommendation with a reason, or reopen it. Both are audited."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from radfollow.errors import TrackerError
from radfollow.tracker.matching import match_new_recommendations
from radfollow.tracker.policy import Policy
from radfollow.tracker.queries import valid_id
from radfollow.tracker.schema import Recommendation, ReviewAction


class CloseReason(StrEnum):
    DONE_ELSEWHERE = "done elsewhere"
    NOT_INDICATED = "not indicated"
    PATIENT_DECLINED = "patient declined"
    DECEASED = "deceased"
    CARE_TRANSFERRED = "care transferred"
    LOST_TO_FOLLOW_UP = "lost to follow-up"


def actor_name(by: str) -> str:
    """``by`` without surrounding whitespace; every audit entry names who acted, so an
    empty or blank actor raises TrackerError."""
    actor = by.strip()
    if not actor:
        raise TrackerError("--by must name who acts (the audit trail records it)")
    return actor


def get_recommendation(session: Session, rec_id: int) -> Recommendation:
    """The recommendation ``rec_id``; TrackerError when there is none."""
    rec = session.get(Recommendation, rec_id) if valid_id(session, rec_id) else None
    if rec is None:
        raise TrackerError(f"no recommendation {rec_id}")
    return rec


def close(
    session: Session, rec_id: int, *, reason: CloseReason, by: str, at: datetime, note: str | None
) -> Recommendation:
    """Close ``rec_id`` as ``by`` (stripped; blank raises TrackerError), audited."""
    actor = actor_name(by)
    rec = get_recommendation(session, rec_id)
    if rec.state == "superseded":
        raise TrackerError(f"recommendation {rec_id} was superseded by a corrected report")
    if rec.state == "closed":
        raise TrackerError(f"recommendation {rec_id} is already closed ({rec.closed_reason})")
    rec.state, rec.closed_reason, rec.closed_at = "closed", reason.value, at
    rec.refresh_resolved()
    text = reason.value if not note else f"{reason.value}: {note}"
    session.add(
        ReviewAction(recommendation_id=rec.id, actor=actor, action="closed", reason=text, at=at)
    )
    return rec


def reopen(
    session: Session,
    rec_id: int,
    *,
    by: str,
    at: datetime,
    note: str | None,
    policy: Policy | None = None,
) -> Recommendation:
    """Reopen a closed ``rec_id`` as ``by`` (stripped; blank raises TrackerError), audited.

    With ``policy``, the studies stored meanwhile are matched to it again.
    """
    actor = actor_name(by)
    rec = get_recommendation(session, rec_id)
    if rec.state != "closed":
        raise TrackerError(f"recommendation {rec_id} is not closed")
    rec.state, rec.closed_reason, rec.closed_at = "active", None, None
    rec.refresh_resolved()
    session.add(
        ReviewAction(recommendation_id=rec.id, actor=actor, action="reopened", reason=note, at=at)
    )
    session.flush()
    if policy is not None and rec.completed_at is None:
        match_new_recommendations(session, [rec], policy)
    return rec
