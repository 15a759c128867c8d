"""Rule files: loaded from the package (or a site's own path) and validated.

Every rule file under ``radfollow/rules/`` has a pydantic model here that
rejects unknown keys, so a typo in a site's rule file fails loudly with the
file name instead of silently doing nothing (STYLE.md #3).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from radfollow.errors import RuleFileError
from radfollow.models import FindingType, Laterality, Modality

_STRICT = ConfigDict(extra="forbid", frozen=True)


def _check_regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as err:
        raise ValueError(f"invalid regular expression {pattern!r}: {err}") from err
    return pattern


class SectionRule(BaseModel):
    model_config = _STRICT
    category: str
    headers: list[str]


class SectionRules(BaseModel):
    model_config = _STRICT
    description: str = ""
    sections: list[SectionRule]


class TargetRuleData(BaseModel):
    """One medspaCy TargetRule, as data."""

    model_config = _STRICT
    literal: str
    category: str
    pattern: list[dict[str, Any]] | str | None = None

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str) -> str:
        if not value.startswith("HEAD_") and value not in set(FindingType):
            raise ValueError(f"unknown category {value!r}: use a finding type or HEAD_*")
        return value


class TargetRules(BaseModel):
    model_config = _STRICT
    description: str = ""
    target_rules: list[TargetRuleData]


class ContextRuleData(BaseModel):
    """One medspaCy ConTextRule, as data."""

    model_config = _STRICT
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


class ContextRules(BaseModel):
    model_config = _STRICT
    description: str = ""
    context_rules: list[ContextRuleData]


class OrganCue(BaseModel):
    model_config = _STRICT
    organ: str
    strength: int = 1
    terms: list[str]


class ExamOrgan(BaseModel):
    model_config = _STRICT
    organ: str
    terms: list[str]


class OrganRules(BaseModel):
    model_config = _STRICT
    description: str = ""
    organs: list[OrganCue]
    exam_organs: list[ExamOrgan]
    type_map: dict[str, dict[str, FindingType | None]]
    lymph_node_size_cues: list[str]
    expand_terms: list[str]
    characterizing_cues: list[str]


class LateralityCue(BaseModel):
    model_config = _STRICT
    value: Laterality
    terms: list[str]


class LocationCue(BaseModel):
    model_config = _STRICT
    location: str
    terms: list[str]


class AnatomyRules(BaseModel):
    model_config = _STRICT
    description: str = ""
    laterality: list[LateralityCue]
    locations: list[LocationCue]
    measurement_units: dict[str, float]


class IncidentalRules(BaseModel):
    model_config = _STRICT
    description: str = ""
    explained_by_indication: dict[str, list[str]]
    explained_by_exam: dict[FindingType, list[str]]


class Trigger(BaseModel):
    model_config = _STRICT
    name: str
    pattern: str
    conditional: bool
    _check = field_validator("pattern")(_check_regex)


class Exclusion(BaseModel):
    model_config = _STRICT
    name: str
    pattern: str
    _check = field_validator("pattern")(_check_regex)


class ActionRule(BaseModel):
    model_config = _STRICT
    modality: Modality | None
    pattern: str
    _check = field_validator("pattern")(_check_regex)


class RegionRule(BaseModel):
    model_config = _STRICT
    region: str
    pattern: str
    organs: list[str] = []
    _check = field_validator("pattern")(_check_regex)


class FixedInterval(BaseModel):
    model_config = _STRICT
    pattern: str
    months: tuple[float, float]
    _check = field_validator("pattern")(_check_regex)


class IntervalRules(BaseModel):
    model_config = _STRICT
    number_words: dict[str, float]
    units_in_months: dict[str, float]
    fixed: list[FixedInterval]
    not_after: str = "$^"
    _check = field_validator("not_after")(_check_regex)


class RecommendationThresholds(BaseModel):
    model_config = _STRICT
    direct: float
    hedged: float
    action_only_with_interval: float


class RecommendationRules(BaseModel):
    model_config = _STRICT
    description: str = ""
    triggers: list[Trigger]
    hedges: list[str]
    exclusions: list[Exclusion]
    skip_sections: list[str]
    actions: list[ActionRule]
    body_regions: list[RegionRule]
    intervals: IntervalRules
    thresholds: RecommendationThresholds

    @field_validator("hedges")
    @classmethod
    def _hedges_compile(cls, value: list[str]) -> list[str]:
        return [_check_regex(p) for p in value]


M = TypeVar("M", bound=BaseModel)

#: Default rule file name for each schema.
DEFAULT_FILES: dict[type[BaseModel], str] = {
    SectionRules: "sections.json",
    TargetRules: "targets.json",
    ContextRules: "context.json",
    OrganRules: "organs.json",
    AnatomyRules: "anatomy.json",
    IncidentalRules: "incidental.json",
    RecommendationRules: "recommendations.json",
}


def default_rule_path(name: str) -> Path:
    """Path of a rule file shipped in ``radfollow/rules``."""
    return Path(str(resources.files("radfollow.rules").joinpath(name)))


def load_rules(model: type[M], path: str | Path | None = None) -> M:
    """Load and validate a rule file; ``path=None`` takes the packaged default."""
    resolved = Path(path) if path else default_rule_path(DEFAULT_FILES[model])
    return _load_cached(model, str(resolved))  # type: ignore[return-value]


@lru_cache(maxsize=64)
def _load_cached(model: type[BaseModel], path: str) -> BaseModel:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise RuleFileError("rule file not found", where=path) from err
    except json.JSONDecodeError as err:
        raise RuleFileError(f"not valid JSON: {err}", where=path) from err
    try:
        return model.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(part) for part in first["loc"])
        raise RuleFileError(
            f"{loc}: {first['msg']} ({err.error_count()} error(s))", where=path
        ) from err
