"""Rule-based follow-up recommendation candidates and their attributes.

For each sentence outside the indication/technique/comparison sections:
a trigger ("recommend", "consider", "could be obtained", "follow-up CT in 3
months", ...) plus an action (a modality, procedure, referral, lab test or a
generic follow-up) and no exclusion ("no follow-up is needed", "comparison
with prior films would be helpful", "previously recommended") makes a
candidate span in ``doc.spans[CANDIDATES]`` with modality, body region,
interval, conditional flag, the finding it refers to, and the rules' score.
A scorer component (the classifier) may set ``rad_score``; the selector
decides.
"""

from __future__ import annotations

import bisect
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field

from spacy.language import Language
from spacy.tokens import Doc, Span

from radfollow.models import Assertion, Modality
from radfollow.nlp.caseless import Caseless, CaselessAny, union
from radfollow.nlp.components_base import RuleFileComponent
from radfollow.nlp.extensions import CANDIDATES, doc_text
from radfollow.nlp.intervals import IntervalParser
from radfollow.nlp.modalities import Mention, ModalityReader
from radfollow.nlp.sectionizer import section_at
from radfollow.rules.schema import RecommendationRules

#: The pipe name of this component in radfollow pipelines.
RULES_COMPONENT = "radfollow_recommendation_rules_v1"

_LIST_MARKER = re.compile(r"^\s*(?:[-*\u2022]|\(?\d{1,2}[.)])\s*")
_IMPRESSION_LIKE = frozenset({"impression", "recommendation", "addendum"})
_LINKABLE = frozenset({Assertion.PRESENT, Assertion.POSSIBLE})
#: A line that ends with ':' (a candidate heading of a pasted guideline table).
_COLON_LINE = re.compile(r"^[^\n]{0,200}:[ \t]*$", re.MULTILINE)
_BLANK_LINE = re.compile(r"\n[ \t\r]*\n")
#: Doc.user_data key: the Doc's length and (start, end, section, names an
#: action, text) of each sentence ``__call__`` read, for the classifier's gate (plain
#: values: no Span, so no reference cycle through the Doc).
_READ_KEY = "radfollow.recommendation_sentences"


@dataclass(frozen=True)
class Candidate:
    """What the rules read in one sentence.

    ``modality_options``: the acceptable modalities in sentence order ("CT or
    MRI" -> (CT, MR)); the first is ``modality``; empty when it is None.
    """

    rule: str
    modality: Modality | None
    body_region: str | None
    interval: tuple[float, float] | None
    conditional: bool
    score: float
    modality_options: tuple[Modality, ...] = ()


class RecommendationRulesComponent(RuleFileComponent):
    rules_model = RecommendationRules

    def __init__(self, nlp: Language, name: str, *, rules: str | None = None) -> None:
        self.name = name
        self._load(rules)

    def _compile(self) -> None:
        flags = re.IGNORECASE
        rules = self.rules
        self._triggers = [
            (t.name, re.compile(t.pattern, flags), t.conditional) for t in rules.triggers
        ]
        self._any_trigger = CaselessAny([t.pattern for t in rules.triggers])
        self._hedge = CaselessAny(list(rules.hedges))
        self._exclusions = [(e.name, re.compile(e.pattern, flags)) for e in rules.exclusions]
        self._modalities = ModalityReader(rules.actions, rules.modality_choice)
        self._any_action = CaselessAny([a.pattern for a in rules.actions if a.gate])
        self._regions = [(r.region, re.compile(r.pattern, flags)) for r in rules.body_regions]
        self._intervals = IntervalParser(rules.intervals)
        self._skip = frozenset(rules.skip_sections)
        self._region_organs = {r.region: frozenset(r.organs) for r in rules.body_regions}
        self._compile_scope(rules, flags)

    def _compile_scope(self, rules: RecommendationRules, flags: re.RegexFlag) -> None:
        """Hedge scope, void triggers, action-naming triggers and structure (issue 12)."""
        scope = rules.hedge_scope
        self._hedge_at = re.compile(union(rules.hedges), flags)
        self._openers = re.compile(union(scope.reason_openers), flags)
        self._clause_end = re.compile(scope.clause_end, flags)
        self._descriptive = re.compile(union(scope.descriptive), flags)
        self._void = Caseless(union(rules.void_triggers))
        self._trigger_at = {name: regex for name, regex, _ in self._triggers}
        named = [t for t in rules.triggers if t.names_action]
        self._trigger_modality = {t.name: t.modality for t in named}
        # One search for sentences without a gate-opening action word: a weak
        # action word or a trigger that names its action.
        weak = [a.pattern for a in rules.actions if not a.gate]
        self._weak_or_naming = CaselessAny([*weak, *(t.pattern for t in named)])
        self._heading_only = re.compile(rules.structure.heading_only, flags)
        self._table_heading = [re.compile(p, flags) for p in rules.structure.table_heading]
        self._table_gate = (
            Caseless(rules.structure.table_heading[0]) if rules.structure.table_heading else None
        )

    def __call__(self, doc: Doc) -> Doc:
        spans: list[Span] = []
        seen: list[tuple[int, int, str | None, bool, str]] = []
        findings: FindingIndex | None = None
        for sent, category, text in self._eligible(doc):
            lowered = text.lower()
            action = self._any_action.test(text, lowered)
            seen.append((sent.start, sent.end, category, action, text))
            candidate = self.read(text, category, lowered=lowered, action=action)
            if candidate is not None:
                findings = findings or FindingIndex.of(doc)
                spans.append(self.make_span(doc, sent, candidate, category, findings))
        doc.spans[CANDIDATES] = spans
        doc.user_data[_READ_KEY] = (len(doc), seen)
        return doc

    def eligible(self, doc: Doc) -> Iterator[tuple[Span, str | None]]:
        """Sentences outside the skipped sections, with their section category.

        Also left out (issue 12, kind 4): a sentence that is only a heading
        ("FOLLOW-UP RECOMMENDATION:") and the sentences of a pasted guideline
        table (:meth:`tables`), so neither the rules nor the classifier read them.
        """
        for sent, category, _ in self._eligible(doc):
            yield sent, category

    def _eligible(self, doc: Doc) -> Iterator[tuple[Span, str | None, str]]:
        """``eligible`` with each sentence's text (a slice of the Doc's text:
        ``Span.text`` joins the tokens again on every access)."""
        tables = self.tables(doc)
        whole = doc_text(doc)
        for sent in doc.sents:
            start = sent.start_char
            if tables and _inside(tables, start):
                continue
            section = section_at(doc._.rad_sections, start)
            category = section.category if section else None
            if self.skips(category):
                continue
            text = whole[start : sent.end_char]
            if text.rstrip().endswith(":") and self._heading_only.search(text):
                continue
            yield sent, category, text

    def tables(self, doc: Doc) -> list[tuple[int, int]]:
        """Character ranges ``[start, end)`` of pasted guideline tables in ``doc``.

        A table starts at a heading line (at most 200 characters, ending with
        ':', matching every ``structure.table_heading`` pattern: "Fleischner
        Society recommendations for incidental pulmonary nodules:") and runs to
        the next blank line, the next section header or the end of the report.
        """
        text = doc_text(doc)
        if self._table_gate is None or not self._table_gate.test(text):
            return []
        headers = sorted(
            s.header_start for s in doc._.rad_sections or [] if s.header_end > s.header_start
        )
        ranges: list[tuple[int, int]] = []
        for line in _COLON_LINE.finditer(text):
            if ranges and line.start() < ranges[-1][1]:
                continue
            if not all(p.search(line.group()) for p in self._table_heading):
                continue
            blank = _BLANK_LINE.search(text, line.end())
            end = blank.start() if blank else len(text)
            k = bisect.bisect_right(headers, line.start())
            ranges.append((line.start(), min(end, headers[k]) if k < len(headers) else end))
        return ranges

    def gated(self, doc: Doc) -> list[tuple[Span, str | None]]:
        """Eligible sentences that pass ``gate``, reusing what ``__call__`` read."""
        cached = doc.user_data.get(_READ_KEY)
        if not cached or cached[0] != len(doc):  # not read, or a copy of another Doc's data
            return [(s, c) for s, c in self.eligible(doc) if self.gate(s.text)]
        gated = []
        for start, end, category, action, text in cached[1]:
            if action or self._any_trigger.test(text):
                gated.append((doc[start:end], category))
        return gated

    def read(
        self,
        text: str,
        section: str | None = None,
        *,
        lowered: str | None = None,
        action: bool | None = None,
    ) -> Candidate | None:
        """Apply the rules to one sentence; ``None`` when it is no candidate.

        ``action``: whether a gate-opening action word occurs (known to ``__call__``).
        A sentence needs an action (a gate-opening or a weak action word, or a
        trigger that names one: "should come back in four weeks", "advised to
        see his urologist") and a trigger (or, in an impression, a named exam
        with an interval), and no exclusion.
        """
        named = self._any_action.test(text, lowered) if action is None else action
        if not named and not self._weak_or_naming.test(text, lowered):
            return None
        trigger = self._first_trigger(text)
        interval = self._intervals.parse(text)
        if trigger is None and not (interval and section in _IMPRESSION_LIKE):
            return None
        if self.exclusion(text) is not None:
            return None
        mentions = self.mentions(text)
        lab = bool(trigger and trigger[0] == "correlate_lab")
        if not mentions and not lab and not (trigger and trigger[0] in self._trigger_modality):
            return None
        if trigger is None and not any(m.modality for m in mentions):
            return None  # an interval alone needs a named exam ("CT chest in 3 months")
        described = self.describe(text, trigger, mentions=mentions)
        thresholds = self.rules.thresholds
        if trigger is None:
            name, score = "action_with_interval", thresholds.action_only_with_interval
        else:
            name = trigger[0]
            score = thresholds.hedged if described.conditional else thresholds.direct
        return Candidate(
            name,
            described.modality,
            described.body_region,
            interval,
            described.conditional,
            score,
            described.modality_options,
        )

    def describe(
        self,
        text: str,
        trigger: tuple[str, bool] | None = None,
        *,
        mentions: list[Mention] | None = None,
    ) -> Candidate:
        """Attributes of any sentence read as a recommendation (used for classifier hits).

        ``mentions``: ``self.mentions(text)`` when the caller has them.
        """
        trigger = trigger or self._first_trigger(text)
        options, position = self._modalities.choose(
            text, self.mentions(text) if mentions is None else mentions
        )
        if trigger and trigger[0] == "correlate_lab":
            options = (Modality.LAB,)
        elif not options and trigger and trigger[0] in self._trigger_modality:
            named_modality = self._trigger_modality[trigger[0]]
            options = (named_modality,) if named_modality is not None else ()
        conditional = self.conditional(text, trigger)
        region = self._region(text, position)
        interval = self._intervals.parse(text)
        modality = options[0] if options else None
        return Candidate("describe", modality, region, interval, conditional, 0.0, options)

    def gate(self, text: str) -> bool:
        """Cheap, high-recall test: could this sentence be a recommendation at all?"""
        lowered = text.lower()
        return self._any_action.test(text, lowered) or self._any_trigger.test(text, lowered)

    def features(self, text: str, section: str | None) -> list[float]:
        """What the rules say of a sentence, as inputs for the combined classifier head.

        ``rule_hedge``: a hedge that governs the recommendation, not one in its
        reason or in the finding's description (:meth:`conditional`).
        """
        candidate = self.read(text, section)
        if candidate is not None:
            hedged = candidate.conditional
        else:
            hedged = self._hedge.test(text) and self.conditional(text, self._first_trigger(text))
        return [
            1.0 if candidate else 0.0,
            1.0 if candidate and candidate.conditional else 0.0,
            1.0 if self.exclusion(text) else 0.0,
            1.0 if self._any_trigger.test(text) else 0.0,
            1.0 if hedged else 0.0,
        ]

    def exclusion(self, text: str) -> str | None:
        """Name of the first exclusion rule that matches ``text``."""
        return next((name for name, regex in self._exclusions if regex.search(text)), None)

    def conditional(self, text: str, trigger: tuple[str, bool] | None = None) -> bool:
        """Whether the recommendation itself is hedged (ANNOTATION.md section 1).

        A conditional trigger or a hedge makes it conditional unless it lies in
        a reason clause or a description of the finding (``hedge_scope``):
        "MRI is recommended to evaluate for a possible tear" is not
        conditional, "if symptoms persist, MRI" and "MRI may be helpful" are
        (issue 12, kind 3). Linear in the sentence.
        """
        hedges = [m.start() for m in self._hedge_at.finditer(text)]
        if not hedges and not (trigger and trigger[1]):
            return False
        masked = self._masked(text)
        if trigger and trigger[1]:
            match = self._trigger_at[trigger[0]].search(self._unvoid(text))
            if match is None or not _inside(masked, match.start()):
                return True
        return any(not _inside(masked, p) for p in hedges)

    def _masked(self, text: str) -> list[tuple[int, int]]:
        """Character ranges whose hedges describe a finding or a reason, not the action."""
        spans = [m.span() for m in self._descriptive.finditer(text)]
        position = 0
        while (opener := self._openers.search(text, position)) is not None:
            end = self._clause_end.search(text, opener.end())
            stop = end.start() if end else len(text)
            spans.append((opener.start(), stop))
            position = max(stop, opener.end())
        return _merged(spans)

    def _unvoid(self, text: str) -> str:
        """``text`` with trigger words that propose no action blanked out (same length).

        "Clinical correlation recommended" after a differential that names
        exams ("post-biopsy change") recommends no exam (issue 12, kind 4).
        """
        if not self._void.test(text):
            return text
        return self._void.regex.sub(lambda m: " " * len(m.group()), text)

    def _first_trigger(self, text: str) -> tuple[str, bool] | None:
        if not self._any_trigger.test(text):
            return None
        text = self._unvoid(text)
        for name, regex, conditional in self._triggers:
            if regex.search(text):
                return name, conditional
        return None

    def mentions(self, text: str) -> list[Mention]:
        """The action words of ``text`` in order (:meth:`ModalityReader.mentions`)."""
        return self._modalities.mentions(text)

    def _region(self, text: str, after: int) -> str | None:
        first: tuple[int, str] | None = None
        for region, regex in self._regions:
            match = regex.search(text, after) or regex.search(text)
            if match and (first is None or _rank(match.start(), after) < _rank(first[0], after)):
                first = (match.start(), region)
        return first[1] if first else None

    def skips(self, section: str | None) -> bool:
        return section in self._skip

    def make_span(
        self,
        doc: Doc,
        sent: Span,
        cand: Candidate,
        section: str | None,
        findings: FindingIndex | None = None,
    ) -> Span:
        """The candidate span of a sentence: list marker and trailing space left out.

        ``findings``: the Doc's :class:`FindingIndex` when several spans are made.
        """
        marker = _LIST_MARKER.match(sent.text)
        start_char = sent.start_char + (marker.end() if marker else 0)
        end_char = sent.start_char + len(sent.text.rstrip())
        span = doc.char_span(start_char, end_char, alignment_mode="expand") or sent
        span = Span(doc, span.start, span.end, label="RECOMMENDATION")
        span._.rad_modality = cand.modality
        span._.rad_modality_options = list(cand.modality_options)
        span._.rad_body_region = cand.body_region
        span._.rad_interval = cand.interval
        span._.rad_conditional = cand.conditional
        span._.rad_rule = cand.rule
        span._.rad_rule_score = cand.score
        span._.rad_section = section
        span._.rad_finding = link_finding(
            doc, span, self._region_organs.get(cand.body_region or ""), findings
        )
        return span


def sentence_text(sent: Span) -> str:
    """A sentence as the classifier reads it: no list marker, no trailing space."""
    text = sent.text.rstrip()
    marker = _LIST_MARKER.match(text)
    return text[marker.end() :] if marker else text


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``spans`` sorted and with overlapping ranges joined (for :func:`_inside`)."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _inside(spans: list[tuple[int, int]], position: int) -> bool:
    """Whether ``position`` lies in one of ``spans`` (sorted, not overlapping): O(log n)."""
    k = bisect.bisect_right(spans, (position, sys.maxsize)) - 1
    return k >= 0 and spans[k][0] <= position < spans[k][1]


def _rank(position: int, after: int) -> tuple[int, int]:
    """Regions after the modality word first, then by position."""
    return (0 if position >= after else 1, position)


@dataclass(frozen=True)
class _Run:
    """Findings in Doc order: their token ends and their indices in ``doc.ents``."""

    ends: list[int] = field(default_factory=list)
    indices: list[int] = field(default_factory=list)

    def add(self, end: int, index: int) -> None:
        self.ends.append(end)
        self.indices.append(index)

    def last_before(self, token: int) -> int | None:
        """The last finding that ends at or before ``token``."""
        k = bisect.bisect_right(self.ends, token)
        return self.indices[k - 1] if k else None


@dataclass(frozen=True)
class FindingIndex:
    """The affirmed findings of a Doc, indexed once for :func:`link_finding`.

    Linking used to scan ``doc.ents`` per recommendation: quadratic in a long
    report. ``affirmed``: (index in ``doc.ents``, benign) by token start.
    """

    starts: list[int] = field(default_factory=list)
    affirmed: list[tuple[int, bool]] = field(default_factory=list)
    unbenign: _Run = field(default_factory=_Run)
    incidental: _Run = field(default_factory=_Run)
    organs: dict[str, _Run] = field(default_factory=dict)

    @classmethod
    def of(cls, doc: Doc) -> FindingIndex:
        index = cls()
        for i, ent in enumerate(doc.ents):
            if ent._.rad_assertion not in _LINKABLE:
                continue
            benign = bool(ent._.rad_benign)
            index.starts.append(ent.start)
            index.affirmed.append((i, benign))
            if benign:
                continue
            index.unbenign.add(ent.end, i)
            if ent._.rad_incidental:
                index.incidental.add(ent.end, i)
            if ent._.rad_organ is not None:
                index.organs.setdefault(ent._.rad_organ, _Run()).add(ent.end, i)
        return index

    def starting_in(self, start: int, end: int) -> list[tuple[int, bool]]:
        """Affirmed findings that start at a token in ``[start, end)``."""
        first = bisect.bisect_left(self.starts, start)
        return self.affirmed[first : bisect.bisect_left(self.starts, end)]


def link_finding(
    doc: Doc, rec: Span, organs: frozenset[str] | None = None, index: FindingIndex | None = None
) -> int | None:
    """Index in ``doc.ents`` of the finding a recommendation refers to.

    The first affirmed finding in the same sentence; else the nearest
    preceding affirmed, non-benign finding, preferring one in the organ of the
    recommended body region, then incidental ones. ``index``: the Doc's
    :class:`FindingIndex` when the caller links several recommendations.
    """
    index = index or FindingIndex.of(doc)
    same = index.starting_in(rec.start, rec.end)
    if same:
        return min(same, key=lambda item: item[1])[0]  # the first non-benign one, else the first
    in_organ = [index.organs[o].last_before(rec.start) for o in organs or () if o in index.organs]
    found = [i for i in in_organ if i is not None]
    if found:
        return max(found)
    for run in (index.incidental, index.unbenign):
        last = run.last_before(rec.start)
        if last is not None:
            return last
    return None
