"""Read a received message's header and decide what to store and how to answer.

Cheap checks only (no NLP): read MSH with :func:`radfollow.hl7.header.read_header`
(re-exported here for the server), and for ORU^R01 run the HL7 adapter and the
processing core's checks (:func:`radfollow.processing.checks.check_report`), so
that a message that can never give a tracked report (no report text, no
observation time, a text over the size limit) is answered AE at once instead
of AA and a later failure.
"""

from __future__ import annotations

from dataclasses import dataclass

from radfollow.errors import (
    HL7Error,
    HL7MissingDataError,
    HL7UnsupportedMessageError,
    ReportTooLargeError,
)
from radfollow.hl7.framing import RawMessage
from radfollow.hl7.header import MessageHeader, read_header
from radfollow.hl7.options import HL7Options
from radfollow.models import MAX_REPORT_CHARS
from radfollow.processing.checks import check_report

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


def inspect(
    data: bytes,
    *,
    reject_other: bool = False,
    hl7: HL7Options | None = None,
    max_report_chars: int = MAX_REPORT_CHARS,
) -> Verdict:
    """Classify one message. Types other than ORU^R01 are ignored (AA) or, with
    ``reject_other``, rejected (AR). ``hl7`` says how the feed is read;
    ``max_report_chars`` is the processing core's report size limit."""
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
        for report in (hl7 or HL7Options()).parse(RawMessage("listener", 1, data)):
            check_report(report, max_chars=max_report_chars, tracking=True)
    except ReportTooLargeError as err:
        return Verdict("unusable", header, err.message, "207")
    except HL7MissingDataError as err:
        return Verdict("unusable", header, err.message, "101")
    except HL7UnsupportedMessageError as err:
        return Verdict("reject", header, err.message, "203")
    except HL7Error as err:
        return Verdict("reject", header, err.message, "102")
    return Verdict("store", header)
