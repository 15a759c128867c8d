"""The pydantic models of every rule file under ``radfollow/rules/`` (STYLE.md #3).

One model per file; the model's ``file_name`` names the packaged file and the
file a site's rules folder may hold to replace it:

==========================  ========================  ===================
file                        model                     module
==========================  ========================  ===================
sections.json               SectionRules              schema.nlp
targets.json                TargetRules               schema.nlp
context.json                ContextRules              schema.nlp
organs.json                 OrganRules                schema.nlp
anatomy.json                AnatomyRules              schema.nlp
attributes.json             AttributeRules            schema.nlp
incidental.json             IncidentalRules           schema.nlp
recommendations.json        RecommendationRules       schema.nlp
tracker.json                TrackerPolicy             schema.tracker
procedures.json             ProcedureRules            schema.tracker
charsets.json               CharsetRules              schema.hl7
modalities.json             ModalityRules             schema.hl7
placeholders.json           PlaceholderRules          schema.hl7
terminology.json            Terminology               schema.fhir
guidance.json               GuidanceRules             schema.guidance
measures.json               MeasureRules              schema.guidance
checks.json                 CheckRules                schema.checks
critical.json               CriticalRules             schema.critical
notify.json                 NotifyRules               schema.notify
==========================  ========================  ===================

Every model rejects unknown keys and is frozen. Schema is validation; the
little behaviour that reads only a file's own data stays on its model
(``ModalityRules.resolve``/``infer``, ``Terminology.body_site``,
``Concept.to_fhir``), everything else (matchers, regexes, decoding) lives in
the module that uses the rules. Load files with :mod:`radfollow.rules.loader`.
"""

from __future__ import annotations

from radfollow.rules.schema.base import STRICT, RuleFile, check_regex
from radfollow.rules.schema.checks import CheckRules
from radfollow.rules.schema.critical import CriticalRules
from radfollow.rules.schema.fhir import (
    BodySiteConcept,
    CodingEntry,
    Concept,
    FindingConcept,
    ModalityConcept,
    Terminology,
)
from radfollow.rules.schema.guidance import GuidanceRules, MeasureRules
from radfollow.rules.schema.hl7 import (
    CharsetRules,
    InferenceRule,
    ModalityRules,
    PlaceholderRules,
    codec_name,
    normalise_charset_name,
    normalise_placeholder,
)
from radfollow.rules.schema.nlp import (
    ActionRule,
    AnatomyRules,
    AttributeRules,
    ContextRuleData,
    ContextRules,
    ExamOrgan,
    Exclusion,
    FixedInterval,
    IncidentalRules,
    IntervalRules,
    LateralityCue,
    LocationCue,
    ModalityChoice,
    OrganCue,
    OrganRules,
    RecommendationRules,
    RecommendationThresholds,
    RegionRule,
    SectionRule,
    SectionRules,
    TargetRuleData,
    TargetRules,
    Trigger,
)
from radfollow.rules.schema.notify import NotifyRules
from radfollow.rules.schema.tracker import ProcedureRules, TrackerPolicy

#: Every rule file's model, in pipeline order; one per packaged file.
RULE_FILES: tuple[type[RuleFile], ...] = (
    SectionRules,
    TargetRules,
    OrganRules,
    ContextRules,
    AnatomyRules,
    AttributeRules,
    IncidentalRules,
    RecommendationRules,
    TrackerPolicy,
    ProcedureRules,
    CharsetRules,
    ModalityRules,
    PlaceholderRules,
    Terminology,
    GuidanceRules,
    MeasureRules,
    CheckRules,
    CriticalRules,
    NotifyRules,
)

__all__ = [
    "RULE_FILES",
    "STRICT",
    "ActionRule",
    "AnatomyRules",
    "AttributeRules",
    "BodySiteConcept",
    "CharsetRules",
    "CheckRules",
    "CodingEntry",
    "Concept",
    "ContextRuleData",
    "ContextRules",
    "CriticalRules",
    "ExamOrgan",
    "Exclusion",
    "FindingConcept",
    "FixedInterval",
    "GuidanceRules",
    "IncidentalRules",
    "InferenceRule",
    "IntervalRules",
    "LateralityCue",
    "LocationCue",
    "MeasureRules",
    "ModalityChoice",
    "ModalityConcept",
    "ModalityRules",
    "NotifyRules",
    "OrganCue",
    "OrganRules",
    "PlaceholderRules",
    "ProcedureRules",
    "RecommendationRules",
    "RecommendationThresholds",
    "RegionRule",
    "RuleFile",
    "SectionRule",
    "SectionRules",
    "TargetRuleData",
    "TargetRules",
    "Terminology",
    "TrackerPolicy",
    "Trigger",
    "check_regex",
    "codec_name",
    "normalise_charset_name",
    "normalise_placeholder",
]
