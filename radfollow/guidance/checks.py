"""Report mismatch checks (issue 16): the report against its order and its patient.

* Laterality: the order names one side of a paired body part and the report
  describes only the other side of that part; or the impression gives a finding
  one side and the findings section gives every finding of its type the other.
* Sex: PID-8 is F or M and the report describes the other sex's anatomy or calls
  the patient by the other sex's words.
* Age: an age the report states differs from the age at the exam by more than
  the rules' tolerance.

All wording lives in ``radfollow/rules/checks.json`` (:class:`CheckRules`), with
the description and source of each list. Plain regular expressions on the
report text: every check's ``evidence`` is ``context.text[start:end]``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from functools import cached_property, lru_cache

from radfollow.guidance.context import ReportContext
from radfollow.models import CheckKind, Finding, Laterality, ReportCheck
from radfollow.rules.loader import load_rules
from radfollow.rules.schema.base import keyword_text
from radfollow.rules.schema.checks import AgeChecks, CheckRules, LateralityChecks, Terms

_OPPOSITE = {Laterality.LEFT: Laterality.RIGHT, Laterality.RIGHT: Laterality.LEFT}
_SEX_NAME = {"F": "female", "M": "male"}


def report_checks(
    context: ReportContext, findings: Sequence[Finding], *, rules: CheckRules | None = None
) -> list[ReportCheck]:
    """The mismatches of one report, in the order laterality (order, then sections), sex,
    age; at most one of each. ``findings`` are the pipeline's findings of
    ``context.text`` (their ``section``, ``type``, ``laterality`` and ``assertion``
    are read). ``rules`` None: the packaged ``checks.json``.

    Raises RuleFileError when the packaged rules are missing or invalid.
    """
    rules = rules or load_rules(CheckRules)
    text = _Text(context.text, rules)
    found = (
        _order_side(context.procedure, text, rules.laterality),
        _section_side(context.text, findings, rules.laterality),
        _sex(context.female, text, rules),
        _age(context.age, text, rules),
    )
    return [check for check in found if check is not None]


@lru_cache(maxsize=128)
def _words(terms: tuple[str, ...]) -> re.Pattern[str]:
    """Any of ``terms`` as whole words, case-insensitive."""
    return re.compile(r"(?<!\w)(?:" + "|".join(terms) + r")(?!\w)", re.IGNORECASE)


@lru_cache(maxsize=16)
def _compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(pattern, flags)


class _Text:
    """The report text with its sentences and its lines hidden from the side check."""

    def __init__(self, text: str, rules: CheckRules) -> None:
        self.text = text
        self._rules = rules

    @cached_property
    def _starts(self) -> list[int]:
        """Sentence starts, found when a check first needs them (most reports need none)."""
        boundary = _compile(self._rules.sentence_boundary)
        return [0, *(m.end() for m in boundary.finditer(self.text))]

    @cached_property
    def _hidden(self) -> list[tuple[int, int]]:
        skip = _compile("|".join(self._rules.laterality.skip_lines.terms), re.I | re.M)
        return [m.span() for m in skip.finditer(self.text)]

    def sentence(self, at: int, before: int = 0) -> str:
        """The sentence around offset ``at``, with the ``before`` sentences before it."""
        index = bisect_right(self._starts, at) - 1
        end = self._starts[index + 1] if index + 1 < len(self._starts) else len(self.text)
        return self.text[self._starts[max(0, index - before)] : end]

    def about_others(self, at: int, *lists: Terms, before: int = 0) -> bool:
        """Whether the sentence around ``at`` (and ``before`` sentences before it) has
        a word of one of ``lists``."""
        sentence = self.sentence(at, before)
        return any(_words(terms.terms).search(sentence) for terms in lists)

    def visible(self, pattern: re.Pattern[str]) -> Iterator[re.Match[str]]:
        """Matches of ``pattern`` outside the skipped lines (exam title, indication...)."""
        for match in pattern.finditer(self.text):
            if not any(start <= match.start() < end for start, end in self._hidden):
                yield match


def _check(
    kind: CheckKind, message: str, expected: str, found: str, text: str, span: tuple[int, int]
) -> ReportCheck:
    start, end = span
    return ReportCheck(
        kind=kind,
        message=message,
        expected=expected,
        found=found,
        evidence=text[start:end],
        start=start,
        end=end,
    )


# --- laterality -----------------------------------------------------------------


def _ordered_side(procedure: str, rules: LateralityChecks) -> Laterality | None:
    """The one side an order names; None for none, both or bilateral."""
    words = keyword_text(procedure)
    for phrase in rules.order_ignore.keywords:
        while f" {phrase} " in words:
            words = words.replace(f" {phrase} ", " ")
    left, right = rules.order_left.matches(words), rules.order_right.matches(words)
    if rules.order_bilateral.matches(words) or left == right:
        return None
    return Laterality.LEFT if left else Laterality.RIGHT


@lru_cache(maxsize=64)
def _sided(sides: tuple[str, ...], parts: tuple[str, ...], between: int) -> re.Pattern[str]:
    """A side word then, within ``between`` words and no punctuation, a part word."""
    side, part = "|".join(sides), "|".join(parts)
    pattern = rf"(?<!\w)(?:{side})(?:[\s-]+[\w'-]+){{0,{between}}}?[\s-]+(?:{part})(?!\w)"
    return re.compile(pattern, re.IGNORECASE)


def _side_terms(side: Laterality, rules: LateralityChecks) -> tuple[str, ...]:
    return (rules.report_left if side is Laterality.LEFT else rules.report_right).terms


def _order_side(procedure: str | None, text: _Text, rules: LateralityChecks) -> ReportCheck | None:
    """Check 1a: an order for one side, a report of the other side of its part only."""
    ordered = _ordered_side(procedure, rules) if procedure else None
    if ordered is None:
        return None
    words = keyword_text(procedure or "")
    parts = tuple(t for p in rules.body_parts.parts if p.order.matches(words) for t in p.report)
    if not parts or next(text.visible(_words(_side_terms(ordered, rules))), None):
        return None
    other = _OPPOSITE[ordered]
    mention = next(
        text.visible(_sided(_side_terms(other, rules), parts, rules.words_between)), None
    )
    if mention is None:
        return None
    message = f"the order is for the {ordered} side; the report describes the {other} side only"
    return _check(CheckKind.LATERALITY, message, ordered, other, text.text, mention.span())


def _section_side(
    text: str, findings: Sequence[Finding], rules: LateralityChecks
) -> ReportCheck | None:
    """Check 1b: an impression finding's side against every same-type findings-section side."""
    kept = [f for f in findings if f.assertion in rules.assertions and f.end <= len(text)]
    for finding in sorted(kept, key=lambda f: f.start):
        side = finding.laterality
        if finding.section not in rules.impression_sections or side not in _OPPOSITE:
            continue
        body = [
            f.laterality
            for f in kept
            if f.section in rules.findings_sections and f.type == finding.type
        ]
        if body and all(other == _OPPOSITE[side] for other in body):
            other = _OPPOSITE[side]
            message = f"the impression gives the {side} side; the findings give the {other} side"
            span = (finding.start, finding.end)
            return _check(CheckKind.LATERALITY, message, other, side, text, span)
    return None


# --- sex ------------------------------------------------------------------------


def _sex_hits(female: bool, text: _Text, rules: CheckRules) -> list[tuple[re.Match[str], str]]:
    """Mentions of the other sex, each with what it is (anatomy or words), in no order."""
    sex, family = rules.sex, rules.family
    if female:
        anatomy, words, pronouns = sex.male_anatomy, sex.male_words, sex.male_pronouns
    else:
        anatomy, words, pronouns = sex.female_anatomy, sex.female_words, sex.female_pronouns
    others = (family, sex.other_people)
    searches: list[tuple[Terms, str, int, tuple[Terms, ...]]] = [
        (anatomy, "anatomy", 0, (family,)),
        (words, "words", 0, others),
        (pronouns, "words", 1, others),  # "Discussed with Dr. Lee. She agreed."
    ]
    return [
        (match, what)
        for terms, what, before, lists in searches
        for match in _words(terms.terms).finditer(text.text)
        if not text.about_others(match.start(), *lists, before=before)
    ]


def _sex(female: bool | None, text: _Text, rules: CheckRules) -> ReportCheck | None:
    """Check 2: the other sex's anatomy, or words calling the patient the other sex."""
    if female is None:
        return None
    hits = _sex_hits(female, text, rules)
    if not hits:
        return None
    match, what = min(hits, key=lambda hit: hit[0].start())
    expected, found = ("F", "M") if female else ("M", "F")
    said = "describes" if what == "anatomy" else "calls the patient"
    noun = " anatomy" if what == "anatomy" else ""
    message = (
        f"the patient's recorded sex is {_SEX_NAME[expected]};"
        f" the report {said} {_SEX_NAME[found]}{noun}"
    )
    return _check(CheckKind.SEX, message, expected, found, text.text, match.span())


# --- age ------------------------------------------------------------------------


def _stated_ages(text: _Text, rules: AgeChecks, family: Terms) -> list[re.Match[str]]:
    """The patient's ages the report states, in text order."""
    before = _compile(rf"(?<!\w)(?:{'|'.join(rules.not_before.terms)})\W*$", re.I)
    after = _compile(rf"[\s,-]*(?:{'|'.join(rules.not_after.terms)})(?!\w)", re.I)
    found = [m for p in rules.patterns.terms for m in _compile(p, re.I).finditer(text.text)]
    return [
        m
        for m in sorted(found, key=lambda m: m.start())
        if not before.search(text.text, max(0, m.start() - 40), m.start())
        and not after.match(text.text, m.end())
        and not text.about_others(m.start(), family, rules.not_in_sentence)
    ]


def _age(age: float | None, text: _Text, rules: CheckRules) -> ReportCheck | None:
    """Check 3: the first stated age further than the tolerance from the exam age."""
    if age is None:
        return None
    for match in _stated_ages(text, rules.age, rules.family):
        stated = int(match.group("age"))
        if abs(stated - age) > rules.age.tolerance_years:
            message = f"the patient is {age:g} years old at the exam; the report states {stated}"
            return _check(CheckKind.AGE, message, f"{age:g}", str(stated), text.text, match.span())
    return None
