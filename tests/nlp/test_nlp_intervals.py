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
        # issue 12, kind 5: mixed-unit ranges
        ("in 6 months to 1 year", (6.0, 12.0)),
        ("in 6 weeks to 3 months", (1.5, 3.0)),
        ("a 6- to 12-month follow-up", (6.0, 12.0)),
        ("between 6 and 12 months", (6.0, 12.0)),
        ("in 3 months or a year", (3.0, 12.0)),
        # words
        ("annually", (12.0, 12.0)),
        ("every other year", (24.0, 24.0)),
        ("semi-annual follow-up", (6.0, 6.0)),
        ("in several weeks", None),
        ("a short-interval follow-up", None),
        ("in a few months", None),
        # parenthesised and abbreviated forms
        ("follow-up (approximately 3 mo)", (3.0, 3.0)),
        ("a 3-mo follow-up", (3.0, 3.0)),
        ("in 6mo", (6.0, 6.0)),
        ("q6 months", (6.0, 6.0)),
        ("in approx 3 months", (3.0, 3.0)),
        # a schedule of several exams: the first one
        ("CT at 3, 6 and 12 months", (3.0, 3.0)),
        ("at 6 and 18 months", (6.0, 6.0)),
        ("in 3 months and again at 12 months", (3.0, 3.0)),
        ("every 6 months for 2 years", (6.0, 6.0)),
        ("annual CT for 5 years", (12.0, 12.0)),
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
        # issue 12, kind 5: durations and times past
        "pain for 6 months",
        "symptoms for about 3 weeks",
        "over the last 2 years",
        "stable in the past 6 months",
        "a 6-week course of antibiotics",
        "pain x 3 months",
        "3 months ago",
        "surgery 2 years prior",
    ],
)
def test_ages_and_durations_are_not_intervals(parser: IntervalParser, text: str) -> None:
    assert parser.parse(text) is None
