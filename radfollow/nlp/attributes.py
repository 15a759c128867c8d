"""Finding attributes for the guideline engine: composition, multiplicity, attenuation.

Rules: ``rules/attributes.json``. For each finding (``doc.ents``):

- ``rad_composition``: the first composition entry (file order) with a term in
  the finding's noun phrase or the phrase after it (``cues.window``), the
  head included ("cyst" is cystic, "granuloma" calcified); else None;
- ``rad_multiplicity``: ``multiple`` for a quantifier in the noun phrase
  ("several", "two") or a plural head ("nodules"); ``single`` for a singular
  count noun ("a 6 mm nodule"); None for uncountable heads ("adenopathy");
- absent and hypothetical findings get none of these (a negated nodule has no
  composition);
- ``rad_density_hu``: a number followed by a Hounsfield unit ("-10 HU",
  "15 Hounsfield units") in the finding's sentence, nearest finding first;
- ``size_types``: a finding larger than a type's size limit takes the larger
  type (a pulmonary nodule over 3 cm is a lung mass, Fleischner glossary);
- ``size_required``: an affirmed "ectatic aorta" with no diameter is not an
  aortic aneurysm (ANNOTATION.md section 2) and is dropped.
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc, Span

from radfollow.models import Assertion, Composition, Multiplicity
from radfollow.nlp.components_base import RuleFileComponent
from radfollow.nlp.cues import Cue, CueMatcher, window
from radfollow.nlp.extensions import doc_text, respan
from radfollow.rules.schema import AttributeRules

_HU_MIN, _HU_MAX = -1024.0, 3071.0
_AFFIRMED = frozenset({Assertion.PRESENT, Assertion.POSSIBLE})
_COUNTED = frozenset({Assertion.PRESENT, Assertion.POSSIBLE, Assertion.HISTORICAL})
#: Plural heads end in -s (nodules, masses, metastases) or -ata (granulomata).
_PLURAL = re.compile(r"(?:[^s]s|sses|ses|ata|ies)$")


class FindingAttributes(RuleFileComponent):
    rules_model = AttributeRules

    def __init__(self, nlp: Language, name: str, *, rules: str | None = None) -> None:
        self.name = name
        self.nlp = nlp
        self._load(rules)

    def _compile(self) -> None:
        # Earlier entries win: strength falls with the file order.
        count = len(self.rules.composition)
        self._composition = CueMatcher(
            self.nlp,
            [(c.value.value, count - k, c.terms) for k, c in enumerate(self.rules.composition)],
        )
        self._size_types = {r.type.value: r for r in self.rules.size_types}
        self._size_required = {
            r.type.value: frozenset(w.lower() for w in r.words) for r in self.rules.size_required
        }
        self._multiple = frozenset(t.lower() for t in self.rules.multiple_terms)
        self._single = frozenset(t.lower() for t in self.rules.single_terms)
        self._uncountable = frozenset(t.lower() for t in self.rules.uncountable_heads)
        units = "|".join(map(re.escape, sorted(self.rules.density_units, key=len, reverse=True)))
        self._density_hint = re.compile(rf"(?:{units})", re.IGNORECASE)
        self._density = re.compile(
            rf"(?<![\w.])(?P<value>[-\u2212\u2013]?\s?\d+(?:\.\d+)?)\s*(?:{units})\b",
            re.IGNORECASE,
        )

    def __call__(self, doc: Doc) -> Doc:
        ents = list(doc.ents)
        if not ents:
            return doc
        if self._size_types:
            typed = [self._size_type(ent) for ent in ents]
            if any(a is not b for a, b in zip(typed, ents, strict=True)):
                doc.ents = ents = typed
        if self._size_required:
            kept = [ent for ent in ents if not self._needs_size(ent)]
            if len(kept) != len(ents):
                doc.ents = ents = kept
                if not ents:
                    return doc
        counted = [ent for ent in ents if ent._.rad_assertion in _COUNTED]
        if not counted:
            return doc  # absent and hypothetical findings have no attributes
        cues = self._composition(doc)
        for ent in counted:
            ent._.rad_composition = self.composition(ent, cues)
            ent._.rad_multiplicity = self.multiplicity(ent)
        if not self._density_hint.search(doc_text(doc)):
            return doc  # no unit of attenuation anywhere in the report
        by_sentence: dict[int, list[Span]] = {}
        for ent in counted:
            by_sentence.setdefault(ent.sent.start, []).append(ent)
        for group in by_sentence.values():
            self._assign_density(group)
        return doc

    def _needs_size(self, ent: Span) -> bool:
        """An affirmed "ectatic aorta" with no diameter: not an aneurysm (ANNOTATION.md)."""
        words = self._size_required.get(ent.label_)
        if not words or ent._.rad_size_mm or ent._.rad_assertion not in _AFFIRMED:
            return False
        return any(tok.lower_ in words for tok in ent) and not any(
            tok.lower_.startswith("aneurysm") for tok in ent
        )

    def _size_type(self, ent: Span) -> Span:
        rule = self._size_types.get(ent.label_)
        sizes = ent._.rad_size_mm
        if rule is None or not sizes or max(sizes) <= rule.above_mm:
            return ent
        return respan(ent, label=rule.becomes.value)

    def composition(self, ent: Span, cues: list[Cue]) -> Composition | None:
        lo, hi = window(ent, left=5, right=4)
        inside = [c for c in cues if c.start >= lo and c.end <= hi]
        if not inside:
            return None
        return Composition(max(inside, key=lambda c: c.strength).label)

    def multiplicity(self, ent: Span) -> Multiplicity | None:
        if ent._.rad_assertion not in _COUNTED:
            return None
        head = ent[-1].lower_
        if head in self._uncountable:
            return None
        lo, _ = window(ent, left=5, right=0)
        before = {tok.lower_ for tok in ent.doc[lo : ent.end]}
        if before & self._multiple or (_PLURAL.search(head) and not head.endswith("sis")):
            return Multiplicity.MULTIPLE
        return Multiplicity.SINGLE

    def _assign_density(self, ents: list[Span]) -> None:
        """Each value to the nearest finding before it in the sentence ("adrenal nodule
        measuring 45 HU"), else the nearest after it; values beyond the Hounsfield scale
        of CT (-1,024 to 3,071, DICOM 12-bit) are not attenuations."""
        sent = ents[0].sent
        found = []
        for m in self._density.finditer(sent.text):
            value = float(re.sub(r"[\s\u2212\u2013]", _minus, m["value"]))
            if _HU_MIN <= value <= _HU_MAX:
                found.append((sent.start_char + m.start(), value))
        used: set[int] = set()
        for position, value in found:
            free = [e for e in ents if id(e) not in used]
            before = [e for e in free if e.start_char < position]
            chosen = max(before, key=lambda e: e.start_char) if before else None
            if chosen is None and free:
                chosen = min(free, key=lambda e: e.start_char)
            if chosen is not None:
                chosen._.rad_density_hu = value
                used.add(id(chosen))


def _minus(match: re.Match[str]) -> str:
    return "" if match.group().isspace() else "-"
