"""Assertion and benign flag of each finding, from its ConText modifiers and section."""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span

from radfollow.models import Assertion
from radfollow.nlp.sectionizer import section_at

#: ConText categories in the order they win when several modify one finding.
PRECEDENCE: tuple[tuple[str, Assertion], ...] = (
    ("NEGATED_EXISTENCE", Assertion.ABSENT),
    ("HYPOTHETICAL", Assertion.HYPOTHETICAL),
    ("HISTORICAL", Assertion.HISTORICAL),
    ("POSSIBLE_EXISTENCE", Assertion.POSSIBLE),
)


class AssertionResolver:
    def __init__(
        self, nlp: Language, name: str, *, indication_sections: list[str], benign_heads: list[str]
    ) -> None:
        self.name = name
        self.indication_sections = frozenset(indication_sections)
        #: Heads that name a benign entity when affirmed (granuloma, bone island, hemangioma).
        self.benign_heads = frozenset(benign_heads)

    def __call__(self, doc: Doc) -> Doc:
        for ent in doc.ents:
            section = section_at(doc._.rad_sections, ent.start_char)
            ent._.rad_section = section.category if section else None
            categories = {mod.category for mod in ent._.modifiers}
            ent._.rad_assertion = self.assertion(categories, ent._.rad_section)
            ent._.rad_benign = self.benign(ent, categories)
        return doc

    def assertion(self, categories: set[str], section: str | None) -> Assertion:
        for category, value in PRECEDENCE:
            if category in categories:
                if value is Assertion.POSSIBLE and section in self.indication_sections:
                    return Assertion.HYPOTHETICAL
                return value
        return Assertion.PRESENT

    def benign(self, ent: Span, categories: set[str]) -> bool:
        if "BENIGN_HEDGE" in categories:
            return False
        if "BENIGN" in categories:
            return True
        return ent._.rad_head in self.benign_heads and "POSSIBLE_EXISTENCE" not in categories
