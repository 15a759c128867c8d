"""Orders and appointments: a later study that is booked makes a recommendation ``scheduled``.

An ORM^O01 / OMI^O23 order or SIU appointment (radfollow.hl7.orders) is stored
per patient, keyed on the placer number, else the filler number, else the
accession; its latest event sets its status (ordered, scheduled, cancelled,
no_show). Which recommendations it schedules: radfollow.tracker.scheduling.

Events are idempotent and ordered: a message seen before (same sender and
MSH-10) changes nothing, and an event older (MSH-7) than the last one applied
to its order is recorded and ignored, so a late booking cannot revive a
cancelled appointment. Every change is audited at the message time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from radfollow.errors import TrackerError
from radfollow.models import OrderEvent
from radfollow.tracker.ingest import lock_patient
from radfollow.tracker.keys import control_key, fit
from radfollow.tracker.matching import open_recommendations
from radfollow.tracker.policy import Policy
from radfollow.tracker.scheduling import LIVE, fits, live_orders, schedule, unschedule
from radfollow.tracker.schema import Message, Order, Recommendation


@dataclass
class OrderOutcome:
    status: str  # stored | duplicate | ignored
    reason: str = ""
    order_id: int | None = None
    scheduled: list[int] = field(default_factory=list)
    unscheduled: list[int] = field(default_factory=list)


def order_key(event: OrderEvent) -> str:
    """The order's key: placer number, else filler number, else accession.

    Raises TrackerError when the event carries none of them.
    """
    number = event.placer_order_number or event.filler_order_number or event.accession
    if not number:
        raise TrackerError("order has no placer or filler order number nor accession")
    return control_key(number)


def ingest_order(session: Session, event: OrderEvent, policy: Policy) -> OrderOutcome:
    """Store one order or appointment event and update the patient's recommendations."""
    patient = lock_patient(session, event.patient)
    facility = control_key(event.sending_facility or "")
    control = control_key(event.control_id)
    seen = select(Message.id).where(
        Message.sending_facility == facility, Message.control_id == control
    )
    if session.scalar(seen.limit(1)) is not None:
        return OrderOutcome("duplicate", "message control id already ingested")
    session.add(
        Message(
            sending_facility=facility,
            control_id=control,
            outcome="order",
            received_at=datetime.now(UTC),
        )
    )
    key = order_key(event)
    at = event.event_time or datetime.now(UTC)
    order = session.scalar(
        select(Order).where(Order.patient_id == patient.id, Order.order_key == key)
    )
    if order is not None and at < order.updated_at:
        return OrderOutcome("ignored", "older than the order's last event", order.id)
    if order is None:
        order = Order(patient_id=patient.id, order_key=key, updated_at=at)
        session.add(order)
    _update(order, event, policy, at)
    session.flush()
    outcome = OrderOutcome("stored", order_id=order.id)
    others = [o for o in live_orders(session, patient.id) if o.id != order.id]
    booked = list(
        session.scalars(select(Recommendation).where(Recommendation.scheduled_order_id == order.id))
    )
    for rec in booked:  # cancelled, missed, or changed so that it may no longer fit
        if order.status not in LIVE or fits(rec, order, policy) is None:
            what = {"cancelled": "order cancelled", "no_show": "appointment missed (no-show)"}
            unschedule(session, rec, what.get(order.status, "order changed"), at, others, policy)
            outcome.unscheduled.append(rec.id)
        else:
            rec.scheduled_for = order.scheduled_for
    if order.status in LIVE:
        for rec in open_recommendations(session, patient.id):
            if rec.scheduled_order_id is None and schedule(session, rec, [order], policy, at):
                outcome.scheduled.append(rec.id)
    return outcome


def _update(order: Order, event: OrderEvent, policy: Policy, at: datetime) -> None:
    if event.procedure.text or event.procedure.code or order.procedure is None:
        info = policy.procedure(event.procedure.text, event.procedure.code, event.modality)
        order.procedure = fit(event.procedure.text, 255)
        order.modality = info.modality
        order.regions = fit("|".join(info.regions), 255) or None
        order.laterality = info.laterality
        order.procedure_kind = info.kind
    order.accession = fit(event.accession, 64) or order.accession
    order.status = event.event.value
    order.scheduled_for = event.scheduled_time or order.scheduled_for
    order.updated_at = at
    order.message_type = event.message_type
