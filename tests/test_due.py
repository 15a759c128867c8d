"""Due windows: calendar months for the whole part, 30.4375-day months for the fraction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from radfollow.due import add_months, due_window

PLUS2 = timezone(timedelta(hours=2))


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (datetime(2024, 1, 15, 10, 0, tzinfo=UTC), 0, datetime(2024, 1, 15, 10, 0, tzinfo=UTC)),
        (datetime(2024, 1, 15, 10, 0, tzinfo=UTC), 6, datetime(2024, 7, 15, 10, 0, tzinfo=UTC)),
        (datetime(2024, 1, 31, tzinfo=UTC), 1, datetime(2024, 2, 29, tzinfo=UTC)),
        (datetime(2023, 1, 31, tzinfo=UTC), 1, datetime(2023, 2, 28, tzinfo=UTC)),
        (datetime(2024, 3, 31, tzinfo=UTC), 1, datetime(2024, 4, 30, tzinfo=UTC)),
        (datetime(2024, 8, 31, tzinfo=UTC), 6, datetime(2025, 2, 28, tzinfo=UTC)),
        (datetime(2024, 11, 30, tzinfo=UTC), 3, datetime(2025, 2, 28, tzinfo=UTC)),
        (datetime(2024, 2, 29, tzinfo=UTC), 12, datetime(2025, 2, 28, tzinfo=UTC)),
        (datetime(2024, 12, 15, tzinfo=UTC), 1, datetime(2025, 1, 15, tzinfo=UTC)),
        (datetime(2024, 1, 1, tzinfo=UTC), 24, datetime(2026, 1, 1, tzinfo=UTC)),
        (datetime(2024, 1, 1, tzinfo=UTC), 12.0, datetime(2025, 1, 1, tzinfo=UTC)),
        # fractions: round(fraction * 30.4375) days after the whole months
        (datetime(2024, 1, 1, tzinfo=UTC), 1.5, datetime(2024, 2, 16, tzinfo=UTC)),
        (datetime(2024, 1, 1, tzinfo=UTC), 0.5, datetime(2024, 1, 16, tzinfo=UTC)),
        (datetime(2024, 1, 1, tzinfo=UTC), 0.25, datetime(2024, 1, 9, tzinfo=UTC)),
        (datetime(2024, 1, 31, tzinfo=UTC), 1.5, datetime(2024, 3, 15, tzinfo=UTC)),
        (datetime(2024, 1, 1, 8, 0, tzinfo=PLUS2), 1.5, datetime(2024, 2, 16, 8, 0, tzinfo=PLUS2)),
    ],
)
def test_add_months(start, months, expected):
    result = add_months(start, months)
    assert result == expected
    assert result.tzinfo is start.tzinfo


def test_wall_clock_kept_across_dst():
    start = datetime(2024, 1, 31, 9, 30, tzinfo=ZoneInfo("America/New_York"))
    result = add_months(start, 6)
    assert (result.hour, result.minute) == (9, 30)
    assert result.utcoffset() == timedelta(hours=-4)


@pytest.mark.parametrize(
    ("interval", "expected"),
    [
        (None, None),
        ((6, 12), (datetime(2024, 7, 31, tzinfo=UTC), datetime(2025, 1, 31, tzinfo=UTC))),
        ((3, 3), (datetime(2024, 4, 30, tzinfo=UTC), datetime(2024, 4, 30, tzinfo=UTC))),
        ((1.5, 1.5), (datetime(2024, 3, 15, tzinfo=UTC), datetime(2024, 3, 15, tzinfo=UTC))),
        ((0, 1), (datetime(2024, 1, 31, tzinfo=UTC), datetime(2024, 2, 29, tzinfo=UTC))),
    ],
)
def test_due_window(interval, expected):
    assert due_window(datetime(2024, 1, 31, tzinfo=UTC), interval) == expected


@pytest.mark.parametrize(
    ("interval", "message"),
    [
        ((12, 6), "min > max"),
        ((-1, 3), ">= 0"),
        ((1, float("inf")), "finite"),
        ((float("nan"), 1), "finite"),
    ],
)
def test_due_window_rejects_bad_intervals(interval, message):
    with pytest.raises(ValueError, match=message):
        due_window(datetime(2024, 1, 31, tzinfo=UTC), interval)
