"""Build the radfollow spaCy pipeline.

blank English tokenizer -> sectionizer -> sentence splitter -> medspaCy
TargetMatcher (rules/targets.json) -> finding typer -> medspaCy ConText
(rules/context.json) -> assertion -> anatomy (size, laterality, location) ->
incidental -> recommendation rules -> [scorer slot] -> selector.

The scorer slot is where the recommendation classifier goes: any component
that sets ``Span._.rad_score`` on ``doc.spans["rad_recommendation_candidates"]``
placed before the selector.
"""

from __future__ import annotations

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
    ContextRules,
    IncidentalRules,
    OrganRules,
    RecommendationRules,
    RuleFile,
    SectionRules,
    TargetRules,
)


class PipelineConfig(BaseModel):
    """Site-level choices. A rules folder may override any of the packaged rule files."""

    model_config = ConfigDict(extra="forbid")

    rules_dir: Path | None = Field(default=None, description="Folder of site rule files.")
    threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    classifier: bool = Field(default=True, description="Score recommendations with the classifier.")
    head: Literal["combined", "classifier"] = "combined"
    model: Path | None = Field(default=None, description="Hugging Face model folder (encoder).")
    heads: Path | None = Field(default=None, description="Classifier heads JSON (radfollow train).")
    backend: Literal["auto", "onnx", "torch"] = "auto"
    precision: Literal["int8", "fp32"] = "fp32"
    max_length: int = Field(default=MAX_REPORT_CHARS, ge=1)

    def rule_path(self, model_or_name: type[RuleFile] | str) -> str | None:
        """The site's file for a rule model (or file name) in ``rules_dir``; None: packaged.

        Raises RuleFileError when ``rules_dir`` is set but is not a folder.
        """
        return site_rule_file(model_or_name, self.rules_dir)


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
    nlp.add_pipe(reg.SECTIONIZER, config={"rules": config.rule_path(SectionRules)})
    nlp.add_pipe(reg.SENTENCES)
    nlp.add_pipe(reg.TARGETS, config={"rules": config.rule_path(TargetRules)})
    nlp.add_pipe(reg.FINDING_TYPER, config={"rules": config.rule_path(OrganRules)})
    nlp.add_pipe(reg.CONTEXT, config={"rules": config.rule_path(ContextRules)})
    nlp.add_pipe(reg.ASSERTION)
    nlp.add_pipe(reg.ANATOMY, config={"rules": config.rule_path(AnatomyRules)})
    nlp.add_pipe(reg.INCIDENTAL, config={"rules": config.rule_path(IncidentalRules)})
    nlp.add_pipe(reg.RECOMMENDATION_RULES, config={"rules": config.rule_path(RecommendationRules)})
    if config.classifier:
        nlp.add_pipe(reg.RECOMMENDATION_CLASSIFIER, config=classifier_config(config))
    nlp.add_pipe(reg.RECOMMENDATION_SELECTOR, config={"threshold": config.threshold})
    return nlp


def classifier_config(config: PipelineConfig) -> dict[str, object]:
    return {
        "model": str(config.model) if config.model else None,
        "heads": str(config.heads) if config.heads else None,
        "head": config.head,
        "backend": config.backend,
        "precision": config.precision,
    }
