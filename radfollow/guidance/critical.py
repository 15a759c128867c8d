"""When a documented communication happened, resolved against the exam time (issue 17)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from radfollow.models import Communication

#: A stated time this long before the exam, with no date, is read as the next day
#: (an exam at 23:50 whose results were called at 00:20).
NEXT_DAY_AFTER = timedelta(hours=1)


def resolve_sent(communication: Communication, exam_time: datetime | None) -> datetime | None:
    """The communication's date and time, in the exam's offset.

    None when no time is stated or the exam time (with its offset) is unknown. A
    stated date is used as written; without one, the exam's date, or the next
    day when the time falls more than an hour before the exam.
    """
    if communication.stated_time is None or exam_time is None or exam_time.tzinfo is None:
        return None
    hour, minute = (int(part) for part in communication.stated_time.split(":"))
    day = communication.stated_date or exam_time.date()
    sent = datetime.combine(day, time(hour, minute), tzinfo=exam_time.tzinfo)
    if communication.stated_date is None and sent < exam_time - NEXT_DAY_AFTER:
        sent += timedelta(days=1)
    return sent


def with_sent_times(
    communications: list[Communication], exam_time: datetime | None
) -> list[Communication]:
    """Copies of ``communications`` with ``sent`` resolved."""
    return [c.model_copy(update={"sent": resolve_sent(c, exam_time)}) for c in communications]
