"""Small builders of findings, recommendations and contexts for the guidance tests."""

from __future__ import annotations

from radfollow.guidance.context import ReportContext
from radfollow.models import Finding, IncidentalReason, Laterality, Recommendation


def finding(
    kind: str,
    size: float | list[float] | None = None,
    *,
    fid: str = "f1",
    composition: str | None = None,
    multiplicity: str | None = None,
    hu: float | None = None,
    benign: bool = False,
    incidental: bool = True,
    reason: IncidentalReason | None = None,
    sentence: str | None = None,
    side: Laterality | None = None,
    section: str = "findings",
    assertion: str = "present",
) -> Finding:
    sizes = [size] if isinstance(size, int | float) else size
    return Finding(
        id=fid,
        type=kind,
        text=kind.replace("_", " "),
        start=0,
        end=5,
        assertion=assertion,
        size_mm=sizes,
        largest_size_mm=max(sizes) if sizes else None,
        composition=composition,
        multiplicity=multiplicity,
        density_hu=hu,
        benign=benign,
        incidental=incidental,
        incidental_reason=reason,
        sentence=sentence,
        laterality=side,
        section=section,
    )


def rec(
    modality: str | None = "CT",
    interval: tuple[float, float] | None = None,
    *,
    rid: str = "r1",
    finding_id: str | None = "f1",
    section: str = "impression",
    options: list[str] | None = None,
    conditional: bool = False,
) -> Recommendation:
    return Recommendation(
        id=rid,
        text="recommendation",
        start=0,
        end=5,
        modality=modality,
        modality_options=options or [],
        interval_months=interval,
        finding_id=finding_id,
        section=section,
        conditional=conditional,
    )


def context(
    text: str = "Findings.",
    *,
    age: float | None = 60,
    sex: str | None = "F",
    modality: str | None = "CT",
    indication: str | None = None,
    procedure: str | None = "CT CHEST",
) -> ReportContext:
    return ReportContext(
        text=text,
        indication=indication,
        procedure=procedure,
        exam_modality=modality,
        age_years=age,
        sex=sex,
    )
