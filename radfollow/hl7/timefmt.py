"""HL7 v2 DTM/DT values to Python dates and timezone-aware datetimes.

DTM is ``YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]``. Missing parts take
their lowest value. A value without an offset is read in ``default_tz``
(the caller's configured time zone, UTC unless told otherwise). Empty values
give None; malformed ones raise :class:`HL7ParseError`.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone, tzinfo

from radfollow.errors import HL7ParseError

_DTM = re.compile(
    r"(?P<year>\d{4})(?P<month>\d{2})?(?P<day>\d{2})?(?P<hour>\d{2})?(?P<minute>\d{2})?"
    r"(?P<second>\d{2})?(?:\.(?P<fraction>\d{1,4}))?(?P<offset>[+-]\d{4})?"
)


def parse_dtm(value: str, default_tz: tzinfo, *, where: str) -> datetime | None:
    """Timezone-aware datetime for an HL7 DTM/TS value, or None when empty."""
    value = value.strip()
    if not value:
        return None
    match = _DTM.fullmatch(value)
    if match is None:
        raise HL7ParseError(f"{where} is not an HL7 date/time ({len(value)} characters)")
    parts = match.groupdict()
    fraction = (parts["fraction"] or "").ljust(6, "0")
    try:
        naive = datetime(
            int(parts["year"]),
            int(parts["month"] or 1),
            int(parts["day"] or 1),
            int(parts["hour"] or 0),
            int(parts["minute"] or 0),
            int(parts["second"] or 0),
            int(fraction),
        )
        zone = _offset(parts["offset"]) if parts["offset"] else default_tz
    except ValueError as exc:
        raise HL7ParseError(f"{where} is not a valid date/time (out of range)") from exc
    return naive.replace(tzinfo=zone)


def parse_date(value: str, *, where: str) -> date | None:
    """The calendar date of an HL7 DT/DTM value; None when empty or coarser than a day."""
    value = value.strip()
    if not value:
        return None
    match = _DTM.fullmatch(value)
    if match is None:
        raise HL7ParseError(f"{where} is not an HL7 date ({len(value)} characters)")
    if match.group("day") is None:
        return None
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError as exc:
        raise HL7ParseError(f"{where} is not a valid date (out of range)") from exc


def _offset(text: str) -> timezone:
    hours, minutes = int(text[1:3]), int(text[3:5])
    if minutes >= 60:
        raise ValueError(f"offset minutes out of range in {text}")
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if text[0] == "-" else delta)
