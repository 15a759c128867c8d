"""Radiology sectionizer: line-anchored headers from ``rules/sections.json``.

medspaCy's Sectionizer cannot require, per rule, that a header either ends
with ':' or stands alone on its line; radiology headers need exactly that
("IMPRESSION" on its own line, "Findings: ..." inline) to avoid matching the
word "impression" inside a sentence. A single compiled regex also keeps this
component far cheaper than token matching.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc

from radfollow.nlp.components_base import RuleFileComponent
from radfollow.nlp.extensions import doc_text
from radfollow.rules.schema import SectionRules


@dataclass(frozen=True)
class SectionSpan:
    """One section: header characters and body characters in ``doc.text``."""

    category: str | None
    header_start: int
    header_end: int
    end: int

    @property
    def body_start(self) -> int:
        return self.header_end


class RadSectionizer(RuleFileComponent):
    rules_model = SectionRules

    def __init__(self, nlp: Language, name: str, *, rules: str | None = None) -> None:
        self.name = name
        self._load(rules)

    def _compile(self) -> None:
        self._category: dict[str, str] = {}
        for rule in self.rules.sections:
            for header in rule.headers:
                self._category[_norm(header)] = rule.category
        alternatives = sorted(self._category, key=len, reverse=True)
        body = "|".join(re.escape(h).replace(r"\ ", r"[ \t]+") for h in alternatives)
        self._regex = re.compile(
            rf"^[ \t]*(?:\d+[.)][ \t]*)?(?P<header>{body})[ \t]*(?::[ \t]*|(?=[ \t]*\r?$))",
            re.IGNORECASE | re.MULTILINE,
        )

    def find_sections(self, text: str) -> list[SectionSpan]:
        matches = list(self._regex.finditer(text))
        if not matches:
            return [SectionSpan(None, 0, 0, len(text))]
        sections = []
        if matches[0].start() > 0:
            sections.append(SectionSpan(None, 0, 0, matches[0].start()))
        ends = [m.start() for m in matches[1:]] + [len(text)]
        for match, end in zip(matches, ends, strict=True):
            category = self._category[_norm(match.group("header"))]
            sections.append(SectionSpan(category, match.start(), match.end(), end))
        return sections

    def __call__(self, doc: Doc) -> Doc:
        doc._.rad_sections = self.find_sections(doc_text(doc))
        return doc


def _norm(header: str) -> str:
    return " ".join(header.lower().split())


def section_at(sections: list[SectionSpan] | None, char: int) -> SectionSpan | None:
    """The section holding character ``char`` (sections are sorted, contiguous)."""
    if not sections:
        return None
    for section in sections:
        if section.header_start <= char < section.end:
            return section
    return sections[-1]


def section_text(doc: Doc, category: str) -> str:
    """Concatenated body text of every section of ``category``."""
    parts = [
        doc_text(doc)[s.body_start : s.end].strip()
        for s in doc._.rad_sections or []
        if s.category == category
    ]
    return "\n".join(p for p in parts if p)
