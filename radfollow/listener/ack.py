"""HL7 acknowledgements: MSA with the original MSH-10, MSA-3 text, ERR (table 0357).

python-hl7's ``create_ack`` fills only MSA-1/2 and stamps MSH-7 without a
time zone; these ACKs carry both, and an ERR segment for AE and AR.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime

from radfollow.hl7.escapes import escape
from radfollow.hl7.header import MessageHeader

_COUNTER = itertools.count(1)

#: HL7 table 0357 codes used in ERR-3.
UNSUPPORTED_MESSAGE_TYPE = "200"
UNSUPPORTED_VERSION = "203"
REQUIRED_FIELD_MISSING = "101"
DATA_TYPE_ERROR = "102"
APPLICATION_ERROR = "207"
SEGMENT_SEQUENCE_ERROR = "100"

_TEXT_0357 = {
    "100": "Segment sequence error",
    "101": "Required field missing",
    "102": "Data type error",
    "200": "Unsupported message type",
    "203": "Unsupported version id",
    "207": "Application internal error",
}


@dataclass(frozen=True)
class Ack:
    code: str  # AA, AE, AR
    text: str = ""
    error: str | None = None  # HL7 table 0357 code


def _clean(text: str, header: MessageHeader) -> str:
    d = header.delimiters
    for char in {d.field, d.component, d.repetition, d.escape, d.subcomponent, "\r", "\n"}:
        text = text.replace(char, " ")
    return text[:200]


def build_ack(header: MessageHeader, ack: Ack, *, now: datetime | None = None) -> bytes:
    """The ACK message (no MLLP framing), in the sender's delimiters and charset.

    Header values are read unescaped, so they are escaped again here.
    """
    f, c = header.delimiters.field, header.delimiters.component

    def esc(value: str) -> str:
        return escape(value, header.delimiters)

    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d%H%M%S%z")
    control = f"RF{stamp[:14]}{next(_COUNTER):06d}"
    msh = f.join(
        [
            "MSH",
            header.encoding_characters,
            esc(header.receiving_application),
            esc(header.receiving_facility),
            esc(header.sending_application),
            esc(header.sending_facility),
            stamp,
            "",
            f"ACK{c}{esc(header.trigger)}{c}ACK" if header.trigger else "ACK",
            control,
            esc(header.processing_id) or "P",
            esc(header.version) or "2.5.1",
            # MSH-13..17 empty; MSH-18 echoes the sender's charset, which the ACK is encoded in
            *(["", "", "", "", "", esc(header.charset)] if header.charset else []),
        ]
    )
    msa = ["MSA", ack.code, esc(header.control_id), _clean(ack.text, header)]
    segments = [msh, f.join(msa)]
    if ack.error:
        text = _TEXT_0357.get(ack.error, "")
        segments.append(
            f.join(
                [
                    "ERR",
                    "",
                    "",
                    c.join([ack.error, text, "HL70357"]),
                    "E",
                    "",
                    "",
                    "",
                    _clean(ack.text, header),
                ]
            )
        )
    return ("\r".join(segments) + "\r").encode(header.codec, errors="replace")
