"""HL7 DTM/DT parsing: offsets, default time zone, precision, errors."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest

from radfollow.errors import HL7ParseError
from radfollow.hl7.timefmt import parse_date, parse_dtm

PLUS_ONE = timezone(timedelta(hours=1))
MINUS_FIVE_THIRTY = timezone(-timedelta(hours=5, minutes=30))
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("value", "default_tz", "expected"),
    [
        pytest.param(
            "20240101101500", UTC, datetime(2024, 1, 1, 10, 15, tzinfo=UTC), id="no-offset"
        ),
        pytest.param(
            "20240101101500+0100", UTC, datetime(2024, 1, 1, 10, 15, tzinfo=PLUS_ONE), id="offset"
        ),
        pytest.param(
            "202401011015-0530",
            UTC,
            datetime(2024, 1, 1, 10, 15, tzinfo=MINUS_FIVE_THIRTY),
            id="negative-offset",
        ),
        pytest.param(
            "20240701101500", BERLIN, datetime(2024, 7, 1, 10, 15, tzinfo=BERLIN), id="default-zone"
        ),
        pytest.param(
            "20240701101500+0000",
            BERLIN,
            datetime(2024, 7, 1, 10, 15, tzinfo=UTC),
            id="offset-wins",
        ),
        pytest.param("2024", UTC, datetime(2024, 1, 1, tzinfo=UTC), id="year-only"),
        pytest.param(
            "20240101101530.25",
            UTC,
            datetime(2024, 1, 1, 10, 15, 30, 250000, tzinfo=UTC),
            id="fraction",
        ),
        pytest.param("", UTC, None, id="empty"),
    ],
)
def test_parse_dtm(value: str, default_tz: tzinfo, expected: datetime | None) -> None:
    got = parse_dtm(value, default_tz, where="OBR-7")
    assert got == expected
    if got is not None:
        assert got.utcoffset() == expected.utcoffset()  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("2024-01-01", id="iso-format"),
        pytest.param("20241301", id="month-13"),
        pytest.param("20240101256000", id="hour-25"),
        pytest.param("20240101+0175", id="offset-minutes"),
        pytest.param("yesterday", id="text"),
    ],
)
def test_parse_dtm_rejects(value: str) -> None:
    with pytest.raises(HL7ParseError, match="OBR-7"):
        parse_dtm(value, UTC, where="OBR-7")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("19700101", date(1970, 1, 1), id="date"),
        pytest.param("197001011230", date(1970, 1, 1), id="datetime"),
        pytest.param("197001", None, id="month-precision"),
        pytest.param("", None, id="empty"),
    ],
)
def test_parse_date(value: str, expected: date | None) -> None:
    assert parse_date(value, where="PID-7") == expected


@pytest.mark.parametrize("value", ["19700231", "1970-01-01"])
def test_parse_date_rejects(value: str) -> None:
    with pytest.raises(HL7ParseError, match="PID-7"):
        parse_date(value, where="PID-7")
