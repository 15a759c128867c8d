"""Incidental flag and, for affirmed findings that are not incidental, the reason.

A finding is incidental when it is present or possible, not benign, and not
explained (ANNOTATION.md section 2). ``rad_incidental_reason`` records why an
affirmed finding is not incidental, the first of (issue 13; rules in
``rules/incidental.json``):

1. ``procedure_target``: the report is a procedure on it: a procedure word in
   the exam title or procedure text, and the finding's type is named in the
   title or in a narrative sentence with a procedure word (not a
   recommendation: "recommend biopsy of the nodule" keeps it incidental);
2. ``indication``: the finding lies in the indication/exam sections, or the
   history names it or its disease (``explained_by_indication`` words), or the
   history holds a detected finding of the same type, or the exam itself is
   about it (``explained_by_exam``). The history is the HL7 indication or the
   caller's, the report's indication/history sections, a narrative first
   paragraph that reads as history, and any sentence with a history cue
   ("history of", "presented with");
3. ``known_prior``: its sentence describes known disease against a prior
   study ("again seen", "redemonstrated", "previously described", "stable")
   and no new-finding cue stands in its noun phrase;
4. ``benign``: the report calls it benign (``rad_benign``), also in the next
   sentence of the same paragraph ("No follow-up is needed.").

Findings and impression then agree: one lesion described in both is one
finding, so an incidental mention takes the reason of the other section's
mention of the same type when that one is known, benign or explained, when
their size, location or side agree and nothing they state differs (unless its
own noun phrase calls it new).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from spacy.language import Language
from spacy.tokens import Doc, Span

from radfollow.models import Assertion, FindingType, IncidentalReason
from radfollow.nlp.caseless import Caseless, whole_words
from radfollow.nlp.components_base import RuleFileComponent
from radfollow.nlp.extensions import doc_text
from radfollow.nlp.sectionizer import section_text
from radfollow.rules.schema import IncidentalRules

_AFFIRMED = frozenset({Assertion.PRESENT, Assertion.POSSIBLE})
#: Reasons a findings mention takes from the impression's mention of the same lesion.
_FOLLOWED = (IncidentalReason.KNOWN_PRIOR, IncidentalReason.BENIGN, IncidentalReason.INDICATION)
#: Sections whose mentions of one lesion are linked (findings and impression agree).
_LINKED_SECTIONS = frozenset({"findings", "impression", None})
#: The leading paragraph read as history ends at the first blank line, within this.
_PARAGRAPH_CHARS = 600
#: A leading paragraph is history when a history cue opens it ("58-year-old with").
_OPENING_CHARS = 60
#: A benign statement in the next sentence is about this finding when it opens so.
_ABOUT_IT = re.compile(
    r"\s*(?:this|it|these|they|which|consistent|compatible|no (?:further |routine |imaging )?"
    r"follow|bosniak|simple cyst|statistically benign|(?:the|this) (?:nodule|lesion|cyst|mass))\b",
    re.IGNORECASE,
)
_NEGATED = re.compile(r"\b(?:not|cannot|can't|nor|indeterminate|non)\b", re.IGNORECASE)
_CLAUSE_BREAKS = frozenset({",", ";", ":", "and", "but", "with", "while", "whereas"})
_LIST_ITEM = re.compile(r"\s*(?:\d{1,2}|[a-z])[.)]\s")
#: How far into the comma clause after a finding a known-prior cue may open it.
_APPOSITIVE_TOKENS = 6
#: What may follow a known-prior cue opening that clause, for it to be said of the finding.
_SAID_OF_IT = re.compile(
    r"\s*(?:$|[.,;:)]|(?:since|from|compared|when|to|in\s+size|as|relative|on|with|versus"
    r"|vs|over|than|the|comparison|prior|previous|before|appearance|in\s+appearance)\b)",
    re.IGNORECASE,
)


def _terms(terms: Iterable[str]) -> Caseless:
    """Whole-word, case-insensitive search for any of several literal terms."""
    return Caseless(whole_words(terms))


def _search(terms: Caseless | None, text: str) -> bool:
    return terms is not None and bool(text) and terms.test(text)


class IncidentalClassifier(RuleFileComponent):
    rules_model = IncidentalRules

    def __init__(
        self,
        nlp: Language,
        name: str,
        *,
        rules: str | None = None,
        non_incidental_sections: list[str],
    ) -> None:
        self.name = name
        self.non_incidental_sections = frozenset(non_incidental_sections)
        self._load(rules)

    def _compile(self) -> None:
        rules = self.rules
        explained = rules.explained_by_indication
        self._any = _terms(explained.get("any", []))
        self._by_type = {t: _terms(explained.get(t.value, [])) for t in FindingType}
        self._by_exam = {t: _terms(v) for t, v in rules.explained_by_exam.items()}
        self._history_sentence = _terms(rules.history_sentence_cues)
        self._history_paragraph = _terms(rules.history_paragraph_cues)
        self._known = _terms(rules.known_prior_cues)
        self._new = _terms(rules.new_cues)
        self._procedure = _terms(rules.procedure_cues)
        self._not_procedure = _terms(rules.procedure_exclusion_cues)
        self._benign_nearby = _terms(rules.benign_nearby_cues)
        self._benign_entity = _terms(rules.benign_entities)
        self._history_negation = _terms(rules.history_negation_cues)

    def __call__(self, doc: Doc) -> Doc:
        ents = list(doc.ents)
        # rad_incidental / rad_incidental_reason default to False / None (extensions.py).
        if not any(e._.rad_assertion in _AFFIRMED for e in ents):
            return doc  # nothing can be incidental (most normal reports)
        history, history_spans = self.history(doc)
        history_types = {
            FindingType(e.label_)
            for e in ents
            if e._.rad_assertion is not Assertion.ABSENT
            and any(s <= e.start_char < t for s, t in history_spans)
        }
        affirmed_types = {FindingType(e.label_) for e in ents if e._.rad_assertion in _AFFIRMED}
        # Types the history explains, its detected findings or its words: once per type.
        explained = history_types | {
            t for t in affirmed_types - history_types if history and self._explains(history, t)
        }
        exam = " ".join(filter(None, [doc._.rad_procedure, section_text(doc, "exam")]))
        targets = self.procedure_targets(doc, ents, exam)
        for k, ent in enumerate(ents):
            if ent._.rad_assertion not in _AFFIRMED:
                continue
            if not ent._.rad_benign and (
                self._benign_entity_named(ent) or self._benign_next(ents, k)
            ):
                ent._.rad_benign = True
            reason = self.reason(ent, explained, exam, targets)
            if reason is None:
                ent._.rad_incidental = True
            else:
                ent._.rad_incidental_reason = reason
        self._link_mentions(ents)
        return doc

    def history(self, doc: Doc) -> tuple[str, list[tuple[int, int]]]:
        """History text, and the character spans whose findings explain their type.

        The spans are the indication/history sections and a leading history
        paragraph; sentences with a history cue elsewhere ("history of melanoma")
        add their words to the text only, so a recommendation or a finding in the
        body never explains another finding by its type.
        """
        text = doc_text(doc)
        parts = [doc._.rad_indication or ""]
        spans: list[tuple[int, int]] = []
        for section in doc._.rad_sections or []:
            if section.category in self.non_incidental_sections:
                spans.append((section.header_start, section.end))
        leading = self._leading_paragraph(doc, text)
        if leading is not None:
            spans.append(leading)
        parts += [text[s:t] for s, t in spans]
        starts = self._history_sentence.starts(text)
        if starts:
            parts += [
                sent.text
                for sent in doc.sents
                if any(sent.start_char <= i < sent.end_char for i in starts)
            ]
        return "\n".join(p for p in parts if p), spans

    def _leading_paragraph(self, doc: Doc, text: str) -> tuple[int, int] | None:
        """The untitled first paragraph when it reads as history ("58-year-old with ...")."""
        sections = doc._.rad_sections or []
        if not sections or sections[0].category is not None:
            return None
        end = min(sections[0].end, _PARAGRAPH_CHARS)
        blank = re.search(r"\n[ \t]*\n", text[:end])
        end = blank.start() if blank else end
        opening = text[: min(end, _OPENING_CHARS)]
        if end >= len(text.rstrip()) or not _search(self._history_paragraph, opening):
            return None
        return (0, end)

    def procedure_targets(self, doc: Doc, ents: list[Span], exam: str) -> set[FindingType]:
        """Types of the findings this report is a procedure on (empty if it is no procedure)."""
        text = doc_text(doc)
        first_line = len(text) if "\n" not in text else text.index("\n")
        sections = doc._.rad_sections or []
        untitled = not sections or sections[0].category is None
        title = exam or (text[:first_line] if untitled else "")
        if _search(self._not_procedure, title):
            return set()  # "status post radiofrequency ablation", "remote breast biopsy"
        if not _search(self._procedure, title) and not _search(
            self._procedure, section_text(doc, "technique")
        ):
            return set()
        found = set()
        for ent in ents:
            sent = ent.sent.text
            in_title = ent._.rad_section == "exam" or (
                not exam and untitled and ent.end_char <= first_line
            )
            narrative = _search(self._procedure, sent) and not _search(self._not_procedure, sent)
            if in_title or narrative:
                found.add(FindingType(ent.label_))
        return found

    def reason(
        self,
        ent: Span,
        explained: set[FindingType],
        exam: str,
        targets: set[FindingType],
    ) -> IncidentalReason | None:
        """Why an affirmed finding is not incidental, the first that applies; None if it is.

        ``explained``: the types the history explains; ``targets``: the types the
        report is a procedure on.
        """
        finding_type = FindingType(ent.label_)
        if finding_type in targets:
            return IncidentalReason.PROCEDURE_TARGET
        if ent._.rad_section in self.non_incidental_sections or finding_type in explained:
            return IncidentalReason.INDICATION
        if _search(self._by_exam.get(finding_type), exam):
            return IncidentalReason.INDICATION
        if self._known_prior(ent):
            return IncidentalReason.KNOWN_PRIOR
        if ent._.rad_benign:
            return IncidentalReason.BENIGN
        return None

    def _explains(self, history: str, finding_type: FindingType) -> bool:
        """A history term for this type that is the patient's ("no history of cancer" is not)."""
        for terms in (self._any, self._by_type.get(finding_type)):
            for start in terms.starts(history) if terms is not None else ():
                before = history[max(0, start - 30) : start]
                if not self._history_negation.test(before.rsplit("\n", 1)[-1]):
                    return True
        return False

    def _known_prior(self, ent: Span) -> bool:
        """A known-prior cue in the finding's own clause ("Again demonstrated is a 3 cm
        mass", "the cyst is again seen"; not "Stable sternum changes and a 9 mm nodule")
        or opening the comma clause right after it ("1 cm nodule in the right base,
        increased since the comparison exam"), and no new-finding cue in its sentence
        ("not previously seen", "has developed")."""
        clause = _clause(ent)
        if not _search(self._known, clause.text) and not self._known_after(clause):
            return False
        return not _search(self._new, ent.sent.text)

    def _known_after(self, clause: Span) -> bool:
        """The comma clause after ``clause`` opens with a known-prior cue that is said of
        the finding before it: the cue ends the clause or a comparison follows it
        ("increased since the comparison exam", "unchanged from prior"), not a noun of
        its own ("stable cardiomegaly", "unchanged position of the tube")."""
        doc, sent = clause.doc, clause.sent
        if clause.end >= sent.end or doc[clause.end].text != ",":
            return False
        following = doc[clause.end + 1 : min(sent.end, clause.end + 1 + _APPOSITIVE_TOKENS)]
        cue = self._known.regex.match(following.text)
        return cue is not None and _SAID_OF_IT.match(following.text, cue.end()) is not None

    def _benign_entity_named(self, ent: Span) -> bool:
        """A present finding named as a benign entity ("mucous retention cyst", "lipoma")."""
        if ent._.rad_assertion is not Assertion.PRESENT:
            return False
        doc = ent.doc
        start = ent._.rad_phrase_start if ent._.rad_phrase_start is not None else ent.start_char
        lo = doc[max(ent.sent.start, ent.start - 3)].idx
        return _search(self._benign_entity, doc_text(doc)[min(lo, start) : ent.end_char])

    def _benign_next(self, ents: list[Span], k: int) -> bool:
        """A benign statement in the next sentence of the same paragraph, about this lesion."""
        ent = ents[k]
        doc = ent.doc
        sent = ent.sent
        if sent.end >= len(doc):
            return False
        following = doc[sent.end].sent
        between = doc_text(doc)[ent.end_char : following.start_char].replace("\r", "")
        if "\n\n" in between.replace(" ", "") or _LIST_ITEM.match(following.text):
            return False  # another paragraph, or another numbered item of a list
        if not _ABOUT_IT.match(following.text) or _NEGATED.search(following.text):
            return False  # not about this finding, or "cannot be confirmed as benign"
        if not _search(self._benign_nearby, following.text):
            return False
        # The benign words must not be about another finding of their own sentence.
        return not any(following.start <= e.start < following.end for e in ents[k + 1 :])

    def _link_mentions(self, ents: list[Span]) -> None:
        """One lesion in findings and impression: an incidental mention follows the other
        section's mention of the same type when that one is known, benign or explained
        and they describe one lesion (``_same_lesion``), unless it is called new."""
        settled = [e for e in ents if e._.rad_incidental_reason in _FOLLOWED]
        if not settled:
            return
        for ent in ents:
            if not ent._.rad_incidental or ent._.rad_section not in _LINKED_SECTIONS:
                continue
            if _search(self._new, ent.doc[max(ent.sent.start, ent.start - 4) : ent.end].text):
                continue
            for other in settled:
                if (
                    other.label_ == ent.label_
                    and other._.rad_section in _LINKED_SECTIONS
                    and other._.rad_section != ent._.rad_section
                    and _same_lesion(ent, other)
                ):
                    reason = other._.rad_incidental_reason
                    ent._.rad_incidental_reason = reason
                    ent._.rad_incidental = False
                    if reason is IncidentalReason.BENIGN:
                        ent._.rad_benign = True
                    break


def _clause(ent: Span) -> Span:
    """The finding's clause: its sentence between the nearest clause breaks around it."""
    doc, sent = ent.doc, ent.sent
    lo = ent.start
    while lo > sent.start and doc[lo - 1].lower_ not in _CLAUSE_BREAKS:
        lo -= 1
    hi = ent.end
    while hi < sent.end and doc[hi].lower_ not in _CLAUSE_BREAKS:
        hi += 1
    return doc[lo:hi]


def _same_lesion(a: Span, b: Span) -> bool:
    """Two mentions of one type describe one lesion: something they state agrees (size,
    location or side) and nothing they state differs."""
    agree = 0
    for name in ("rad_laterality", "rad_location", "rad_composition"):
        left, right = getattr(a._, name), getattr(b._, name)
        if left is not None and right is not None:
            if left != right:
                return False
            agree += name != "rad_composition"
    size_a, size_b = a._.rad_size_mm, b._.rad_size_mm
    if size_a and size_b:
        big_a, big_b = max(size_a), max(size_b)
        if abs(big_a - big_b) > max(2.0, 0.2 * max(big_a, big_b)):
            return False
        agree += 1
    return agree > 0
