"""Finding -> Observation (only ``present`` and ``possible`` findings)."""

from __future__ import annotations

from typing import Any

from radfollow.fhir.common import (
    EXT_ASSERTION,
    EXT_BENIGN,
    EXT_INCIDENTAL,
    EXT_INCIDENTAL_REASON,
    EXT_LATERALITY,
    UCUM,
    MappingContext,
    extension,
    reference,
)
from radfollow.fhir.ids import record_identifier
from radfollow.models import Assertion, Finding, IncidentalReason, Laterality, ResultStatus

EMITTED_ASSERTIONS = frozenset({Assertion.PRESENT, Assertion.POSSIBLE})

# OBR-25 -> Observation.status (R4 ObservationStatus, required binding).
OBSERVATION_STATUS = {
    ResultStatus.FINAL: "final",
    ResultStatus.PRELIMINARY: "preliminary",
    ResultStatus.CORRECTED: "corrected",
    ResultStatus.CANCELLED: "cancelled",
}

OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
POSSIBLE_TEXT = "Possible finding: hedged wording in the report"
#: UCUM code of the Hounsfield unit.
HOUNSFIELD = "[hnsf'U]"
#: Observation.note text saying why a present/possible finding is not incidental.
REASON_TEXT = {
    IncidentalReason.PROCEDURE_TARGET: "Not incidental: the report is a procedure on this finding",
    IncidentalReason.INDICATION: "Not incidental: the indication or history names this finding"
    " or its disease",
    IncidentalReason.KNOWN_PRIOR: "Not incidental: described as known disease against a prior"
    " study",
    IncidentalReason.BENIGN: "Not incidental: the report calls it benign",
}


def is_emitted(finding: Finding) -> bool:
    return finding.assertion in EMITTED_ASSERTIONS


def build_observation(ctx: MappingContext, finding: Finding) -> dict[str, Any]:
    concept = ctx.terminology.findings[finding.type]
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "extension": [
            extension(EXT_ASSERTION, "valueCode", finding.assertion.value),
            extension(EXT_INCIDENTAL, "valueBoolean", finding.incidental),
            extension(EXT_BENIGN, "valueBoolean", finding.benign),
        ],
        "identifier": [record_identifier(ctx.accession, "finding", finding.id)],
        "status": OBSERVATION_STATUS[ctx.status],
        "category": [_imaging_category()],
        "code": concept.to_fhir(),
        "subject": reference(ctx.patient_url),
    }
    if ctx.effective is not None:
        resource["effectiveDateTime"] = ctx.effective
    if finding.incidental_reason is not None:
        resource["extension"].append(
            extension(EXT_INCIDENTAL_REASON, "valueCode", finding.incidental_reason.value)
        )
    resource.update(_size(finding.size_mm))
    attributes = _attributes(finding)
    if attributes:
        resource["component"] = resource.get("component", []) + attributes
    if finding.assertion is Assertion.POSSIBLE:
        resource["interpretation"] = [{"text": POSSIBLE_TEXT}]
    resource["note"] = [{"text": finding.sentence or finding.text}]
    if finding.incidental_reason is not None:
        resource["note"].append({"text": REASON_TEXT[finding.incidental_reason]})
    body_site = _body_site(ctx, finding)
    if body_site is not None:
        resource["bodySite"] = body_site
    return resource


def laterality_extension(ctx: MappingContext, side: Laterality) -> dict[str, Any]:
    return extension(
        EXT_LATERALITY, "valueCodeableConcept", ctx.terminology.laterality[side].to_fhir()
    )


def _imaging_category() -> dict[str, Any]:
    return {"coding": [{"system": OBSERVATION_CATEGORY, "code": "imaging", "display": "Imaging"}]}


def _quantity(value: float) -> dict[str, Any]:
    return {"value": float(value), "unit": "mm", "system": UCUM, "code": "mm"}


def _size(size_mm: list[float] | None) -> dict[str, Any]:
    """One dimension -> valueQuantity; several -> one component per axis."""
    if not size_mm:
        return {}
    if len(size_mm) == 1:
        return {"valueQuantity": _quantity(size_mm[0])}
    return {
        "component": [
            {"code": {"text": f"Diameter axis {axis}"}, "valueQuantity": _quantity(value)}
            for axis, value in enumerate(size_mm, start=1)
        ]
    }


def _attributes(finding: Finding) -> list[dict[str, Any]]:
    """Composition, multiplicity and attenuation as components (text codes: no verified LOINC)."""
    found: list[dict[str, Any]] = []
    for name, value in (
        ("Composition", finding.composition),
        ("Multiplicity", finding.multiplicity),
    ):
        if value is not None:
            found.append({"code": {"text": name}, "valueCodeableConcept": {"text": value.value}})
    if finding.density_hu is not None:
        quantity = {
            "value": float(finding.density_hu),
            "unit": "HU",
            "system": UCUM,
            "code": HOUNSFIELD,
        }
        found.append({"code": {"text": "Attenuation"}, "valueQuantity": quantity})
    return found


def _body_site(ctx: MappingContext, finding: Finding) -> dict[str, Any] | None:
    """From the location text when it names a known site, else the type's default site."""
    terminology = ctx.terminology
    site = terminology.body_site(finding.location)
    default = terminology.findings[finding.type].body_site
    if site is None and default is not None:
        site = terminology.body_sites[default]
    if site is not None:
        concept = site.to_fhir(finding.location)
    elif finding.location or finding.laterality:
        concept = {"text": finding.location or "Unspecified site"}
    else:
        return None
    if finding.laterality is not None:
        concept = {"extension": [laterality_extension(ctx, finding.laterality)], **concept}
    return concept
