"""Sentence-gated target matching: run the token matchers only where a rule can fire.

spaCy's ``Matcher`` starts every pattern at every token and evaluates each
``IN``/``REGEX`` predicate in Python, so over a whole report it cost a third
of the rule pipeline's time. Each target rule has an *anchor*: one token that
every match must contain (a required token with a ``LOWER``/``ORTH``/``TEXT``
string, ``IN`` list or ``REGEX``). The gate finds the tokens that satisfy any
anchor with array operations and a per-string cache, and the matchers run on
the sentences that hold one.

Matching sentence by sentence finds what matching the whole Doc finds only
if no match can span a sentence boundary. Between two sentences there is
either a whitespace token (a line break) or, mid-line, a token that ends the
sentence: ".", "!", "?", a closing quote or bracket, or the ":" of a section
header. So the gate is used only when no token spec of any rule can match
such a token; a rule without an anchor (a regex over the text, or a pattern
of only optional or negated tokens) also turns it off. The caller then
matches the whole Doc.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from medspacy.common.util import prune_overlapping_matches
from medspacy.target_matcher import TargetRule
from spacy.attrs import LOWER, ORTH, SENT_START
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.strings import StringStore
from spacy.tokens import Doc, Span

#: Token attributes an anchor may test, keyed as in spaCy patterns.
_ATTRS = {"LOWER": LOWER, "ORTH": ORTH, "TEXT": ORTH}
_REQUIRED_OPS = {None, "1", "+"}
#: Cached anchor decisions per attribute before the cache is cleared (long runs).
_CACHE_LIMIT = 500_000
#: Tokens that can end a sentence with the next sentence's first token right after.
BOUNDARY_TOKENS = (".", "!", "?", ":", ")", "]", '"', "'")
#: Token flags under which a spec can match none of ``BOUNDARY_TOKENS``.
_WORDLIKE_FLAGS = ("IS_ALPHA", "IS_DIGIT", "LIKE_NUM", "IS_ASCII_ALPHA")


@dataclass
class _Anchor:
    """Strings and regexes that a token's attribute value must satisfy."""

    literals: set[str] = field(default_factory=set)
    regexes: list[re.Pattern[str]] = field(default_factory=list)

    def accepts(self, value: str) -> bool:
        return value in self.literals or any(r.search(value) for r in self.regexes)


def _anchor_of(spec: dict[str, Any]) -> tuple[str, _Anchor] | None:
    """The (attribute, anchor) of one token spec, or None when it constrains no string."""
    if spec.get("OP") not in _REQUIRED_OPS:
        return None
    for key in ("LOWER", "ORTH", "TEXT"):
        value = spec.get(key)
        if isinstance(value, str):
            return key, _Anchor(literals={value})
        if isinstance(value, dict) and len(value) == 1:
            if isinstance(value.get("IN"), list):
                return key, _Anchor(literals={str(v) for v in value["IN"]})
            if isinstance(value.get("REGEX"), str):
                return key, _Anchor(regexes=[re.compile(value["REGEX"])])
    return None


def _accepts_boundary(spec: dict[str, Any]) -> bool:
    """Whether a token spec might match a sentence-ending token (conservative)."""
    if spec.get("OP") == "!":
        return True  # "any token but ...": may well be a "."
    if any(spec.get(flag) is True for flag in _WORDLIKE_FLAGS):
        return False
    for key in ("LOWER", "ORTH", "TEXT"):
        found = _anchor_of({key: spec[key]}) if key in spec else None
        if found is not None:
            return any(found[1].accepts(token) for token in BOUNDARY_TOKENS)
    return True


def can_cross_sentences(rule: TargetRule) -> bool:
    """Whether a match of ``rule`` might include a sentence-ending token."""
    if not isinstance(rule.pattern, list):
        return False  # phrases: spaCy tokens of a literal; regex rules have no anchor
    return any(_accepts_boundary(spec) for spec in rule.pattern)


def rule_anchor(rule: TargetRule, nlp: Language) -> tuple[str, _Anchor] | None:
    """The anchor of a target rule, or None when the rule has none: the token its
    ``metadata["gate_anchor"]`` names, else its first required one."""
    if rule.pattern is None:
        tokens = [t for t in nlp.make_doc(rule.literal.lower()) if not t.is_space]
        return ("LOWER", _Anchor(literals={tokens[0].lower_})) if tokens else None
    if isinstance(rule.pattern, str):
        return None
    chosen = (rule.metadata or {}).get("gate_anchor")
    if chosen is not None:  # the rule names its rarest required token (targets.json)
        return _anchor_of(rule.pattern[chosen])
    for spec in rule.pattern:
        anchor = _anchor_of(spec)
        if anchor is not None:
            return anchor
    return None


class _AttrGate:
    """Tokens whose value of one attribute satisfies any anchor, with a cache by hash."""

    def __init__(self, attr: str) -> None:
        self.attr_id = _ATTRS[attr]
        self.anchor = _Anchor()
        self._cache: dict[int, bool] = {}

    def add(self, anchor: _Anchor) -> None:
        self.anchor.literals |= anchor.literals
        self.anchor.regexes.extend(anchor.regexes)

    def mask(self, doc: Doc) -> np.ndarray:
        values = doc.to_array(self.attr_id)
        unique = np.unique(values)
        if len(self._cache) > _CACHE_LIMIT:
            self._cache.clear()
        strings = doc.vocab.strings
        hits = [int(h) for h in unique if self._accepts(int(h), strings)]
        return np.isin(values, np.array(hits, dtype=values.dtype))

    def _accepts(self, key: int, strings: StringStore) -> bool:
        known = self._cache.get(key)
        if known is None:
            known = self._cache[key] = self.anchor.accepts(strings[key])
        return known


class GatedTargetMatcher:
    """Target rules matched on the sentences that hold an anchor token.

    Produces the spans medspaCy's TargetMatcher would (same rule ids, pruning
    and ``_.target_rule``) as long as no match crosses a sentence boundary.
    """

    def __init__(self, nlp: Language, rules: Sequence[TargetRule]) -> None:
        self.rules = list(rules)
        self._matcher = Matcher(nlp.vocab)
        self._phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
        self._gates: dict[str, _AttrGate] = {}
        self.enabled = True
        for index, rule in enumerate(self.rules):
            key = str(index)
            anchor = rule_anchor(rule, nlp)
            if anchor is None or can_cross_sentences(rule):
                self.enabled = False
                continue
            attr, found = anchor
            self._gates.setdefault(attr, _AttrGate(attr)).add(found)
            if rule.pattern is None:
                self._phrases.add(key, [nlp.make_doc(rule.literal.lower())])
            else:
                self._matcher.add(key, [rule.pattern])
        self._strings = nlp.vocab.strings

    def candidate_sentences(self, doc: Doc) -> list[Span]:
        """Sentences holding at least one anchor token, in order."""
        mask = np.zeros(len(doc), dtype=bool)
        for gate in self._gates.values():
            mask |= gate.mask(doc)
        tokens = np.flatnonzero(mask)
        if not len(tokens):
            return []
        starts = np.flatnonzero(doc.to_array(SENT_START) == 1)
        if not len(starts) or starts[0] != 0:
            return [doc[:]]
        bounds = np.append(starts, len(doc))
        chosen = np.unique(np.searchsorted(starts, tokens, side="right") - 1)
        return [doc[int(bounds[i]) : int(bounds[i + 1])] for i in chosen]

    def spans(self, doc: Doc) -> list[Span]:
        matches: list[tuple[int, int, int]] = []
        for sent in self.candidate_sentences(doc):
            # Matcher returns offsets within the span, PhraseMatcher within the Doc.
            matches.extend((k, s + sent.start, e + sent.start) for k, s, e in self._matcher(sent))
            matches.extend(self._phrases(sent))
        result = []
        for key, start, end in prune_overlapping_matches(matches):
            rule = self.rules[int(self._strings[key])]
            span = Span(doc, start, end, label=rule.category)
            span._.target_rule = rule
            for attribute, value in (rule.attributes or {}).items():
                setattr(span._, attribute, value)
            result.append(span)
        return result
