"""Read a received message's header and decide what to store and how to answer.

Cheap checks only (no NLP): read MSH with :func:`radfollow.hl7.header.read_header`
(re-exported here for the server), and for ORU^R01 check MSH-11 (production
only, unless test messages are accepted), run the HL7 adapter and the
processing core's checks (:func:`radfollow.processing.checks.check_report`), so
that a message that can never give a tracked report (no report text, no
observation time, a text over the size limit) is answered AE at once instead
of AA and a later failure.

Answers follow HL7 v2.5.1 chapter 2 original mode (section 2.9.2, table 0008):
AE when the message itself is wrong (resending it unchanged will not help),
AR only for a temporary problem on this side (see ``docs/listener.md``).
"""

from __future__ import annotations

from dataclasses import dataclass

from radfollow.errors import (
    HL7Error,
    HL7MissingDataError,
    HL7TestMessageError,
    HL7UnsupportedMessageError,
    ReportTooLargeError,
)
from radfollow.hl7.delimiters import Delimiters
from radfollow.hl7.framing import RawMessage
from radfollow.hl7.header import FALLBACK_CODEC, MessageHeader, find_msh, read_header
from radfollow.hl7.options import HL7Options
from radfollow.hl7.orders import ORDER_MESSAGE_TYPES
from radfollow.models import MAX_REPORT_CHARS
from radfollow.processing.checks import check_processing_id, check_report

__all__ = ["PROCESSED_TYPES", "Verdict", "inspect", "read_header", "salvage_header"]


@dataclass(frozen=True)
class Verdict:
    """What to do with a message.

    kind: ``store`` (ORU^R01, processed later, AA), ``ignore`` (stored, not
    processed, AA), ``unusable`` (stored, not processed, AE), ``reject`` (dead
    letter, AE), ``failed`` (dead letter, AR: an internal error while reading
    it), ``unreadable`` (dead letter, connection closed: no MSH to answer).
    """

    kind: str
    header: MessageHeader | None
    reason: str = ""
    error_code: str | None = None


PROCESSED_TYPES = frozenset({"ORU^R01", "ORU"}) | ORDER_MESSAGE_TYPES


def inspect(
    data: bytes,
    *,
    reject_other: bool = False,
    hl7: HL7Options | None = None,
    max_report_chars: int = MAX_REPORT_CHARS,
    accept_test: bool = False,
) -> Verdict:
    """Classify one message. Types other than ORU^R01 and the order and appointment
    messages (ORM^O01, OMI^O23, SIU^S12/S13/S14/S15/S17/S26) are ignored (AA) or, with
    ``reject_other``, rejected (AE 200). ``hl7`` says how the feed is read;
    ``max_report_chars`` is the processing core's report size limit;
    ``accept_test``: MSH-11 T (training) and D (debugging) are processed too.
    Linear in the size of ``data``; raises only on a bug."""
    hl7 = hl7 or HL7Options()
    header = read_header(data, charset_rules=hl7.charset_rules)
    if header is None:
        return _unreadable(data)
    kind = f"{header.message_type}^{header.trigger}" if header.trigger else header.message_type
    if kind not in PROCESSED_TYPES:
        reason = f"message type {kind} is not processed"
        return (
            Verdict("reject", header, reason, "200")
            if reject_other
            else Verdict("ignore", header, reason)
        )
    try:
        check_processing_id(header.processing_id, accept_test=accept_test)
        raw = RawMessage("listener", 1, data)
        if kind in ORDER_MESSAGE_TYPES:
            hl7.parse_orders(raw)
        else:
            for report in hl7.parse(raw):
                check_report(report, max_chars=max_report_chars, tracking=True)
    except HL7TestMessageError as err:
        return Verdict("unusable", header, err.message, "202")
    except ReportTooLargeError as err:
        return Verdict("unusable", header, err.message, "207")
    except HL7MissingDataError as err:
        return Verdict("unusable", header, err.message, "101")
    except HL7UnsupportedMessageError as err:
        return Verdict("reject", header, err.message, "203")
    except HL7Error as err:
        return Verdict("reject", header, err.message, "102")
    return Verdict("store", header)


def _unreadable(data: bytes) -> Verdict:
    """A message whose header :func:`read_header` cannot read: answered AE when an
    MSH segment is there at all (bad MSH-1/MSH-2, empty MSH-10), else unreadable."""
    header = salvage_header(data)
    if header is None:
        return Verdict("unreadable", None, "no MSH segment")
    if not header.control_id:
        return Verdict("reject", header, "MSH-10 message control id is empty", "101")
    try:
        line = data[find_msh(data) :].split(b"\r", 1)[0].split(b"\n", 1)[0]
        Delimiters.from_msh(line.decode(FALLBACK_CODEC))
    except HL7Error as err:
        return Verdict("reject", header, err.message, "102")
    return Verdict("reject", header, "the message header (MSH) cannot be read", "102")


def salvage_header(data: bytes) -> MessageHeader | None:
    """A header to answer a message whose MSH-1/MSH-2 are unusable, or None when no
    segment starts with ``MSH`` and a separator.

    Read with the separator that follows ``MSH`` and no other delimiter; values
    are the raw fields (MSH-3 to MSH-6, MSH-9 to MSH-12), decoded as Latin-1,
    so that every byte reads; the answer uses the default delimiters
    (``|^~\\&``) and Latin-1. Never raises.
    """
    start = find_msh(data)
    if start < 0:
        return None
    end = min((i for i in (data.find(b"\r", start), data.find(b"\n", start)) if i >= 0), default=-1)
    line = data[start : end if end >= 0 else len(data)].decode(FALLBACK_CODEC)
    pieces = line.split(line[3])

    def raw(number: int) -> str:  # MSH-n is pieces[n - 1]
        return pieces[number - 1].strip() if len(pieces) >= number else ""

    return MessageHeader(
        delimiters=Delimiters(),
        sending_application=raw(3),
        sending_facility=raw(4),
        receiving_application=raw(5),
        receiving_facility=raw(6),
        message_type=raw(9),
        trigger="",
        control_id=raw(10),
        processing_id="",
        version=raw(12),
        charset="",
        codec=FALLBACK_CODEC,
    )
