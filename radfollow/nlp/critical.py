"""Critical and actionable findings (issue 17): rules/critical.json categories, read
with the ConText modifiers of context.json.

A report whose lower-cased text holds none of a category's ``gate`` substrings
skips that category's expressions. A mention of a category's term is a
critical result when (the cheap tests first; ConText's modifiers are read only
for a mention that passes them):

1. it lies outside ``skip_sections`` (an indication's "rule out PE" is the
   question, not a result);
2. its sentence holds none of the category's ``exclude`` words ("expected
   postoperative free air"), and, for a category with ``not_if_indication``
   (significant unexpected findings), the indication does not name it;
3. its ConText assertion (the precedence of :mod:`radfollow.nlp.assertion`) is
   one of ``assertions`` (present or possible: a negated, historical or
   hypothetical pneumothorax is not critical);
4. no ``not_affirmed_before`` cue ("clear of", "no ... that suggests",
   "limited for evaluation of") precedes it in its sentence within
   ``not_affirmed_window`` words, without a ``terminators`` word ("but",
   "suspicious for"), colon or semicolon between: wording ConText misses.
   Likewise a ConText negation before the mention is set aside when such a
   boundary lies between them ("no flow to the left testis: torsion");
5. no ``not_new`` cue ("stable", "decreased", "resolving") lies within
   ``window_words`` of it in its sentence, unless an ``escalation`` cue
   ("new", "increased", "tension", not itself negated: "without tension") does
   too: the ACR framework asks for new or significantly changed findings to be
   communicated. An escalation cue also overrides the category's ``exclude``
   words ("increasing pneumoperitoneum despite recent laparotomy").

Mentions above the report's first heading (the exam title: "Chest x-ray for
pneumothorax") are not results. The quoted ``sentence`` has people's names
(communication ``names``) replaced by "[name]".

Sets ``doc._.rad_critical_results`` (list of :class:`~radfollow.models.CriticalResult`,
``communicated`` left False: :mod:`radfollow.nlp.extract` fills it from the
report's documented communications).
"""

from __future__ import annotations

import re
from pathlib import Path

from medspacy.context import ConText, ConTextModifier, ConTextRule
from spacy.language import Language
from spacy.tokens import Doc, Span

from radfollow.models import Assertion, CriticalResult
from radfollow.nlp.assertion import PRECEDENCE
from radfollow.nlp.caseless import union
from radfollow.nlp.components_base import RuleFileComponent
from radfollow.nlp.extensions import doc_text
from radfollow.nlp.medspacy_wrappers import _rule_kwargs, scoped_modifiers
from radfollow.nlp.sectionizer import section_at, section_text
from radfollow.rules.loader import load_rule_file
from radfollow.rules.schema import ContextRules, CriticalRules
from radfollow.rules.schema.critical import CriticalCategory


def words(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    """One case-insensitive whole-word alternation of ``terms``; None for no terms."""
    if not terms:
        return None
    return re.compile(r"\b(?:" + union(terms) + r")\b", re.IGNORECASE)


class CriticalFindings(RuleFileComponent):
    """The ``radfollow_critical_v1`` component: see the module docstring."""

    rules_model = CriticalRules

    def __init__(
        self,
        nlp: Language,
        name: str,
        *,
        rules: str | Path | None = None,
        context_rules: str | Path | None = None,
    ) -> None:
        self.name = name
        self.nlp = nlp
        self._context = ConText(nlp, name=f"{name}_context", rules=None, span_attrs=None)
        self._context.add(
            [
                ConTextRule(**_context_kwargs(rule))
                for rule in load_rule_file(ContextRules, context_rules).context_rules
            ]
        )
        self._load(rules)

    def _compile(self) -> None:
        rules: CriticalRules = self.rules
        self._terms = [
            (c, hedged, words(terms), words(c.exclude))
            for c in rules.categories
            for hedged, terms in ((False, c.terms), (True, c.possible_terms))
        ]
        self._indication = {c.id: words(c.not_if_indication) for c in rules.categories}
        self._not_new = words(rules.not_new.terms)
        self._escalation = words(rules.escalation.terms)
        self._assertions = {Assertion(a) for a in rules.assertions}
        #: People's names (communication.names) are replaced in the quoted sentence.
        self._names = re.compile(union(rules.communication.names.terms))
        cues = words(rules.not_affirmed_before.terms)
        stops = words(rules.terminators.terms)
        self._denied = cues
        self._stops = stops

    def __call__(self, doc: Doc) -> Doc:
        text = doc_text(doc)
        lowered = text.lower()
        gated = {c.id for c in self.rules.categories if any(g in lowered for g in c.gate)}
        mentions = [
            (category, hedged, span, exclude)
            for category, hedged, terms, exclude in self._terms
            if terms is not None and category.id in gated
            for span in _spans(doc, terms, text)
        ]
        found: list[CriticalResult] = []
        if mentions:
            indication = (doc._.rad_indication or "") + "\n" + section_text(doc, "indication")
            modifiers: list[ConTextModifier] | None = None
            for category, hedged, span, exclude in sorted(mentions, key=lambda m: m[2].start_char):
                if not self._candidate(doc, category, span, exclude, indication):
                    continue
                if modifiers is None:  # ConText only for a mention that got this far
                    graph = doc._.context_graph
                    modifiers = (
                        graph.modifiers
                        if graph is not None
                        else scoped_modifiers(self._context, doc)
                    )
                result = self._read(doc, category, span, modifiers)
                if result is not None and hedged and result.assertion is Assertion.PRESENT:
                    result = result.model_copy(update={"assertion": Assertion.POSSIBLE})
                if result is not None and not _overlaps(result, found):
                    found.append(result.model_copy(update={"id": f"c{len(found) + 1}"}))
        doc._.rad_critical_results = found
        return doc

    def _candidate(
        self,
        doc: Doc,
        category: CriticalCategory,
        span: Span,
        exclude: re.Pattern[str] | None,
        indication: str,
    ) -> bool:
        """Rules 1, 2, 4 and 5 of the module docstring (the cheap ones)."""
        sections = doc._.rad_sections or []
        section = section_at(sections, span.start_char)
        if (section is None or section.category is None) and any(
            s.category for s in sections if s.header_start > span.start_char
        ):
            return False  # the exam title above the first heading ("Chest x-ray for PTX")
        if section is not None and section.category in self.rules.skip_sections:
            return False
        sentence = span.sent
        window = self._window(doc, span, sentence)
        if exclude is not None and exclude.search(sentence.text) and not self._escalated(window):
            return False
        expected = self._indication[category.id]
        if expected is not None and expected.search(indication):
            return False
        if self._not_affirmed(doc_text(doc)[sentence.start_char : span.start_char]):
            return False
        return self._escalated(window) or self._not_new is None or not self._not_new.search(window)

    def _read(
        self, doc: Doc, category: CriticalCategory, span: Span, modifiers: list[ConTextModifier]
    ) -> CriticalResult | None:
        """Rule 3 (the ConText assertion) and the record of a candidate mention."""
        labelled = Span(doc, span.start, span.end, label=category.id.upper())
        text = doc_text(doc)
        assertion = _assertion(
            {
                m.category
                for m in modifiers
                if m.modifies(labelled) and not self._cut_off(doc, text, m, span)
            }
        )
        if assertion not in self._assertions:
            return None
        section = section_at(doc._.rad_sections, span.start_char)
        return CriticalResult(
            id="c0",
            category=category.id,
            label=category.label,
            tier=category.tier,
            acr_category=category.acr_category,
            text=span.text,
            start=span.start_char,
            end=span.end_char,
            assertion=assertion,
            section=section.category if section else None,
            sentence=self._names.sub("[name]", span.sent.text.strip()),
        )

    def _cut_off(self, doc: Doc, text: str, modifier: ConTextModifier, span: Span) -> bool:
        """A negation before the mention whose clause ends first: a colon, a semicolon
        or a ``terminators`` word lies between ("no flow to the testis: torsion")."""
        end = modifier.modifier_span[1]
        if modifier.category != "NEGATED_EXISTENCE" or end > span.start:
            return False
        return self._clause_ends(text[doc[end - 1].idx + len(doc[end - 1]) : span.start_char])

    def _not_affirmed(self, before: str) -> bool:
        """A ``not_affirmed_before`` cue in ``before`` (the sentence up to the mention)
        at most ``not_affirmed_window`` words back, with no ``terminators`` word, colon
        or semicolon after it."""
        if self._denied is None:
            return False
        cues = list(self._denied.finditer(before))
        if not cues:
            return False
        rest = before[cues[-1].end() :]
        return len(rest.split()) <= self.rules.not_affirmed_window and not self._clause_ends(rest)

    def _clause_ends(self, between: str) -> bool:
        """A colon, a semicolon or a ``terminators`` word ends the clause in ``between``."""
        if ":" in between or ";" in between:
            return True
        return self._stops is not None and self._stops.search(between) is not None

    def _window(self, doc: Doc, span: Span, sentence: Span) -> str:
        """The mention with ``window_words`` words on each side, in its sentence."""
        width = self.rules.window_words
        return doc[
            max(sentence.start, span.start - width) : min(sentence.end, span.end + width)
        ].text

    def _escalated(self, window: str) -> bool:
        """An ``escalation`` cue ("new", "increased", "tension") in ``window`` that is not
        itself negated ("without tension", "no new")."""
        if self._escalation is None:
            return False
        return any(
            not _NEGATED_BEFORE.search(window[: cue.start()])
            for cue in self._escalation.finditer(window)
        )


#: A negation right before a cue ("without tension", "no new", "not increased").
_NEGATED_BEFORE = re.compile(r"\b(?:no|not|without|non)\W+(?:\w+\W+)?$", re.IGNORECASE)


def _context_kwargs(rule: object) -> dict[str, object]:
    kwargs = _rule_kwargs(rule)
    for key in ("allowed_types", "excluded_types", "terminated_by"):
        if key in kwargs:
            kwargs[key] = set(kwargs[key])
    return kwargs


def _spans(doc: Doc, pattern: re.Pattern[str], text: str) -> list[Span]:
    spans = []
    for match in pattern.finditer(text):
        span = doc.char_span(match.start(), match.end(), alignment_mode="expand")
        if span is not None and len(span):
            spans.append(span)
    return spans


def _assertion(categories: set[str]) -> Assertion:
    for category, value in PRECEDENCE:
        if category in categories:
            return value
    return Assertion.PRESENT


def _overlaps(result: CriticalResult, found: list[CriticalResult]) -> bool:
    return any(result.start < other.end and other.start < result.end for other in found)
