"""medspaCy's TargetMatcher and ConText, fed from validated rule files.

Wrapping them gives both a rules file that is checked before use, a config
that names the file, and ``to_disk``/``from_disk`` that carry the rules with
a saved pipeline (medspaCy 1.3.1's TargetMatcher fails when given a rules
path at construction, and neither component saves its rules).
"""

from __future__ import annotations

import warnings
from typing import Any

from medspacy.context import ConText, ConTextRule
from medspacy.target_matcher import TargetMatcher, TargetRule
from spacy.language import Language
from spacy.tokens import Doc

from radfollow.nlp.components_base import RuleFileComponent
from radfollow.nlp.target_gate import GatedTargetMatcher
from radfollow.rules.schema import ContextRules, TargetRules

# medspaCy keeps a token Matcher and a PhraseMatcher; one of them is empty by
# design, which makes spaCy warn (W036) on every document.
warnings.filterwarnings("ignore", message=r"\[W036\]", category=UserWarning)


def _rule_kwargs(rule: Any) -> dict[str, Any]:
    return rule.model_dump(exclude_none=True)


class RadTargetMatcher(RuleFileComponent):
    rules_model = TargetRules

    def __init__(self, nlp: Language, name: str, *, rules: str | None = None) -> None:
        self.name = name
        self.nlp = nlp
        self._load(rules)

    def _compile(self) -> None:
        rules = [TargetRule(**_rule_kwargs(r)) for r in self.rules.target_rules]
        self._matcher = TargetMatcher(self.nlp, name=f"{self.name}_inner", rules=None)
        self._matcher.add(rules)
        self._gated = GatedTargetMatcher(self.nlp, rules)

    def __call__(self, doc: Doc) -> Doc:
        if not self._gated.enabled:
            return self._matcher(doc)
        for span in self._gated.spans(doc):
            try:  # as medspaCy's TargetMatcher: an existing entity wins
                doc.ents = (*doc.ents, span)
            except ValueError:
                warnings.warn(
                    f"target {span.label_} overlaps an existing entity and is skipped",
                    RuntimeWarning,
                    stacklevel=2,
                )
        return doc


class RadContext(RuleFileComponent):
    rules_model = ContextRules

    def __init__(self, nlp: Language, name: str, *, rules: str | None = None) -> None:
        self.name = name
        self.nlp = nlp
        self._load(rules)

    def _compile(self) -> None:
        self._context = ConText(self.nlp, name=f"{self.name}_inner", rules=None, span_attrs=None)
        built = []
        for rule in self.rules.context_rules:
            kwargs = _rule_kwargs(rule)
            for key in ("allowed_types", "excluded_types", "terminated_by"):
                if key in kwargs:
                    kwargs[key] = set(kwargs[key])
            built.append(ConTextRule(**kwargs))
        self._context.add(built)

    def __call__(self, doc: Doc) -> Doc:
        # ConText only modifies targets (doc.ents here): a report without
        # findings skips its modifier matching (most normal chest films).
        if not doc.ents:
            return doc
        return self._context(doc)
