"""Schema of guidance.json (guideline rules) and measures.json (MIPS measures), issue 16.

A guideline is an ordered list of rules; each rule's ``when`` is a set of conditions
on the finding and the patient (all must hold) and its answer is the guideline's
management for that band. How the engine reads them: radfollow/guidance/engine.py
and docs/guidance.md.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from radfollow.models import FindingType, Modality
from radfollow.rules.schema.base import STRICT, RuleFile, check_regex


class Range(BaseModel):
    """A numeric band; every bound given must hold (``at_least`` <= x < ``below`` ...)."""

    model_config = STRICT
    at_least: float | None = None
    above: float | None = None
    below: float | None = None
    at_most: float | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> Range:
        lows = [v for v in (self.at_least, self.above) if v is not None]
        highs = [v for v in (self.below, self.at_most) if v is not None]
        if (
            lows
            and highs
            and max(lows) >= min(highs)
            and not (
                self.at_least is not None
                and self.at_most is not None
                and self.at_least == self.at_most
            )
        ):
            raise ValueError(f"empty band: {self.model_dump(exclude_none=True)}")
        return self

    def holds(self, value: float) -> bool:
        """Whether ``value`` lies in the band."""
        return not (
            (self.at_least is not None and value < self.at_least)
            or (self.above is not None and value <= self.above)
            or (self.below is not None and value >= self.below)
            or (self.at_most is not None and value > self.at_most)
        )


#: Inputs that may be unknown: a condition on an unknown one neither holds nor fails, and
#: the engine gives the answers of every case it could be (docs/guidance.md).
UNKNOWABLE = ("age", "female", "menopause", "risk")


class Condition(BaseModel):
    """Conditions of a rule; omitted ones are not tested. In value lists ``null`` means
    'not stated in the report'."""

    model_config = STRICT
    size_mm: Range | None = None
    age: Range | None = None
    density_hu: Range | None = Field(default=None, description="Unstated HU: fails.")
    composition: tuple[str | None, ...] | None = None
    multiplicity: tuple[str | None, ...] | None = None
    bosniak: tuple[str | None, ...] | None = None
    exam_modality: tuple[str | None, ...] | None = None
    risk: Literal["low", "high"] | None = None
    female: bool | None = None
    menopause: Literal["pre", "post"] | None = None
    benign: bool | None = None
    known_cancer: bool | None = None
    immunosuppressed: bool | None = None
    screening: bool | None = None
    features: tuple[str, ...] | None = Field(
        default=None, description="Feature cues (guidance.json 'features') all present."
    )
    no_features: tuple[str, ...] | None = Field(
        default=None, description="Feature cues none of which is present."
    )


class Rule(BaseModel):
    """One band of a guideline and its management."""

    model_config = STRICT
    band: str
    condition: str | None = Field(
        default=None, description="Label shown when an unknown input leaves several bands open."
    )
    when: Condition = Field(default_factory=Condition)
    follow_up: bool
    optional: bool = False
    modality: tuple[Modality, ...] = ()
    interval_months: tuple[float, float] | None = None
    text: str

    @model_validator(mode="after")
    def _follow_up_has_action(self) -> Rule:
        if self.interval_months and self.interval_months[0] > self.interval_months[1]:
            raise ValueError(f"band {self.band!r}: interval_months must be [earliest, latest]")
        if self.follow_up and not self.modality:
            raise ValueError(f"band {self.band!r}: a follow-up needs at least one modality")
        if not self.follow_up and (self.modality or self.interval_months):
            raise ValueError(f"band {self.band!r}: no follow-up takes no modality or interval")
        return self


class NotApplicable(BaseModel):
    """A case the guideline excludes."""

    model_config = STRICT
    when: Condition
    reason: str


class Guideline(BaseModel):
    """One published guideline for some finding types."""

    model_config = STRICT
    id: str = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9][a-z0-9-]*$")
    version: str = Field(min_length=1, max_length=16)
    citation: str
    finding_types: tuple[FindingType, ...] = Field(min_length=1)
    size: Literal["mean_axes_rounded", "largest"] = Field(
        description="mean_axes_rounded: mean of the two largest stated dimensions rounded to"
        " the nearest mm (Fleischner 2017, Bankier et al. 2017); largest: the largest."
    )
    risk_cues: dict[Literal["high", "low"], tuple[str, ...]] = Field(
        default_factory=dict, description="Patient cue names that make the risk high or low."
    )
    default_risk: Literal["low", "high"] | None = Field(
        default=None, description="The risk when no cue says otherwise; None: unknown."
    )
    assume: dict[Literal["composition", "multiplicity"], str] = Field(
        default_factory=dict, description="Values read for unstated inputs (then listed missing)."
    )
    together: bool = Field(
        default=False,
        description="Several lesions of a report are managed as one, by the most suspicious"
        " (Fleischner 2017, multiple nodules).",
    )
    exclude_terms: tuple[str, ...] = Field(
        default=(), description="Regexes on the finding's text, location and sentence."
    )
    exclude_reason: str | None = None
    not_applicable: tuple[NotApplicable, ...] = ()
    rules: tuple[Rule, ...]

    @field_validator("exclude_terms")
    @classmethod
    def _regexes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_regex(pattern) for pattern in value)


class Cue(BaseModel):
    """Wording that states a fact about the patient or a finding (case-insensitive regexes)."""

    model_config = STRICT
    description: str
    patterns: tuple[str, ...]
    negated_by: tuple[str, ...] = Field(
        default=(),
        description="Regexes that cancel a match before it (see negation_scope).",
    )
    negation_scope: Literal["adjacent", "clause"] = Field(
        default="adjacent",
        description="adjacent: a negation ends just before the match; clause: anywhere"
        " earlier in its clause (up to 80 characters).",
    )
    negated_after: tuple[str, ...] = Field(
        default=(), description="Regexes that cancel a match when they follow it."
    )
    where: Literal["history", "report", "finding", "procedure"] = Field(
        description="history: indication and report text; report: report text; finding: the"
        " finding's sentence; procedure: the order's procedure text and the indication."
    )

    @field_validator("patterns", "negated_by")
    @classmethod
    def _regexes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_regex(pattern) for pattern in value)


class Washout(BaseModel):
    """A washout percentage stated for an adrenal lesion, and the value from which it
    shows an adenoma (feature ``washout_benign``)."""

    model_config = STRICT
    pattern: str = Field(description="Regex whose group 1 is the percentage.")
    benign_at_least: float
    source: str

    @field_validator("pattern")
    @classmethod
    def _regex(cls, value: str) -> str:
        return check_regex(value)


#: Features the engine computes itself (not cues): usable in ``features``.
COMPUTED_FEATURES = ("washout_benign",)


class GuidanceRules(RuleFile):
    """guidance.json: patient and finding cues, and the guidelines."""

    file_name: ClassVar[str] = "guidance.json"
    description: str
    cues: dict[str, Cue]
    bosniak: str = Field(description="Regex whose group 1 is the Bosniak class (I, II, IIF...).")
    postmenopausal_age: float = Field(
        description="Age above which unstated menopausal status is read as postmenopausal."
    )
    concordance_interval_slack_months: float = Field(
        ge=0, description="How far outside the guideline's interval a recommendation may fall."
    )
    washout: tuple[Washout, ...] = ()
    prompt_months: float = Field(
        ge=0,
        description="A guideline's 'now' (interval [0, 0]) is met by a recommendation within"
        " this many months (or with no interval).",
    )
    guidelines: tuple[Guideline, ...]

    @field_validator("bosniak")
    @classmethod
    def _bosniak(cls, value: str) -> str:
        return check_regex(value)

    @model_validator(mode="after")
    def _one_guideline_per_type(self) -> GuidanceRules:
        ids = [g.id for g in self.guidelines]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"repeated guideline ids: {repeated}")
        types = [t.value for g in self.guidelines for t in g.finding_types]
        twice = sorted({t for t in types if types.count(t) > 1})
        if twice:
            raise ValueError(f"finding types with two guidelines: {twice} (a site replaces one)")
        return self

    @model_validator(mode="after")
    def _cues_exist(self) -> GuidanceRules:
        for guideline in self.guidelines:
            names = [n for names in guideline.risk_cues.values() for n in names]
            conditions = [r.when for r in guideline.rules]
            conditions += [n.when for n in guideline.not_applicable]
            for when in conditions:
                names += [*(when.features or ()), *(when.no_features or ())]
            unknown = sorted(set(names) - set(self.cues) - set(COMPUTED_FEATURES))
            if unknown:
                raise ValueError(f"guideline {guideline.id!r} names unknown cues: {unknown}")
        return self


class MeasureRules(RuleFile):
    """measures.json: what the MIPS measures read in a report."""

    file_name: ClassVar[str] = "measures.json"
    description: str
    specification: dict[str, str] = Field(description="Measure id -> specification cited.")
    no_follow_up: tuple[str, ...] = Field(description="Regexes of 'no follow-up' statements.")
    guideline_source: tuple[str, ...] = Field(description="Regexes naming a guideline.")
    chest_or_neck: tuple[str, ...] = Field(description="Regexes on the procedure text.")
    cross_sectional: tuple[str, ...] = Field(description="Exam modalities of 364/406.")
    medical_reason_406: tuple[str, ...] = Field(
        description="Regexes of a stated medical reason for thyroid follow-up (exception)."
    )
    adrenal_benign: tuple[str, ...] = Field(
        description="Regexes calling an adrenal lesion likely or diagnostically benign."
    )
    renal_simple: tuple[str, ...] = Field(description="Regexes of a simple-appearing renal cyst.")

    @field_validator(
        "no_follow_up",
        "guideline_source",
        "chest_or_neck",
        "medical_reason_406",
        "adrenal_benign",
        "renal_simple",
    )
    @classmethod
    def _regexes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_regex(pattern) for pattern in value)
