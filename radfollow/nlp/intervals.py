"""Follow-up intervals in months, as ANNOTATION.md section 1 defines them.

"6-12 months" -> (6, 12); "3 months" -> (3, 3); "1 year" -> (12, 12);
"6 weeks" -> (1.5, 1.5) (4 weeks a month); "annual(ly)" -> (12, 12).
Ranges may mix units: "6 months to 1 year" -> (6, 12), "6 weeks to 3 months"
-> (1.5, 3); "6- to 12-month" and "between 6 and 12 months" are ranges too.
Abbreviated and attached units count ("3 mo", "3-mo", "6mo", "q6 months").
A schedule of several exams ("at 3, 6 and 12 months") gives the window of
the first one: (3, 3). No interval: "short interval", "in several weeks",
"3 months ago", an age ("a 59-year-old") and a duration ("for 6 months",
"over the past 3 months", ``intervals.not_after`` in recommendations.json).
"""

from __future__ import annotations

import re

from radfollow.rules.schema import IntervalRules


class IntervalParser:
    """Reads the first follow-up interval of a sentence from ``IntervalRules``."""

    def __init__(self, rules: IntervalRules) -> None:
        self._words = {k.lower(): v for k, v in rules.number_words.items()}
        self._units = {k.lower(): v for k, v in rules.units_in_months.items()}
        words = "|".join(sorted(map(re.escape, self._words), key=len, reverse=True))
        units = "|".join(sorted(map(re.escape, self._units), key=len, reverse=True))
        number = rf"(?:\d+(?:\.\d+)?|(?:{words})\b)"
        # Bounded gaps keep the search linear: a number, an optional unit of its
        # own (a mixed-unit range), a range ("to", "-", "or", "through") or a
        # schedule (", 6 and 12"), then the unit.
        self._regex = re.compile(
            rf"(?:(?<=\bq)|(?<![\w.]))(?P<between>(?<=between\s))?(?P<a>{number})"
            rf"(?:[ \t-]{{0,3}}(?P<ua>{units})\b)?"
            rf"(?:\s{{0,3}}(?:-?\s{{0,3}}(?:to|through|or)|-|\u2013|\u2014)\s{{0,3}}(?P<b>{number})"
            rf"|(?P<schedule>(?:\s{{0,3}}(?:,|,?\s{{0,3}}and|&)\s{{0,3}}{number}){{1,6}}))?"
            rf"[ \t-]{{0,3}}(?P<unit>{units})\b"
            rf"(?![\s-]{{1,3}}(?:{rules.not_before})\b)",
            re.IGNORECASE,
        )
        self._and_number = re.compile(rf"and\s{{0,3}}(?P<b>{number})", re.IGNORECASE)
        self._not_after = re.compile(rules.not_after, re.IGNORECASE)
        self._fixed = [(re.compile(f.pattern, re.IGNORECASE), f.months) for f in rules.fixed]

    def _number(self, token: str) -> float:
        lowered = token.lower()
        return self._words[lowered] if lowered in self._words else float(lowered)

    def parse(self, text: str) -> tuple[float, float] | None:
        """``(min, max)`` months of the first interval in ``text``, or None.

        Numbers win over the fixed words ("annually") of ``intervals.fixed``.
        """
        for match in self._regex.finditer(text):
            if self._not_after.search(text, 0, match.start()):
                continue
            return self._months(match)
        for regex, months in self._fixed:
            if regex.search(text):
                return (float(months[0]), float(months[1]))
        return None

    def _months(self, match: re.Match[str]) -> tuple[float, float]:
        unit = self._units[match.group("unit").lower()]
        first_unit = self._units[match.group("ua").lower()] if match.group("ua") else unit
        low = self._number(match.group("a")) * first_unit
        second = match.group("b")
        if second is None and match.group("between") is not None and match.group("schedule"):
            # "between 6 and 12 months" is a range, not a schedule of two exams
            pair = self._and_number.fullmatch(match.group("schedule").strip())
            second = pair.group("b") if pair else None
        high = self._number(second) * unit if second else low
        return (_round(min(low, high)), _round(max(low, high)))


def _round(value: float) -> float:
    return round(value, 2)
