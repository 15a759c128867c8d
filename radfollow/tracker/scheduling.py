"""Which live order or appointment schedules a recommendation (docs/tracker.md,
"Orders and appointments").

An order's planned study is matched like a study (radfollow.tracker.matching),
timed at its planned time or, without one, at its message time; only a strong
match schedules. A recommendation is scheduled by at most one order at a time;
when that order is cancelled, missed or changed so that it no longer fits,
another live order of the patient that fits takes its place, else the
recommendation goes back to its window's status.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from radfollow.tracker.matching import Exam, evaluate, system_action
from radfollow.tracker.policy import Policy
from radfollow.tracker.schema import Order, Recommendation

#: Order statuses that still plan a study.
LIVE = ("ordered", "scheduled")


def order_exam(order: Order) -> Exam:
    """An order's planned study as the matcher sees it."""
    when = order.scheduled_for or order.updated_at
    label = f"{order.procedure or order.modality} ({order.status}, {when.date().isoformat()})"
    regions = tuple(order.regions.split("|")) if order.regions else ()
    kind = order.procedure_kind or "diagnostic"
    return Exam(when, order.modality, regions, kind, order.laterality, label, order.accession)


def live_orders(session: Session, patient_id: int) -> list[Order]:
    query = select(Order).where(Order.patient_id == patient_id, Order.status.in_(LIVE))
    return list(session.scalars(query.order_by(Order.id)))


def fits(rec: Recommendation, order: Order, policy: Policy) -> str | None:
    """Why ``order`` would fulfil ``rec`` (a strong match), or None."""
    verdict = evaluate(rec, order_exam(order), policy)
    if verdict is None or verdict.strength != "strong":
        return None
    return verdict.reason.replace(" fulfils ", " would fulfil ", 1)


def schedule(
    session: Session, rec: Recommendation, orders: list[Order], policy: Policy, at: datetime
) -> bool:
    """Schedule ``rec`` by the first of ``orders`` that fits; False when none does."""
    for order in orders:
        why = fits(rec, order, policy)
        if why is not None:
            rec.scheduled_at = max(at, rec.reported_at)
            rec.scheduled_order_id = order.id
            rec.scheduled_for = order.scheduled_for
            session.add(system_action(rec.id, "scheduled", why, rec.scheduled_at))
            return True
    return False


def unschedule(
    session: Session,
    rec: Recommendation,
    reason: str,
    at: datetime,
    others: list[Order],
    policy: Policy,
) -> None:
    """Take ``rec`` off its order; another of ``others`` that fits may schedule it."""
    rec.scheduled_at, rec.scheduled_order_id, rec.scheduled_for = None, None, None
    if not schedule(session, rec, others, policy, at):
        session.add(system_action(rec.id, "unscheduled", reason, at))


def schedule_from_orders(session: Session, recs: list[Recommendation], policy: Policy) -> list[int]:
    """New recommendations that a live order stored earlier would fulfil become
    ``scheduled`` (orders may arrive before the report that recommends the study)."""
    if not recs:
        return []
    orders = live_orders(session, recs[0].patient_id)
    return [
        rec.id for rec in recs if orders and schedule(session, rec, orders, policy, rec.reported_at)
    ]
