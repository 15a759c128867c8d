"""Models of ``tracker.json`` (windows, grace, what fulfils what) and ``procedures.json``
(what a study's procedure is: modality, body regions, kind, laterality)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, Field, field_validator

from radfollow.rules.schema.base import STRICT, KeywordRule, RuleFile

#: diagnostic (the default), angiography (CTA, MRA: a diagnostic study of its
#: region), screening, biopsy (any image guidance), interventional (drainage,
#: ablation, injection...).
ProcedureKind = Literal["diagnostic", "angiography", "screening", "biopsy", "interventional"]
Laterality = Literal["left", "right", "bilateral"]


class TrackerPolicy(RuleFile):
    file_name: ClassVar[str] = "tracker.json"
    description: str = ""
    grace_days: int = Field(ge=0)
    coming_due_days: int = Field(default=30, ge=0)
    default_windows_months: dict[str, tuple[float, float]]
    fulfilled_by: dict[str, list[str]]
    biopsy_fulfils: list[str] = Field(default_factory=lambda: ["BIOPSY"])
    manual_only: list[str] = Field(default_factory=lambda: ["CONSULT", "LAB", "PROCEDURE", "OTHER"])
    region_covers: dict[str, list[str]]
    partial_regions: dict[str, list[str]] = Field(default_factory=dict)
    finding_regions: dict[str, str] = Field(default_factory=dict)
    minimum_delay_fraction: float = Field(default=0.5, ge=0.0, le=1.0)
    minimum_delay_days: int = Field(default=1, ge=0)
    early_days: int = Field(default=30, ge=0)
    priority_finding_types: list[str] = Field(default_factory=list)
    age_bands: list[int] = Field(default_factory=lambda: [18, 40, 65, 75])
    small_count_suppression: int = Field(default=11, ge=1)
    postal_prefix_length: int = Field(default=3, ge=1, le=10)


class ProcedureRegion(KeywordRule):
    region: str


class ProcedureKindRule(KeywordRule):
    kind: ProcedureKind


class ProcedureSideRule(KeywordRule):
    value: Laterality


class CodedProcedure(BaseModel):
    """One procedure code's meaning; ``modality`` None keeps the study's own (OBR-24)."""

    model_config = STRICT
    modality: str | None = None
    regions: tuple[str, ...] = ()
    kind: ProcedureKind = "diagnostic"
    laterality: Laterality | None = None


class ProcedureRules(RuleFile):
    """``procedures.json``: codes first, then the ordered text rules."""

    file_name: ClassVar[str] = "procedures.json"
    description: str = ""
    codes: dict[str, CodedProcedure]
    ignore: KeywordRule = KeywordRule(keywords=())
    regions: tuple[ProcedureRegion, ...]
    kinds: tuple[ProcedureKindRule, ...]
    laterality: tuple[ProcedureSideRule, ...]

    @field_validator("ignore", mode="before")
    @classmethod
    def _ignore_list(cls, value: object) -> object:
        return {"keywords": value} if isinstance(value, list | tuple) else value

    @field_validator("codes")
    @classmethod
    def _upper_codes(cls, codes: dict[str, CodedProcedure]) -> dict[str, CodedProcedure]:
        return {key.strip().upper(): value for key, value in codes.items()}
