"""Incidental flag: present/possible, not benign, and not explained by the indication.

The indication is the HL7 indication (OBR-13/OBR-31) or the caller's, else
the report's own indication/history section. A finding inside that section is
never incidental: it is the reason for the exam.
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc, Span

from radfollow.models import Assertion, FindingType
from radfollow.nlp.components_base import RuleFileComponent
from radfollow.nlp.sectionizer import section_text
from radfollow.rules.schema import IncidentalRules

_AFFIRMED = frozenset({Assertion.PRESENT, Assertion.POSSIBLE})


def _terms_regex(terms: list[str]) -> re.Pattern[str] | None:
    if not terms:
        return None
    return re.compile(r"\b(?:" + "|".join(map(re.escape, terms)) + r")\b", re.IGNORECASE)


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
        rules = self.rules.explained_by_indication
        self._any = _terms_regex(rules.get("any", []))
        self._by_type = {t: _terms_regex(rules.get(t.value, [])) for t in FindingType}
        self._by_exam = {t: _terms_regex(v) for t, v in self.rules.explained_by_exam.items()}

    def indication(self, doc: Doc) -> str:
        return doc._.rad_indication or section_text(doc, "indication")

    def __call__(self, doc: Doc) -> Doc:
        indication = self.indication(doc)
        exam = " ".join(filter(None, [doc._.rad_procedure, section_text(doc, "exam")]))
        for ent in doc.ents:
            ent._.rad_incidental = self.is_incidental(ent, indication, exam)
        return doc

    def is_incidental(self, ent: Span, indication: str, exam: str) -> bool:
        if ent._.rad_assertion not in _AFFIRMED or ent._.rad_benign:
            return False
        if ent._.rad_section in self.non_incidental_sections:
            return False
        finding_type = FindingType(ent.label_)
        if indication and self._explains(indication, finding_type):
            return False
        by_exam = self._by_exam.get(finding_type)
        return not (exam and by_exam and by_exam.search(exam))

    def _explains(self, indication: str, finding_type: FindingType) -> bool:
        if self._any and self._any.search(indication):
            return True
        regex = self._by_type.get(finding_type)
        return bool(regex and regex.search(indication))
