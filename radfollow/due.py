"""Due windows for follow-up recommendations.

``due_window`` turns a study time and a recommended interval in months into
the ``[earliest, latest]`` datetimes the follow-up is due. The FHIR mapping
uses it for ``ServiceRequest.occurrencePeriod``; the tracker reuses it.

Month arithmetic rule
---------------------
- The whole part of a month count is added in calendar months, keeping the
  day of the month and clamping it to the last day of a shorter month
  (Jan 31 + 1 month = Feb 28, or Feb 29 in a leap year).
- The fractional part is added as days: ``round(fraction * 30.4375)`` whole
  days (30.4375 = 365.25 / 12, the mean Gregorian month). So 1.5 months from
  Jan 1 is Feb 1 + 15 days = Feb 16, and 0.25 months is 8 days.
- The clock time and the ``tzinfo`` of ``start`` are kept; arithmetic is on
  the wall clock, so with a ``zoneinfo`` zone the UTC offset follows DST.
"""

from __future__ import annotations

import calendar
import math
from datetime import datetime, timedelta

DAYS_PER_MONTH = 30.4375


def add_months(start: datetime, months: float) -> datetime:
    """``start`` plus ``months`` (>= 0) by the rule in the module docstring."""
    if not math.isfinite(months) or months < 0:
        raise ValueError(f"month count must be finite and >= 0, got {months!r}")
    whole = math.floor(months)
    shifted = _add_calendar_months(start, whole)
    return shifted + timedelta(days=round((months - whole) * DAYS_PER_MONTH))


def due_window(
    start: datetime, interval_months: tuple[float, float] | None
) -> tuple[datetime, datetime] | None:
    """Return ``(start + min months, start + max months)``, or None without an interval.

    Raises ``ValueError`` when the interval is negative, not finite, or has
    min > max.
    """
    if interval_months is None:
        return None
    low, high = interval_months
    if low > high:
        raise ValueError(f"interval min > max: {interval_months!r}")
    return add_months(start, low), add_months(start, high)


def _add_calendar_months(start: datetime, months: int) -> datetime:
    years, month_index = divmod(start.month - 1 + months, 12)
    year = start.year + years
    month = month_index + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)
