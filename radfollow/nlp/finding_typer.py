"""Resolve generic finding heads (nodule, mass, lesion, ...) to finding types.

The target matcher labels "nodule" HEAD_NODULE; the type depends on the organ:
a cue in the noun phrase or the phrase after it ("adrenal nodule", "nodule in
the right upper lobe"), else the organ of an exam named in its own sentence
("MRI brain revealed a mass"), else the organ of the exam ("CT CHEST"). Heads that
resolve to no type (a cerebral aneurysm, a lung cyst, a stenotic lesion of an
artery, a Hill-Sachs lesion) are dropped, and so are template labels (a head
followed by a colon: "Lymph nodes: No enlarged nodes.") and names (a head
followed by a ``name_words`` word: "renal mass protocol", "tumor volume").
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from radfollow.nlp.components_base import RuleFileComponent
from radfollow.nlp.cues import Cue, CueMatcher, best_cue
from radfollow.nlp.extensions import doc_text, respan
from radfollow.nlp.sectionizer import section_text
from radfollow.rules.schema import ExamOrgan, OrganRules

#: Words that open a sentence about the finding just described.
_ANAPHORS = frozenset({"this", "it", "these", "they", "which"})
_COPULAS = frozenset({"is", "are", "represents", "represent"})
#: Words of a sentence that names the finding just described ("It is a Bosniak 1 cyst").
_NAMING = _COPULAS | {"a", "an", "most", "with", "of", "bosniak", "i", "ii", "type", "simple"}


def _organ_regexes(entries: list[ExamOrgan]) -> list[tuple[str, re.Pattern[str]]]:
    return [
        (e.organ, re.compile(r"\b(?:" + "|".join(map(re.escape, e.terms)) + r")\b", re.I))
        for e in entries
    ]


def _first_organ(regexes: list[tuple[str, re.Pattern[str]]], text: str) -> str | None:
    """The organ of the first entry (file order) with a term in ``text``."""
    return next((organ for organ, regex in regexes if regex.search(text)), None)


class FindingTyper(RuleFileComponent):
    rules_model = OrganRules

    def __init__(self, nlp: Language, name: str, *, rules: str | None = None) -> None:
        self.name = name
        self.nlp = nlp
        self._load(rules)

    def _compile(self) -> None:
        entries = [(o.organ, o.strength, o.terms) for o in self.rules.organs]
        self._cues = CueMatcher(self.nlp, entries)
        self._exam = _organ_regexes(self.rules.exam_organs)
        self._size_cues = frozenset(self.rules.lymph_node_size_cues)
        self._expand = frozenset(
            term for o in self.rules.organs for term in o.terms if " " not in term
        ) | frozenset(self.rules.expand_terms)
        self._characterizing = frozenset(self.rules.characterizing_cues)
        self._name_words = frozenset(w.lower() for w in self.rules.name_words)
        self._sentence_exam = _organ_regexes(self.rules.sentence_exam_organs)

    def exam_organ(self, doc: Doc) -> str | None:
        text = " ".join(filter(None, [doc._.rad_procedure, section_text(doc, "exam")]))
        return _first_organ(self._exam, text or doc_text(doc)[:160])

    def __call__(self, doc: Doc) -> Doc:
        doc._.rad_exam_organ = self.exam_organ(doc)
        cues = self._cues(doc)
        typed: list[Span] = []
        for ent in doc.ents:
            floor = typed[-1].end if typed else 0
            if self._is_label(ent) or (typed and self._characterizes(ent, typed[-1])):
                continue
            if typed and ent.start == typed[-1].end and ent.label_.startswith("HEAD_"):
                typed[-1] = respan(typed[-1], end=ent.end)  # "mass lesion", "nodule lesion"
                continue
            span = self._resolve(doc, ent, cues, floor)
            if span is not None:
                typed.append(span)
        doc.ents = typed
        return doc

    def _resolve(self, doc: Doc, ent: Span, cues: list[Cue], floor: int) -> Span | None:
        label = ent.label_
        cue = best_cue(ent, cues)
        organ = cue.label if cue else None
        if label.startswith("HEAD_"):
            if label == "HEAD_LYMPH_NODE" and not self._sized(ent):
                return None
            mapping = self.rules.type_map.get(label, {})
            key = organ or self._sentence_exam_organ(ent) or doc._.rad_exam_organ or "none"
            if key not in mapping:
                key = "none"
            finding_type = mapping.get(key)
            if finding_type is None:
                return None
            label = finding_type.value
        start = ent.start
        while start > max(ent.sent.start, floor) and self._expandable(doc[start - 1]):
            start -= 1
        span = Span(doc, ent.start, ent.end, label=label)
        span._.rad_phrase_start = doc[start].idx
        span._.rad_head = ent.label_
        span._.rad_organ = organ or doc._.rad_exam_organ
        return span

    def _sentence_exam_organ(self, ent: Span) -> str | None:
        """The organ of an exam named in the finding's own sentence, if any."""
        return _first_organ(self._sentence_exam, ent.sent.text)

    def _expandable(self, token: Token) -> bool:
        return token.lower_ in self._expand or token.like_num

    def _is_label(self, ent: Span) -> bool:
        """A template label ("Lymph nodes:" opening its line) or a name ("renal mass protocol")."""
        doc = ent.doc
        if ent.end >= len(doc):
            return False
        after = doc[ent.end]
        if after.lower_ in self._name_words:
            return True
        if after.text != ":":
            return False
        text = doc_text(doc)
        line_start = text.rfind("\n", 0, ent.start_char) + 1
        return not text[line_start : ent.start_char].strip()

    def _characterizes(self, ent: Span, previous: Span) -> bool:
        """The head names the earlier finding: 'adrenal nodule ... may represent an adenoma',
        also in the next sentence when that one starts with an anaphor ('1.5 cm adrenal
        nodule. This is consistent with a lipid-rich adenoma.')."""
        if not ent.label_.startswith("HEAD_"):
            return False
        sent = ent.sent
        if previous.sent.start != sent.start:
            follows = previous.sent.end == sent.start
            if not (follows and sent[0].lower_ in _ANAPHORS):
                return False
            # "2 cm renal lesion. This is a simple cyst.": the same lesion, named again;
            # not "This is separate from a 4 cm renal mass".
            between = ent.doc[sent.start + 1 : ent.start]
            if any(tok.lower_ in _COPULAS for tok in between[:3]) and all(
                tok.lower_ in _NAMING or tok.lower_ in self._characterizing or self._expandable(tok)
                for tok in between
            ):
                return True
        before = ent.doc[max(previous.end, sent.start, ent.start - 6) : ent.start]
        return any(tok.lower_ in self._characterizing for tok in before)

    def _sized(self, ent: Span) -> bool:
        return any(tok.lower_ in self._size_cues for tok in ent.sent)
