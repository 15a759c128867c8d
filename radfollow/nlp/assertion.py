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
    ("EVALUATION", Assertion.HYPOTHETICAL),
    ("HISTORICAL", Assertion.HISTORICAL),
    ("POSSIBLE_EXISTENCE", Assertion.POSSIBLE),
    ("PSEUDO_LESION", Assertion.ABSENT),
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
        # A relative's finding (family history) is not the patient's: not a finding here.
        family = [e for e in doc.ents if any(m.category == "FAMILY" for m in e._.modifiers)]
        if family:
            doc.ents = [e for e in doc.ents if e not in family]
        for ent in doc.ents:
            section = section_at(doc._.rad_sections, ent.start_char)
            ent._.rad_section = section.category if section else None
            categories = {mod.category for mod in ent._.modifiers}
            ent._.rad_assertion = self.assertion(categories, ent._.rad_section)
            if ent._.rad_assertion is Assertion.POSSIBLE and self._known(ent):
                # "may be due to the patient's known thyroid mass": the hedge is about the
                # cause of something else; a finding called known exists.
                ent._.rad_assertion = Assertion.PRESENT
            ent._.rad_benign = self.benign(ent, categories)
        return doc

    def assertion(self, categories: set[str], section: str | None) -> Assertion:
        for category, value in PRECEDENCE:
            if category in categories:
                if value is Assertion.POSSIBLE and section in self.indication_sections:
                    return Assertion.HYPOTHETICAL
                return value
        return Assertion.PRESENT

    @staticmethod
    def _known(ent: Span) -> bool:
        """An INDICATION_CUE ("known") right before the finding's head, in its noun phrase."""
        return any(
            mod.category == "INDICATION_CUE" and ent.start - 3 <= mod.modifier_span[1] <= ent.start
            for mod in ent._.modifiers
        )

    def benign(self, ent: Span, categories: set[str]) -> bool:
        if "BENIGN_HEDGE" in categories:
            return False
        if "BENIGN" in categories:
            return True
        return ent._.rad_head in self.benign_heads and "POSSIBLE_EXISTENCE" not in categories
