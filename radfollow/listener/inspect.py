"""Read a received message's header and decide what to store and how to answer.

Cheap checks only (no NLP): read MSH with :func:`radfollow.hl7.header.read_header`
(re-exported here for the server), and for ORU^R01 run the HL7 adapter so that
a message that parses but cannot give a report is answered AE at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from radfollow.errors import HL7Error, HL7MissingDataError, HL7UnsupportedMessageError
from radfollow.hl7 import parse_message
from radfollow.hl7.framing import RawMessage
from radfollow.hl7.header import MessageHeader, read_header

__all__ = ["PROCESSED_TYPES", "Verdict", "inspect", "read_header"]


@dataclass(frozen=True)
class Verdict:
    """What to do with a message.

    kind: ``store`` (ORU^R01, processed later, AA), ``ignore`` (stored, not
    processed, AA), ``unusable`` (stored, AE), ``reject`` (dead letter, AR),
    ``unreadable`` (dead letter, connection closed: no MSH to answer).
    """

    kind: str
    header: MessageHeader | None
    reason: str = ""
    error_code: str | None = None


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
