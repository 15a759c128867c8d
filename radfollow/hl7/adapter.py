"""One raw HL7 v2 message to typed radiology reports (STYLE.md #10).

``parse_message`` turns one :class:`RawMessage` into one
:class:`RadiologyReport` per OBR group that has report text, or raises an
:class:`~radfollow.errors.HL7Error` subclass whose message is a one-line reason.

Time zone: OBR-7 values that carry no UTC offset are read in ``default_tz``
(UTC unless the caller passes the sending site's zone, e.g.
``ZoneInfo("Europe/Berlin")``); values with an offset keep it.

People and places (docs/hl7-orders.md): OBR-16 ordering provider, OBR-32
principal interpreter, PV1-2 patient class, PV1-3 (else ORC-21) department and
PID-11 postal code, each None when not sent.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from functools import cache
from typing import Any

from radfollow.errors import HL7Error, HL7MissingDataError, HL7ParseError
from radfollow.hl7 import extract
from radfollow.hl7.charset import CharsetRules, decode_message
from radfollow.hl7.delimiters import Delimiters
from radfollow.hl7.fields import Reader, Segment, parse_segments, split_segments
from radfollow.hl7.framing import RawMessage
from radfollow.hl7.header import MSH_PATTERN, check_oru_header, header_from_segment, read_header
from radfollow.hl7.text import report_text
from radfollow.hl7.timefmt import parse_dtm
from radfollow.models import RadiologyReport
from radfollow.rules.loader import load_rule_file
from radfollow.rules.schema import ModalityRules, PlaceholderRules

DEFAULT_ACCESSION_FIELDS: tuple[str, ...] = ("OBR-3", "ORC-3", "OBR-18")
_FIELD_SPEC = re.compile(r"(OBR|ORC)-([1-9]\d*)")
_MSH_SEGMENT = re.compile(MSH_PATTERN)
_BATCH_SEGMENTS = ("FHS", "BHS", "BTS", "FTS")


@dataclass(frozen=True)
class FieldRef:
    segment: str
    number: int


@dataclass(frozen=True)
class OrderGroup:
    """An OBR with the ORC just before it and the OBX and NTE segments after it.

    ``results`` keeps message order, so each NTE follows the OBX it annotates
    (NTE before the first OBX annotate the order).
    """

    orc: Segment | None
    obr: Segment
    results: list[Segment] = field(default_factory=list)

    def raw(self, ref: FieldRef) -> str:
        segment = self.obr if ref.segment == "OBR" else self.orc
        return segment.raw(ref.number) if segment else ""


@dataclass(frozen=True)
class _Options:
    refs: tuple[FieldRef, ...]
    default_tz: tzinfo
    rules: ModalityRules


def parse_message(
    raw: RawMessage,
    *,
    accession_fields: Sequence[str] = DEFAULT_ACCESSION_FIELDS,
    default_tz: tzinfo = UTC,
    modality_rules: ModalityRules | None = None,
    charset_rules: CharsetRules | None = None,
    placeholder_rules: PlaceholderRules | None = None,
) -> list[RadiologyReport]:
    """Reports of one ORU^R01 message, one per OBR group with text, in message order.

    ``modality_rules``/``charset_rules``/``placeholder_rules`` None: the packaged
    rules; a site's come from ``radfollow.rules.loader.load_rules(ModalityRules,
    rules_dir)`` (and ``CharsetRules``, ``PlaceholderRules``). Report text: see
    :mod:`radfollow.hl7.text` (OBX values, NTE after a placeholder OBX, HTML and
    RTF converted to plain text; NLP offsets refer to the converted text).
    """
    options = _Options(
        accession_refs(accession_fields),
        default_tz,
        modality_rules or load_rule_file(ModalityRules),
    )
    segments, reader = tokenise(raw.data, charset_rules)
    header = check_oru_header(header_from_segment(segments[0], reader))
    groups = order_groups(segments)
    placeholders = placeholder_rules or load_rule_file(PlaceholderRules)
    texts = [report_text(group.results, reader, placeholders) for group in groups]
    if not any(texts):
        raise HL7MissingDataError(
            "no OBX with report text (value type TX, FT, ST, CE or CWE, "
            "or NTE after a placeholder OBX)"
        )
    message_fields: dict[str, Any] = {
        "control_id": header.control_id,
        "sending_facility": header.sending_facility or None,
        "hl7_version": header.version or None,
        "patient": extract.read_patient(segments, reader),
        "message_time": _message_time(segments[0], reader, options.default_tz),
        "patient_class": extract.read_patient_class(segments, reader),
        "source": raw.source,
        "position": raw.position,
    }
    pv1 = extract.find_segment(segments, "PV1")
    return [
        RadiologyReport(
            **message_fields,
            **_group_fields(group, index, reader, options),
            department=extract.read_department(pv1, group.orc, reader),
            text=text,
        )
        for index, (group, text) in enumerate(zip(groups, texts, strict=True), start=1)
        if text
    ]


def _message_time(msh: Segment, reader: Reader, default_tz: tzinfo) -> datetime | None:
    """MSH-7; None when absent or unreadable (it only dates a correction's arrival)."""
    try:
        return parse_dtm(reader.value(msh.raw(7)), default_tz, where="MSH-7")
    except HL7Error:
        return None


def _group_fields(
    group: OrderGroup, index: int, reader: Reader, options: _Options
) -> dict[str, Any]:
    """The RadiologyReport fields that come from one OBR group."""
    obr = group.obr
    procedure = extract.read_coding(obr.raw(4), reader)
    modality_raw = reader.value(obr.raw(24)) or None
    return {
        "accession": _accession(group, options.refs, reader, index),
        "procedure": procedure,
        "modality_raw": modality_raw,
        "modality": options.rules.resolve(modality_raw or "", procedure.text or ""),
        "observation_time": parse_dtm(reader.value(obr.raw(7)), options.default_tz, where="OBR-7"),
        "result_status": extract.read_result_status(obr, reader),
        "ordering_provider": extract.read_provider(obr.raw(16), reader),
        "principal_interpreter": extract.read_interpreter(obr, reader),
        "indication": extract.read_indication(obr, reader),
    }


def peek_control_id(data: bytes) -> str | None:
    """Best-effort MSH-10 of possibly broken input, for error lines. Never raises.

    Read by :func:`radfollow.hl7.header.read_header`, so it is the control id
    the adapter would have read (same charset, escapes decoded).
    """
    header = read_header(data)
    return header.control_id if header else None


def tokenise(
    data: bytes, charset_rules: CharsetRules | None = None
) -> tuple[list[Segment], Reader]:
    """Decode, normalise segment endings and split; the first segment is the MSH."""
    decoded = decode_message(data, charset_rules)
    lines = [line for line in split_segments(decoded.text) if not line.startswith(_BATCH_SEGMENTS)]
    starts = [i for i, line in enumerate(lines) if _MSH_SEGMENT.match(line)]
    if not starts:
        raise HL7ParseError("no MSH segment found (not an HL7 v2 message)")
    if starts[0] != 0:
        raise HL7ParseError(f"segment {lines[0][:3]!r} before the MSH segment")
    if len(starts) > 1:
        raise HL7ParseError("more than one MSH segment in one message (one message per frame)")
    delimiters = Delimiters.from_msh(lines[0])
    check_separator_count(decoded.text, delimiters)
    return parse_segments(lines), Reader(delimiters, decoded.charset)


#: Field, component, repetition and sub-component separators one message may
#: hold. python-hl7 builds an object per separator (about 30 us each here: a
#: 900 KB run of "~" took 31 s to parse); an ORU of the corpora holds under
#: 1,000, a report at the 100,000-character limit a few thousand.
MAX_SEPARATORS = 50_000


def check_separator_count(text: str, delimiters: Delimiters, limit: int = MAX_SEPARATORS) -> None:
    """Raise HL7ParseError when ``text`` holds more than ``limit`` separators, so
    that parsing a message costs a bounded time (one count per separator, linear)."""
    separators = {
        delimiters.field,
        delimiters.component,
        delimiters.repetition,
        delimiters.subcomponent,
    }
    count = sum(text.count(s) for s in separators if s)
    if count > limit:
        raise HL7ParseError(
            f"message holds {count:,} field, component, repetition and sub-component "
            f"separators; the limit is {limit:,}"
        )


def order_groups(segments: Sequence[Segment]) -> list[OrderGroup]:
    """OBR groups in order; an ORC belongs to the OBR that follows it, OBX and NTE to
    the OBR before."""
    groups: list[OrderGroup] = []
    pending_orc: Segment | None = None
    for segment in segments:
        if segment.name == "ORC":
            pending_orc = segment
        elif segment.name == "OBR":
            groups.append(OrderGroup(orc=pending_orc, obr=segment))
            pending_orc = None
        elif segment.name in ("OBX", "NTE") and groups:
            groups[-1].results.append(segment)
    if not groups:
        raise HL7MissingDataError("no OBR segment")
    return groups


@cache
def _refs(specs: tuple[str, ...]) -> tuple[FieldRef, ...]:
    refs = []
    for spec in specs:
        match = _FIELD_SPEC.fullmatch(spec.strip().upper())
        if match is None:
            raise ValueError(f"accession field {spec!r} is not OBR-<n> or ORC-<n>")
        refs.append(FieldRef(match.group(1), int(match.group(2))))
    if not refs:
        raise ValueError("accession_fields is empty")
    return tuple(refs)


def accession_refs(specs: Sequence[str] | str) -> tuple[FieldRef, ...]:
    """Checked accession field list; raises ValueError (a configuration error)."""
    return _refs((specs,) if isinstance(specs, str) else tuple(specs))


def _accession(group: OrderGroup, refs: Sequence[FieldRef], reader: Reader, index: int) -> str:
    for ref in refs:
        value = reader.value(group.raw(ref))
        if value:
            return value
    names = ", ".join(f"{ref.segment}-{ref.number}" for ref in refs)
    raise HL7MissingDataError(f"no accession number in {names} of OBR group {index}")
