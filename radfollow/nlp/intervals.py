"""Follow-up intervals in months, as ANNOTATION.md defines them.

"6-12 months" -> (6, 12); "3 months" -> (3, 3); "1 year" -> (12, 12);
"6 weeks" -> (1.5, 1.5) (4 weeks a month); "annual" -> (12, 12);
"short interval" and "3 months ago" -> None.
"""

from __future__ import annotations

import re

from radfollow.rules.schema import IntervalRules


class IntervalParser:
    def __init__(self, rules: IntervalRules) -> None:
        self._words = {k.lower(): v for k, v in rules.number_words.items()}
        self._units = {k.lower(): v for k, v in rules.units_in_months.items()}
        words = "|".join(sorted(map(re.escape, self._words), key=len, reverse=True))
        units = "|".join(sorted(map(re.escape, self._units), key=len, reverse=True))
        number = rf"(?:\d+(?:\.\d+)?|{words})"
        self._regex = re.compile(
            rf"(?<![\w.])(?P<a>{number})(?:\s*(?:-|\u2013|to|or)\s*(?P<b>{number}))?"
            rf"[\s-]*(?P<unit>{units})\b(?![\s-]+(?:ago|prior|earlier|before|old|of\s+age))",
            re.IGNORECASE,
        )
        self._not_after = re.compile(rules.not_after, re.IGNORECASE)
        self._fixed = [(re.compile(f.pattern, re.IGNORECASE), f.months) for f in rules.fixed]

    def _number(self, token: str) -> float:
        lowered = token.lower()
        return self._words[lowered] if lowered in self._words else float(lowered)

    def parse(self, text: str) -> tuple[float, float] | None:
        matches = self._regex.finditer(text)
        match = next((m for m in matches if not self._not_after.search(text, 0, m.start())), None)
        if match:
            factor = self._units[match.group("unit").lower()]
            low = self._number(match.group("a")) * factor
            high = self._number(match.group("b")) * factor if match.group("b") else low
            return (_round(min(low, high)), _round(max(low, high)))
        for regex, months in self._fixed:
            if regex.search(text):
                return (float(months[0]), float(months[1]))
        return None


def _round(value: float) -> float:
    return round(value, 2)
