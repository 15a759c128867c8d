"""Refuse a report that can never be processed, before any work is spent on it.

Used by every entry point: ``process`` rejects the report with an error line,
the listener answers AE at receive time (resending will not help), instead of
an AA followed by a failure in the worker. No spaCy import: the listener's
receiving process uses it.
"""

from __future__ import annotations

from radfollow.errors import (
    HL7FieldLengthError,
    HL7MissingDataError,
    HL7TestMessageError,
    ReportTooLargeError,
    quoted_code,
)
from radfollow.models import MAX_REPORT_CHARS, RadiologyReport
from radfollow.tracker.keys import KEY_CHARS

__all__ = ["MAX_REPORT_CHARS", "check_processing_id", "check_report", "too_large"]

#: MSH-11 processing ids (HL7 table 0103) processed by default; an empty MSH-11
#: (required, but left out by some senders) is read as production.
PRODUCTION_IDS = frozenset({"P", ""})
#: Also processed with ``accept_test``: T (training) and D (debugging).
TEST_IDS = frozenset({"T", "D"})


def too_large(size: int, limit: int) -> str:
    """The reason given for a report text over the limit (sizes in characters)."""
    return f"report text of {size:,} characters is over the {limit:,}-character limit"


def check_report(report: RadiologyReport, *, max_chars: int, tracking: bool) -> None:
    """Raise when ``report`` cannot be processed.

    ReportTooLargeError (RF202): the text is over ``max_chars`` characters.
    HL7MissingDataError (RF303): ``tracking`` and no observation time (OBR-7),
    from which every due date is counted.
    HL7FieldLengthError (RF306): ``tracking`` and a patient identifier or
    accession over 64 characters.
    """
    if len(report.text) > max_chars:
        raise ReportTooLargeError(too_large(len(report.text), max_chars))
    if tracking and report.observation_time is None:
        raise HL7MissingDataError("OBR-7 observation time is empty; the tracker needs it")
    if tracking:
        _check_key_lengths(report)


def _check_key_lengths(report: RadiologyReport) -> None:
    """HL7FieldLengthError (RF306) when a value the tracker finds a patient or a
    study by is over its ``KEY_CHARS``-character column. Values the tracker keys on
    their hash when long (MSH-10, MSH-4, the assigning authority: HD values with
    an OID can be long) are not refused: radfollow.tracker.keys."""
    keys = (
        ("PID-3 patient identifier", report.patient.id),
        ("accession number", report.accession),
    )
    for name, value in keys:
        if value is not None and len(value) > KEY_CHARS:
            raise HL7FieldLengthError(
                f"{name} of {len(value):,} characters is over the tracker's "
                f"{KEY_CHARS}-character limit"
            )


def check_processing_id(processing_id: str, *, accept_test: bool) -> None:
    """Raise HL7TestMessageError (RF305) unless MSH-11 component 1 (``processing_id``,
    HL7 table 0103) is P or empty, or, with ``accept_test``, T or D.

    Source: HL7 v2.5.1 section 2.9.2 (the receiver checks that MSH-11 is
    appropriate for the application) and table 0103. Values are compared
    without case; any other value is refused too.
    """
    value = processing_id.strip().upper()
    if value in PRODUCTION_IDS or (accept_test and value in TEST_IDS):
        return
    shown = quoted_code(processing_id.strip())
    raise HL7TestMessageError(f"MSH-11 processing id {shown} is not production (P)")
