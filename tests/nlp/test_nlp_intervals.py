from __future__ import annotations

import pytest

from radfollow.nlp.intervals import IntervalParser
from radfollow.rules.loader import load_rules
from radfollow.rules.schema import RecommendationRules


@pytest.fixture(scope="module")
def parser() -> IntervalParser:
    return IntervalParser(load_rules(RecommendationRules).intervals)


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("in 6-12 months", (6.0, 12.0)),
        ("in 3 months", (3.0, 3.0)),
        ("in 1 year", (12.0, 12.0)),
        ("in one year", (12.0, 12.0)),
        ("in 6 weeks", (1.5, 1.5)),
        ("in six to twelve months", (6.0, 12.0)),
        ("a 12-month follow-up", (12.0, 12.0)),
        ("annual follow-up", (12.0, 12.0)),
        ("short interval follow-up", None),
        ("compared with 3 months ago", None),
        ("a 6 mm nodule", None),
    ],
)
def test_interval(parser: IntervalParser, text: str, months: tuple[float, float] | None) -> None:
    assert parser.parse(text) == months


@pytest.mark.parametrize(
    "text",
    [
        "a 59-year-old man",
        "gestational age of 37 weeks",
        "pain for the past 3 months",
        "a 6 year old",
    ],
)
def test_ages_and_durations_are_not_intervals(parser: IntervalParser, text: str) -> None:
    assert parser.parse(text) is None
