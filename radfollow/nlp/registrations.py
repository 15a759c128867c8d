"""Every radfollow spaCy factory, registered in one place (STYLE.md #2).

No ``from __future__ import annotations`` here: spaCy reads the factory
signatures at run time to validate configs.

Names carry a version; a behaviour change adds ``.v2`` rather than editing
``.v1``. ``REGISTERED`` is snapshotted by a test.
"""

from spacy.language import Language

from radfollow.nlp.assertion import AssertionResolver
from radfollow.nlp.attributes import FindingAttributes
from radfollow.nlp.classifier.component import RecommendationClassifier
from radfollow.nlp.communication import CommunicationReader
from radfollow.nlp.critical import CriticalFindings
from radfollow.nlp.extensions import register_extensions
from radfollow.nlp.finding_typer import FindingTyper
from radfollow.nlp.hard_wrap import WrapThresholds
from radfollow.nlp.incidental import IncidentalClassifier
from radfollow.nlp.measurements import AnatomyLinker
from radfollow.nlp.medspacy_wrappers import RadContext, RadTargetMatcher
from radfollow.nlp.recommendations import RULES_COMPONENT, RecommendationRulesComponent
from radfollow.nlp.sectionizer import RadSectionizer
from radfollow.nlp.selector import RecommendationSelector
from radfollow.nlp.sentences import RadSentenceSplitter

register_extensions()

SECTIONIZER = "radfollow_sectionizer_v1"
SENTENCES = "radfollow_sentences_v2"
#: Earlier factories kept for saved pipelines; not in a new pipeline.
SENTENCES_V1 = "radfollow_sentences_v1"
TARGETS = "radfollow_targets_v1"
CONTEXT = "radfollow_context_v1"
FINDING_TYPER = "radfollow_finding_typer_v1"
ASSERTION = "radfollow_assertion_v1"
ANATOMY = "radfollow_anatomy_v1"
ATTRIBUTES = "radfollow_attributes_v1"
INCIDENTAL = "radfollow_incidental_v1"
RECOMMENDATION_RULES = RULES_COMPONENT
RECOMMENDATION_CLASSIFIER = "radfollow_recommendation_classifier_v1"
RECOMMENDATION_SELECTOR = "radfollow_recommendation_selector_v1"
CRITICAL = "radfollow_critical_v1"
COMMUNICATION = "radfollow_communication_v1"

REGISTERED = (
    SECTIONIZER,
    SENTENCES,
    TARGETS,
    FINDING_TYPER,
    CONTEXT,
    ASSERTION,
    ANATOMY,
    ATTRIBUTES,
    INCIDENTAL,
    RECOMMENDATION_RULES,
    RECOMMENDATION_CLASSIFIER,
    RECOMMENDATION_SELECTOR,
    CRITICAL,
    COMMUNICATION,
)


@Language.factory(SECTIONIZER, default_config={"rules": None})
def make_sectionizer(nlp: Language, name: str, rules: str | None) -> RadSectionizer:
    return RadSectionizer(nlp, name, rules=rules)


_WRAP = WrapThresholds()


@Language.factory(
    SENTENCES,
    default_config={
        "spaced_periods": True,
        "max_sentence_chars": 1000,
        "wrap_min_width": _WRAP.min_width,
        "wrap_max_width": _WRAP.max_width,
        "wrap_min_soft_breaks": _WRAP.min_soft_breaks,
        "wrap_min_full_ratio": _WRAP.min_full_ratio,
        "wrap_min_lowercase_starts": _WRAP.min_lowercase_starts,
    },
)
def make_sentences(
    nlp: Language,
    name: str,
    spaced_periods: bool,
    max_sentence_chars: int | None,
    wrap_min_width: int,
    wrap_max_width: int,
    wrap_min_soft_breaks: int,
    wrap_min_full_ratio: float,
    wrap_min_lowercase_starts: int,
) -> RadSentenceSplitter:
    """v2: soft wraps joined, lone " ." periods split, long sentences cut."""
    wrap = WrapThresholds(
        min_width=wrap_min_width,
        max_width=wrap_max_width,
        min_soft_breaks=wrap_min_soft_breaks,
        min_full_ratio=wrap_min_full_ratio,
        min_lowercase_starts=wrap_min_lowercase_starts,
    )
    return RadSentenceSplitter(
        nlp,
        name,
        wrap=wrap,
        spaced_periods=spaced_periods,
        max_sentence_chars=max_sentence_chars,
    )


@Language.factory(SENTENCES_V1)
def make_sentences_v1(nlp: Language, name: str) -> RadSentenceSplitter:
    """v1: every line break is a boundary; no lone-period rule."""
    return RadSentenceSplitter(nlp, name, wrap=None, spaced_periods=False)


@Language.factory(TARGETS, default_config={"rules": None})
def make_targets(nlp: Language, name: str, rules: str | None) -> RadTargetMatcher:
    return RadTargetMatcher(nlp, name, rules=rules)


@Language.factory(CONTEXT, default_config={"rules": None})
def make_context(nlp: Language, name: str, rules: str | None) -> RadContext:
    return RadContext(nlp, name, rules=rules)


@Language.factory(FINDING_TYPER, default_config={"rules": None})
def make_finding_typer(nlp: Language, name: str, rules: str | None) -> FindingTyper:
    return FindingTyper(nlp, name, rules=rules)


@Language.factory(
    ASSERTION,
    default_config={
        "indication_sections": ["indication"],
        "benign_heads": ["HEAD_GRANULOMA", "HEAD_BONE_ISLAND", "HEAD_HEMANGIOMA"],
    },
)
def make_assertion(
    nlp: Language, name: str, indication_sections: list[str], benign_heads: list[str]
) -> AssertionResolver:
    return AssertionResolver(
        nlp, name, indication_sections=indication_sections, benign_heads=benign_heads
    )


@Language.factory(ANATOMY, default_config={"rules": None})
def make_anatomy(nlp: Language, name: str, rules: str | None) -> AnatomyLinker:
    return AnatomyLinker(nlp, name, rules=rules)


@Language.factory(ATTRIBUTES, default_config={"rules": None})
def make_attributes(nlp: Language, name: str, rules: str | None) -> FindingAttributes:
    return FindingAttributes(nlp, name, rules=rules)


@Language.factory(
    INCIDENTAL,
    default_config={"rules": None, "non_incidental_sections": ["indication", "exam"]},
)
def make_incidental(
    nlp: Language, name: str, rules: str | None, non_incidental_sections: list[str]
) -> IncidentalClassifier:
    return IncidentalClassifier(
        nlp, name, rules=rules, non_incidental_sections=non_incidental_sections
    )


@Language.factory(RECOMMENDATION_RULES, default_config={"rules": None})
def make_recommendation_rules(
    nlp: Language, name: str, rules: str | None
) -> RecommendationRulesComponent:
    return RecommendationRulesComponent(nlp, name, rules=rules)


@Language.factory(
    RECOMMENDATION_CLASSIFIER,
    default_config={
        "model": None,
        "heads": None,
        "head": "combined",
        "backend": "auto",
        "precision": "fp32",
        "max_length": 128,
        "batch_size": 64,
        "add_threshold": None,
        "veto_threshold": None,
        "conditional_threshold": 0.5,
    },
)
def make_classifier(
    nlp: Language,
    name: str,
    model: str | None,
    heads: str | None,
    head: str,
    backend: str,
    precision: str,
    max_length: int,
    batch_size: int,
    add_threshold: float | None,
    veto_threshold: float | None,
    conditional_threshold: float,
) -> RecommendationClassifier:
    return RecommendationClassifier(
        nlp,
        name,
        model=model,
        heads=heads,
        head=head,
        backend=backend,  # type: ignore[arg-type]
        precision=precision,  # type: ignore[arg-type]
        max_length=max_length,
        batch_size=batch_size,
        add_threshold=add_threshold,
        veto_threshold=veto_threshold,
        conditional_threshold=conditional_threshold,
    )


@Language.factory(RECOMMENDATION_SELECTOR, default_config={"threshold": 0.5})
def make_selector(nlp: Language, name: str, threshold: float) -> RecommendationSelector:
    return RecommendationSelector(nlp, name, threshold=threshold)


@Language.factory(CRITICAL, default_config={"rules": None, "context_rules": None})
def make_critical(
    nlp: Language, name: str, rules: str | None, context_rules: str | None
) -> CriticalFindings:
    return CriticalFindings(nlp, name, rules=rules, context_rules=context_rules)


@Language.factory(COMMUNICATION, default_config={"rules": None})
def make_communication(nlp: Language, name: str, rules: str | None) -> CommunicationReader:
    return CommunicationReader(nlp, name, rules=rules)
