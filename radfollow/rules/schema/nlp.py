"""Models of the NLP rule files: sections, targets, context, organs, anatomy,
incidental and recommendations (all read by ``radfollow.nlp`` components)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, Field, field_validator

from radfollow.models import Composition, FindingType, Laterality, Modality
from radfollow.rules.schema.base import STRICT, RuleFile, check_regex


class SectionRule(BaseModel):
    model_config = STRICT
    category: str
    headers: list[str]


class SectionRules(RuleFile):
    file_name: ClassVar[str] = "sections.json"
    description: str = ""
    sections: list[SectionRule]


class TargetRuleData(BaseModel):
    """One medspaCy TargetRule, as data."""

    model_config = STRICT
    literal: str
    category: str
    pattern: list[dict[str, Any]] | str | None = None
    #: Index of the pattern token the sentence gate looks for (default: the first
    #: required one); name a rare word of a pattern that starts with a common one.
    gate_anchor: int | None = None

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str) -> str:
        if not value.startswith("HEAD_") and value not in set(FindingType):
            raise ValueError(f"unknown category {value!r}: use a finding type or HEAD_*")
        return value


class TargetRules(RuleFile):
    file_name: ClassVar[str] = "targets.json"
    description: str = ""
    target_rules: list[TargetRuleData]


class ContextRuleData(BaseModel):
    """One medspaCy ConTextRule, as data."""

    model_config = STRICT
    literal: str
    category: str
    direction: str = "BIDIRECTIONAL"
    pattern: list[dict[str, Any]] | str | None = None
    max_scope: int | None = None
    allowed_types: list[str] | None = None
    excluded_types: list[str] | None = None
    terminated_by: list[str] | None = None

    @field_validator("direction")
    @classmethod
    def _known_direction(cls, value: str) -> str:
        allowed = {"FORWARD", "BACKWARD", "BIDIRECTIONAL", "TERMINATE", "PSEUDO"}
        if value not in allowed:
            raise ValueError(f"direction must be one of {sorted(allowed)}")
        return value


class ContextRules(RuleFile):
    file_name: ClassVar[str] = "context.json"
    description: str = ""
    context_rules: list[ContextRuleData]


class OrganCue(BaseModel):
    model_config = STRICT
    organ: str
    strength: int = 1
    terms: list[str]


class ExamOrgan(BaseModel):
    model_config = STRICT
    organ: str
    terms: list[str]


class OrganRules(RuleFile):
    file_name: ClassVar[str] = "organs.json"
    description: str = ""
    organs: list[OrganCue]
    exam_organs: list[ExamOrgan]
    type_map: dict[str, dict[str, FindingType | None]]
    lymph_node_size_cues: list[str]
    expand_terms: list[str]
    characterizing_cues: list[str]
    name_words: list[str] = Field(default_factory=list)
    sentence_exam_organs: list[ExamOrgan] = Field(default_factory=list)


class LateralityCue(BaseModel):
    model_config = STRICT
    value: Laterality
    terms: list[str]


class LocationCue(BaseModel):
    model_config = STRICT
    location: str
    terms: list[str]


class AnatomyRules(RuleFile):
    file_name: ClassVar[str] = "anatomy.json"
    description: str = ""
    laterality: list[LateralityCue]
    locations: list[LocationCue]
    measurement_units: dict[str, float]


class CompositionCue(BaseModel):
    model_config = STRICT
    value: Composition
    terms: list[str]


class SizeType(BaseModel):
    """A finding of ``type`` larger than ``above_mm`` is a ``becomes`` (e.g. nodule -> mass)."""

    model_config = STRICT
    type: FindingType
    above_mm: float
    becomes: FindingType
    source: str


class SizeRequired(BaseModel):
    """A finding of ``type`` worded with one of ``words`` counts only with a stated size."""

    model_config = STRICT
    type: FindingType
    words: list[str]
    source: str


class AttributeRules(RuleFile):
    """Composition, multiplicity and attenuation words (rules/attributes.json)."""

    file_name: ClassVar[str] = "attributes.json"
    description: str = ""
    composition: list[CompositionCue]
    multiple_terms: list[str]
    single_terms: list[str]
    uncountable_heads: list[str]
    density_units: list[str]
    size_types: list[SizeType] = Field(default_factory=list)
    size_required: list[SizeRequired] = Field(default_factory=list)


class IncidentalRules(RuleFile):
    file_name: ClassVar[str] = "incidental.json"
    description: str = ""
    explained_by_indication: dict[str, list[str]]
    explained_by_exam: dict[FindingType, list[str]]
    history_sentence_cues: list[str] = Field(default_factory=list)
    history_paragraph_cues: list[str] = Field(default_factory=list)
    known_prior_cues: list[str] = Field(default_factory=list)
    new_cues: list[str] = Field(default_factory=list)
    procedure_cues: list[str] = Field(default_factory=list)
    procedure_exclusion_cues: list[str] = Field(default_factory=list)
    benign_nearby_cues: list[str] = Field(default_factory=list)
    benign_entities: list[str] = Field(default_factory=list)
    history_negation_cues: list[str] = Field(default_factory=list)


class Trigger(BaseModel):
    """A recommendation trigger; ``names_action``: the trigger itself names the action
    ("should come back in 4 weeks", "advised to see his urologist"), with ``modality``
    (null: a follow-up of no named kind) when no action rule matches the sentence."""

    model_config = STRICT
    name: str
    pattern: str
    conditional: bool
    names_action: bool = False
    modality: Modality | None = None
    _check = field_validator("pattern")(check_regex)


class Exclusion(BaseModel):
    model_config = STRICT
    name: str
    pattern: str
    _check = field_validator("pattern")(check_regex)


class ActionRule(BaseModel):
    """Words that name a recommended action (ANNOTATION.md section 1) and its modality.

    ``gate``: false for words too common to open the classifier's gate on their
    own ("views", "series", "films", "surgery"); they still name the modality
    of a sentence that a trigger makes a candidate.
    """

    model_config = STRICT
    modality: Modality | None
    pattern: str
    gate: bool = True
    _check = field_validator("pattern")(check_regex)


class ModalityChoice(BaseModel):
    """Which modality words of a sentence are the recommended one and its alternatives.

    ``not_after``: a modality word right after these words names an earlier or
    the current exam ("compared with the prior CT", "seen on ultrasound"), not
    the recommended one, unless no other modality is named. ``connector`` and
    ``listed`` are matched against the whole text between two modality words
    (at most ``max_gap`` characters): ``connector`` links an acceptable
    alternative ("CT or MRI", "MRI or, if contraindicated, CT"); ``listed``
    links a listed one whose list an alternative ends ("CT, MRI or US").
    """

    model_config = STRICT
    description: str = ""
    not_after: str = "$^"
    connector: str
    listed: str = "$^"
    max_gap: int = Field(default=80, ge=1, le=400)
    _check = field_validator("not_after", "connector", "listed")(check_regex)


class RegionRule(BaseModel):
    model_config = STRICT
    region: str
    pattern: str
    organs: list[str] = []
    _check = field_validator("pattern")(check_regex)


class FixedInterval(BaseModel):
    model_config = STRICT
    pattern: str
    months: tuple[float, float]
    _check = field_validator("pattern")(check_regex)


class IntervalRules(BaseModel):
    """Follow-up intervals (ANNOTATION.md section 1: ``interval_months``).

    ``not_after``: an interval right after a match (ending the text before it)
    is an age or a duration ("for 6 months"); ``not_before``: words right after
    the unit that make it one ("3 months ago", "6-year-old", "a 6-week course").
    """

    model_config = STRICT
    number_words: dict[str, float]
    units_in_months: dict[str, float]
    fixed: list[FixedInterval]
    not_after: str = "$^"
    not_before: str = "$^"
    _check = field_validator("not_after", "not_before")(check_regex)


class HedgeScope(BaseModel):
    """Where a hedge does not make a recommendation conditional (issue 12, kind 3).

    A hedge inside a reason clause (from a ``reason_openers`` match to the next
    ``clause_end``: "to evaluate for a possible tear", "since the density may be
    a nipple shadow") or inside a ``descriptive`` phrase about a finding ("may
    represent", "possible") describes the finding, not the recommendation.
    """

    model_config = STRICT
    reason_openers: list[str] = []
    clause_end: str = "(?!)"
    descriptive: list[str] = []

    @field_validator("reason_openers", "descriptive")
    @classmethod
    def _compile_all(cls, value: list[str]) -> list[str]:
        return [check_regex(p) for p in value]

    _check = field_validator("clause_end")(check_regex)


class RecommendationStructure(BaseModel):
    """Text that is no recommendation by its place in the report (issue 12, kind 4).

    ``heading_only``: a sentence that is only a heading ("FOLLOW-UP
    RECOMMENDATION:"). ``table_heading``: patterns that all occur in the
    heading line of a pasted guideline table, a line of at most 200 characters
    ending with ':' ("Fleischner Society recommendations for incidental
    pulmonary nodules:"); the table runs to the next blank line or section
    header. The first pattern is also tested on the whole report first (cheap).
    """

    model_config = STRICT
    heading_only: str = "(?!)"
    table_heading: list[str] = []
    _check = field_validator("heading_only")(check_regex)

    @field_validator("table_heading")
    @classmethod
    def _compile_all(cls, value: list[str]) -> list[str]:
        return [check_regex(p) for p in value]


class RecommendationThresholds(BaseModel):
    model_config = STRICT
    direct: float
    hedged: float
    action_only_with_interval: float


class RecommendationRules(RuleFile):
    """Recommendation rules; ``body_regions`` is also the tracker's study-region reader."""

    file_name: ClassVar[str] = "recommendations.json"
    description: str = ""
    triggers: list[Trigger]
    hedges: list[str]
    hedge_scope: HedgeScope = HedgeScope()
    void_triggers: list[str] = Field(default_factory=list)
    exclusions: list[Exclusion]
    structure: RecommendationStructure = RecommendationStructure()
    skip_sections: list[str]
    actions: list[ActionRule]
    modality_choice: ModalityChoice | None = None
    body_regions: list[RegionRule]
    intervals: IntervalRules
    thresholds: RecommendationThresholds

    @field_validator("hedges", "void_triggers")
    @classmethod
    def _hedges_compile(cls, value: list[str]) -> list[str]:
        return [check_regex(p) for p in value]
