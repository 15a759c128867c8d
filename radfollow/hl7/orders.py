"""Order and appointment messages to typed order events (STYLE.md #10, docs/hl7-orders.md).

``parse_order_message`` turns one :class:`RawMessage` into :class:`OrderEvent`
values, or raises an :class:`~radfollow.errors.HL7Error` subclass whose message
is a one-line reason naming fields, never values:

* ORM^O01 general order and OMI^O23 imaging order (HL7 v2.5.1 chapter 4,
  order entry): one event per order group, an ORC with the TQ1, OBR and IPC
  after it (an ORC without an OBR, as a cancellation may be sent, is a group
  too). The kind comes from ORC-1 order control (table 0119); an SC (status
  changed) whose ORC-5 order status (table 0038) is CA or DC reads as a
  cancellation.
* SIU^S12 to S26 (chapter 10, scheduling, trigger events): one event per
  message, from the SCH and the first AIS with a service.

Times without a UTC offset are read in ``default_tz``, as the ORU adapter does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo
from types import MappingProxyType
from typing import Any

from radfollow.errors import HL7MissingDataError, HL7UnsupportedMessageError, quoted_code
from radfollow.hl7 import extract
from radfollow.hl7.adapter import FieldRef, accession_refs, tokenise
from radfollow.hl7.charset import CharsetRules
from radfollow.hl7.fields import Reader, Segment
from radfollow.hl7.framing import RawMessage
from radfollow.hl7.header import MessageHeader, check_oru_header, header_from_segment
from radfollow.hl7.timefmt import parse_dtm
from radfollow.models import Coding, OrderEvent, OrderEventKind
from radfollow.rules.loader import load_rule_file
from radfollow.rules.schema import ModalityRules

#: MSH-9 ``TYPE^TRIGGER`` values :func:`parse_order_message` accepts.
ORDER_MESSAGE_TYPES = frozenset(
    {"ORM^O01", "OMI^O23", "SIU^S12", "SIU^S13", "SIU^S14", "SIU^S15", "SIU^S17", "SIU^S26"}
)

#: Where an order's accession is read, first non-empty wins (IPC-1 of an OMI before
#: these). OBR-18 first: IHE Scheduled Workflow (RAD-2/RAD-4) carries the accession
#: number there in ORM messages.
DEFAULT_ORDER_ACCESSION_FIELDS: tuple[str, ...] = ("OBR-18", "ORC-3", "OBR-3")

#: ORC-1 order control (HL7 table 0119) to event kind; empty ORC-1 reads as a new order.
ORDER_CONTROLS: Mapping[str, OrderEventKind] = MappingProxyType(
    {
        "": OrderEventKind.ORDERED,
        "NW": OrderEventKind.ORDERED,  # new order
        "XO": OrderEventKind.ORDERED,  # change order
        "SC": OrderEventKind.ORDERED,  # status changed (see CANCELLED_STATUSES)
        "CA": OrderEventKind.CANCELLED,  # cancel order request
        "OC": OrderEventKind.CANCELLED,  # order cancelled
        "DC": OrderEventKind.CANCELLED,  # discontinue order request
        "CR": OrderEventKind.CANCELLED,  # cancelled as requested
        "OD": OrderEventKind.CANCELLED,  # order discontinued
    }
)

#: ORC-5 order status (HL7 table 0038) that turns an ORC-1 SC into a cancellation.
CANCELLED_STATUSES = frozenset({"CA", "DC"})

#: SIU trigger events (HL7 v2.5.1 chapter 10) to event kind.
SIU_EVENTS: Mapping[str, OrderEventKind] = MappingProxyType(
    {
        "S12": OrderEventKind.SCHEDULED,  # new appointment booking
        "S13": OrderEventKind.SCHEDULED,  # appointment rescheduling
        "S14": OrderEventKind.SCHEDULED,  # appointment modification
        "S15": OrderEventKind.CANCELLED,  # appointment cancellation
        "S17": OrderEventKind.CANCELLED,  # appointment deletion
        "S26": OrderEventKind.NO_SHOW,  # patient did not show up
    }
)


@dataclass
class _OrderGroup:
    """An ORC with the TQ1, OBR and IPC segments that follow it (any may be missing)."""

    orc: Segment | None = None
    obr: Segment | None = None
    tq1: Segment | None = None
    ipc: Segment | None = None


@dataclass(frozen=True)
class _Context:
    reader: Reader
    default_tz: tzinfo
    rules: ModalityRules
    refs: tuple[FieldRef, ...]


def parse_order_message(
    raw: RawMessage,
    *,
    default_tz: tzinfo = UTC,
    modality_rules: ModalityRules | None = None,
    charset_rules: CharsetRules | None = None,
    accession_fields: Sequence[str] = DEFAULT_ORDER_ACCESSION_FIELDS,
) -> list[OrderEvent]:
    """Events of one ORM^O01, OMI^O23 or SIU message (see :data:`ORDER_MESSAGE_TYPES`).

    One event per ORC/OBR order group of an ORM or OMI, in message order; one for
    an SIU. Raises :class:`HL7UnsupportedMessageError` for another MSH-9 or an
    ORC-1 not in :data:`ORDER_CONTROLS`, :class:`HL7MissingDataError` without PID
    (or PID-3), order group or SCH, or when a group has no number and no procedure.
    """
    segments, reader = tokenise(raw.data, charset_rules)
    header = check_order_header(header_from_segment(segments[0], reader))
    context = _Context(
        reader,
        default_tz,
        modality_rules or load_rule_file(ModalityRules),
        accession_refs(accession_fields),
    )
    common: dict[str, Any] = {
        "control_id": header.control_id,
        "sending_facility": header.sending_facility or None,
        "message_type": f"{header.message_type.upper()}^{header.trigger.upper()}",
        "event_time": parse_dtm(reader.value(segments[0].raw(7)), default_tz, where="MSH-7"),
        "patient": extract.read_patient(segments, reader),
        "source": raw.source,
        "position": raw.position,
    }
    if header.message_type.upper() == "SIU":
        return [OrderEvent(**common, **_appointment_fields(segments, header.trigger, context))]
    return [
        OrderEvent(**common, **_order_fields(group, index, context))
        for index, group in enumerate(_order_groups(segments), start=1)
    ]


def check_order_header(header: MessageHeader) -> MessageHeader:
    """``header`` unchanged if MSH-9 is one of :data:`ORDER_MESSAGE_TYPES`.

    Raises :class:`HL7UnsupportedMessageError` for another MSH-9 or a version that
    is not v2, :class:`HL7MissingDataError` for an empty MSH-10 (the checks of
    :func:`~radfollow.hl7.header.check_oru_header`, in the same order).
    """
    shown = f"{header.message_type}^{header.trigger}".upper()
    if shown not in ORDER_MESSAGE_TYPES:
        text = quoted_code(shown.rstrip("^")).strip("'") if shown != "^" else "(empty)"
        raise HL7UnsupportedMessageError(
            f"MSH-9 {text} is not an order or appointment message "
            f"({', '.join(sorted(ORDER_MESSAGE_TYPES))})"
        )
    check_oru_header(replace(header, message_type="ORU", trigger="R01"))
    return header


def _order_groups(segments: Sequence[Segment]) -> list[_OrderGroup]:
    """Order groups in message order: an ORC starts one; TQ1, OBR and IPC join the
    group before them; an OBR after a group that has one starts a group without ORC."""
    groups: list[_OrderGroup] = []
    for segment in segments:
        name = segment.name
        if name == "ORC" or (name == "OBR" and (not groups or groups[-1].obr is not None)):
            groups.append(_OrderGroup())
        if name in ("ORC", "OBR") or (name in ("TQ1", "IPC") and groups):
            group = groups[-1]
            if getattr(group, name.lower()) is None:  # the first TQ1 and IPC of a group
                setattr(group, name.lower(), segment)
    if not groups:
        raise HL7MissingDataError("no ORC or OBR segment (no order group)")
    return groups


def order_event_kind(orc: Segment | None, reader: Reader) -> OrderEventKind:
    """ORC-1 (table 0119) as an event kind; SC with ORC-5 CA or DC is a cancellation."""
    if orc is None:
        return OrderEventKind.ORDERED
    control = reader.value(orc.raw(1)).upper()
    kind = ORDER_CONTROLS.get(control)
    if kind is None:
        raise HL7UnsupportedMessageError(
            f"ORC-1 order control {quoted_code(control)} is not supported "
            f"({', '.join(code for code in ORDER_CONTROLS if code)})"
        )
    if control == "SC" and reader.value(orc.raw(5)).upper() in CANCELLED_STATUSES:
        return OrderEventKind.CANCELLED
    return kind


def _order_fields(group: _OrderGroup, index: int, context: _Context) -> dict[str, Any]:
    """The OrderEvent fields of one ORM/OMI order group."""
    reader = context.reader
    orc, obr = _raw_of(group.orc), _raw_of(group.obr)
    procedure = extract.read_coding(obr(4), reader)
    numbers = {
        "placer_order_number": reader.value(orc(2)) or reader.value(obr(2)) or None,
        "filler_order_number": reader.value(orc(3)) or reader.value(obr(3)) or None,
        "accession": _order_accession(group, context),
    }
    if not any(numbers.values()) and procedure == Coding():
        fields = ["ORC-2", "ORC-3", "OBR-2", "OBR-3", "IPC-1"]
        fields += [f"{ref.segment}-{ref.number}" for ref in context.refs]
        raise HL7MissingDataError(
            f"no order number ({', '.join(dict.fromkeys(fields))}) "
            f"and no procedure (OBR-4) in order group {index}"
        )
    modality_raw = reader.value(_raw_of(group.ipc)(5)) or reader.value(obr(24))
    return {
        **numbers,
        "event": order_event_kind(group.orc, reader),
        "procedure": procedure,
        "modality": context.rules.resolve(modality_raw, procedure.text or ""),
        "scheduled_time": _first_time(
            context,
            ("TQ1-7", _raw_of(group.tq1)(7), 1),
            ("OBR-27.4", obr(27), 4),
            ("ORC-7.4", orc(7), 4),
        ),
        "ordering_provider": extract.read_provider(orc(12), reader)
        or extract.read_provider(obr(16), reader),
    }


def _order_accession(group: _OrderGroup, context: _Context) -> str | None:
    """IPC-1 (OMI accession identifier), else the first non-empty accession field."""
    by_name = {"IPC": group.ipc, "OBR": group.obr, "ORC": group.orc}
    for ref in (FieldRef("IPC", 1), *context.refs):
        found = context.reader.value(_raw_of(by_name[ref.segment])(ref.number))
        if found:
            return found
    return None


def _appointment_fields(segments: list[Segment], trigger: str, context: _Context) -> dict[str, Any]:
    """The OrderEvent fields of an SIU message: SCH, its TQ1, the first AIS with a service."""
    reader = context.reader
    sch_segment = extract.find_segment(segments, "SCH")
    if sch_segment is None:
        raise HL7MissingDataError("no SCH segment (schedule activity information)")
    sch = sch_segment.raw
    services = [seg for seg in segments if seg.name == "AIS"]
    ais = _raw_of(
        next((seg for seg in services if extract.read_coding(seg.raw(3), reader) != Coding()), None)
    )
    procedure = extract.read_coding(ais(3), reader)
    if procedure == Coding():
        procedure = extract.read_coding(sch(7), reader)
    placer = reader.value(sch(1)) or reader.value(_raw_of(extract.find_segment(segments, "ARQ"))(1))
    filler = reader.value(sch(2))
    if not placer and not filler and procedure == Coding():
        raise HL7MissingDataError(
            "no appointment id (SCH-1, SCH-2, ARQ-1) and no procedure (AIS-3, SCH-7)"
        )
    return {
        "event": SIU_EVENTS[trigger.upper()],
        "placer_order_number": placer or None,
        "filler_order_number": filler or None,
        "accession": None,
        "procedure": procedure,
        "modality": context.rules.resolve("", procedure.text or ""),
        "scheduled_time": _first_time(
            context,
            ("AIS-4", ais(4), 1),
            ("TQ1-7", _raw_of(extract.find_segment(segments, "TQ1"))(7), 1),
            ("SCH-11.4", sch(11), 4),
        ),
        "ordering_provider": None,
    }


def _first_time(context: _Context, *candidates: tuple[str, str, int]) -> datetime | None:
    """The first non-empty DTM of ``(where, raw field, component)`` candidates, parsed."""
    for where, raw_field, component in candidates:
        value = context.reader.value(raw_field, component)
        if value:
            return parse_dtm(value, context.default_tz, where=where)
    return None


def _raw_of(segment: Segment | None) -> Callable[[int], str]:
    """``segment.raw`` that reads an absent segment as all-empty fields."""
    return segment.raw if segment is not None else _no_field


def _no_field(number: int) -> str:
    return ""
