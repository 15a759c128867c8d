"""Refuse a report that can never be processed, before any work is spent on it.

Used by every entry point: ``process`` rejects the report with an error line,
the listener answers AE at receive time (resending will not help), instead of
an AA followed by a failure in the worker. No spaCy import: the listener's
receiving process uses it.
"""

from __future__ import annotations

from radfollow.errors import HL7MissingDataError, ReportTooLargeError
from radfollow.models import MAX_REPORT_CHARS, RadiologyReport

__all__ = ["MAX_REPORT_CHARS", "check_report", "too_large"]


def too_large(size: int, limit: int) -> str:
    """The reason given for a report text over the limit (sizes in characters)."""
    return f"report text of {size:,} characters is over the {limit:,}-character limit"


def check_report(report: RadiologyReport, *, max_chars: int, tracking: bool) -> None:
    """Raise when ``report`` cannot be processed.

    ReportTooLargeError (RF202): the text is over ``max_chars`` characters.
    HL7MissingDataError (RF303): ``tracking`` and no observation time (OBR-7),
    from which every due date is counted.
    """
    if len(report.text) > max_chars:
        raise ReportTooLargeError(too_large(len(report.text), max_chars))
    if tracking and report.observation_time is None:
        raise HL7MissingDataError("OBR-7 observation time is empty; the tracker needs it")
