"""Read a received message's header and decide what to store and how to answer.

Cheap checks only (no NLP): decode with the MSH-18 charset (UTF-8 default,
Latin-1 fallback), read MSH, and for ORU^R01 run the HL7 adapter so that a
message that parses but cannot give a report is answered AE at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from radfollow.errors import (
    HL7DecodeError,
    HL7Error,
    HL7MissingDataError,
    HL7UnsupportedMessageError,
)
from radfollow.hl7 import parse_message
from radfollow.hl7.charset import decode_message
from radfollow.hl7.delimiters import Delimiters
from radfollow.hl7.framing import RawMessage


@dataclass(frozen=True)
class Header:
    field: str
    component: str
    repetition: str
    escape: str
    subcomponent: str
    sending_application: str
    sending_facility: str
    receiving_application: str
    receiving_facility: str
    message_type: str
    trigger: str
    control_id: str
    processing_id: str
    version: str
    codec: str
    charset: str = ""  # MSH-18 as sent

    @property
    def encoding_characters(self) -> str:
        return self.component + self.repetition + self.escape + self.subcomponent


@dataclass(frozen=True)
class Verdict:
    """What to do with a message.

    kind: ``store`` (ORU^R01, processed later, AA), ``ignore`` (stored, not
    processed, AA), ``unusable`` (stored, AE), ``reject`` (dead letter, AR),
    ``unreadable`` (dead letter, connection closed: no MSH to answer).
    """

    kind: str
    header: Header | None
    reason: str = ""
    error_code: str | None = None


def read_header(data: bytes) -> Header | None:
    """The MSH fields, or None when there is no readable MSH."""
    try:
        decoded = decode_message(data)
    except HL7DecodeError:
        decoded = None
    text = decoded.text if decoded else data.decode("latin-1")
    codec = decoded.charset if decoded else "latin-1"
    start = text.find("MSH")
    if start < 0:
        return None
    segment = text[start:].split("\r", 1)[0].split("\n", 1)[0]
    try:
        d = Delimiters.from_msh(segment)
    except HL7Error:
        return None
    fields = segment.split(d.field)
    fields = [fields[0], d.field, *fields[1:]]  # fields[n] is MSH-n

    def get(n: int, component: int = 0) -> str:
        """MSH-n, cut to the 64 characters the inbox columns hold."""
        if n >= len(fields):
            return ""
        parts = fields[n].split(d.repetition)[0].split(d.component)
        return parts[component].strip()[:64] if component < len(parts) else ""

    control = get(10)
    if not control:
        return None
    return Header(
        d.field,
        d.component,
        d.repetition,
        d.escape,
        d.subcomponent,
        get(3),
        get(4),
        get(5),
        get(6),
        get(9),
        get(9, 1),
        control,
        get(11),
        get(12),
        codec,
        get(18),
    )


PROCESSED_TYPES = frozenset({"ORU^R01", "ORU"})


def inspect(data: bytes, *, reject_other: bool = False, hl7: Any = None) -> Verdict:
    """Classify one message. Types other than ORU^R01 are ignored (AA) or, with
    ``reject_other``, rejected (AR)."""
    header = read_header(data)
    if header is None:
        return Verdict("unreadable", None, "no readable MSH segment with a control id (MSH-10)")
    kind = f"{header.message_type}^{header.trigger}" if header.trigger else header.message_type
    if kind not in PROCESSED_TYPES:
        reason = f"message type {kind} is not processed"
        return (
            Verdict("reject", header, reason, "200")
            if reject_other
            else Verdict("ignore", header, reason)
        )
    try:
        options = (
            {}
            if hl7 is None
            else {"accession_fields": hl7.accession_fields, "default_tz": hl7.default_tz}
        )
        parse_message(RawMessage("listener", 1, data), **options)
    except HL7MissingDataError as err:
        return Verdict("unusable", header, err.message, "101")
    except HL7UnsupportedMessageError as err:
        return Verdict("reject", header, err.message, "203")
    except HL7Error as err:
        return Verdict("reject", header, err.message, "102")
    return Verdict("store", header)
