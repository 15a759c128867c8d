"""Build the radfollow spaCy pipeline.

blank English tokenizer -> sectionizer -> sentence splitter -> medspaCy
TargetMatcher (rules/targets.json) -> finding typer -> medspaCy ConText
(rules/context.json) -> assertion -> anatomy (size, laterality, location) ->
attributes (composition, multiplicity, HU) ->
incidental -> recommendation rules -> [scorer slot] -> selector ->
critical results (rules/critical.json, with the ConText modifiers) ->
documented communication.

The scorer slot is where the recommendation classifier goes: any component
that sets ``Span._.rad_score`` on ``doc.spans["rad_recommendation_candidates"]``
placed before the selector.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import spacy
from pydantic import BaseModel, ConfigDict, Field
from spacy.language import Language
from spacy.tokenizer import Tokenizer

from radfollow.models import MAX_REPORT_CHARS
from radfollow.nlp import registrations as reg
from radfollow.rules.loader import site_rule_file
from radfollow.rules.schema import (
    AnatomyRules,
    AttributeRules,
    ContextRules,
    CriticalRules,
    IncidentalRules,
    OrganRules,
    RecommendationRules,
    RuleFile,
    SectionRules,
    TargetRules,
)

#: spaCy's tokenizer strips prefixes and suffixes from a run of non-space
#: characters one at a time, searching the rest of the run each time: a run of
#: n punctuation characters costs O(n^2) (measured on this machine: 4,000 '&'
#: took 2.8 s, 1,000 took 0.19 s). Runs this long are not words in a report
#: (rulers, pasted base64, separator noise), so they become one token.
MAX_TOKEN_CHARS = 64


#: Whether the recommendation classifier runs unless a site asks otherwise.
#: Off: on the blind-labelled real reports' test half (issue 12,
#: benchmarks/labels/README.md) the combined head did not beat the rules
#: alone (report F1 0.836 against 0.873), so the rules are the default and the
#: classifier is an option (docs/classifier.md).
CLASSIFIER_BY_DEFAULT = False


class PipelineConfig(BaseModel):
    """Site-level choices. A rules folder may override any of the packaged rule files."""

    model_config = ConfigDict(extra="forbid")

    rules_dir: Path | None = Field(default=None, description="Folder of site rule files.")
    threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    classifier: bool = Field(
        default=CLASSIFIER_BY_DEFAULT, description="Score recommendations with the classifier."
    )
    head: Literal["combined", "classifier"] = "combined"
    model: Path | None = Field(default=None, description="Hugging Face model folder (encoder).")
    heads: Path | None = Field(default=None, description="Classifier heads JSON (radfollow train).")
    backend: Literal["auto", "onnx", "torch"] = "auto"
    precision: Literal["int8", "fp32"] = "fp32"
    max_length: int = Field(default=MAX_REPORT_CHARS, ge=1)
    max_token_chars: int = Field(
        default=MAX_TOKEN_CHARS,
        ge=8,
        description="A run of this many non-space characters or more is one token.",
    )

    def rule_path(self, model_or_name: type[RuleFile] | str) -> str | None:
        """The site's file for a rule model (or file name) in ``rules_dir``; None: packaged.

        Raises RuleFileError when ``rules_dir`` is set but is not a folder.
        """
        return site_rule_file(model_or_name, self.rules_dir)


def bound_token_length(nlp: Language, max_chars: int = MAX_TOKEN_CHARS) -> None:
    """Keep any run of ``max_chars`` or more non-space characters as one token.

    Uses the tokenizer's ``token_match`` hook (spaCy 3 tokenizer algorithm: a
    substring it matches is not split further), joined to the pattern of any
    ``token_match`` already set. It stays a compiled pattern's method, which is
    what ``Tokenizer.to_bytes`` serialises (and restores as ``.match``: the
    pattern is anchored at both ends so both read alike). Shorter runs tokenize
    exactly as before (tests/nlp/test_nlp_tokenizer.py), so the cost of a report
    is linear in its length: each long run is matched once.
    """
    tokenizer = nlp.tokenizer
    if not isinstance(tokenizer, Tokenizer):
        return
    pattern = rf"\S{{{max_chars},}}\Z"
    previous = tokenizer.token_match
    if previous is not None:
        pattern = f"(?:{previous.__self__.pattern})|(?:{pattern})"
    tokenizer.token_match = re.compile(pattern).match


#: Tokenizer special cases that map a whitespace string to itself.
_IDENTITY_WHITESPACE = ("\n", "\t", " ")


def drop_whitespace_special_cases(nlp: Language) -> None:
    """Remove spaCy's identity special cases for line breaks, tabs and spaces.

    spaCy stops caching a Doc's words once a special case has matched in it,
    and every line break matches one, so nearly every word of a report was
    split by the prefix/suffix/infix regexes again (Open-i: 1.06 s to tokenize
    the corpus, 0.19 s without them). Without these three entries the
    whitespace becomes the same tokens through the ordinary path: tokens,
    whitespace and norms are unchanged (tests/nlp/test_nlp_tokenizer.py).
    """
    tokenizer = nlp.tokenizer
    if isinstance(tokenizer, Tokenizer):
        rules = tokenizer.rules or {}
        tokenizer.rules = {k: v for k, v in rules.items() if k not in _IDENTITY_WHITESPACE}


def build_pipeline(config: PipelineConfig | None = None) -> Language:
    config = config or PipelineConfig()
    nlp = spacy.blank("en")
    nlp.max_length = config.max_length
    drop_whitespace_special_cases(nlp)
    bound_token_length(nlp, config.max_token_chars)
    nlp.add_pipe(reg.SECTIONIZER, config={"rules": config.rule_path(SectionRules)})
    nlp.add_pipe(reg.SENTENCES)
    nlp.add_pipe(reg.TARGETS, config={"rules": config.rule_path(TargetRules)})
    nlp.add_pipe(reg.FINDING_TYPER, config={"rules": config.rule_path(OrganRules)})
    nlp.add_pipe(reg.CONTEXT, config={"rules": config.rule_path(ContextRules)})
    nlp.add_pipe(reg.ASSERTION)
    nlp.add_pipe(reg.ANATOMY, config={"rules": config.rule_path(AnatomyRules)})
    nlp.add_pipe(reg.ATTRIBUTES, config={"rules": config.rule_path(AttributeRules)})
    nlp.add_pipe(reg.INCIDENTAL, config={"rules": config.rule_path(IncidentalRules)})
    nlp.add_pipe(reg.RECOMMENDATION_RULES, config={"rules": config.rule_path(RecommendationRules)})
    if config.classifier:
        nlp.add_pipe(reg.RECOMMENDATION_CLASSIFIER, config=classifier_config(config))
    nlp.add_pipe(reg.RECOMMENDATION_SELECTOR, config={"threshold": config.threshold})
    critical_rules = config.rule_path(CriticalRules)
    nlp.add_pipe(
        reg.CRITICAL,
        config={"rules": critical_rules, "context_rules": config.rule_path(ContextRules)},
    )
    nlp.add_pipe(reg.COMMUNICATION, config={"rules": critical_rules})
    return nlp


def classifier_config(config: PipelineConfig) -> dict[str, object]:
    return {
        "model": str(config.model) if config.model else None,
        "heads": str(config.heads) if config.heads else None,
        "head": config.head,
        "backend": config.backend,
        "precision": config.precision,
    }
