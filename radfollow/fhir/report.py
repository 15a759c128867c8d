"""OBR + report text -> DiagnosticReport."""

from __future__ import annotations

import base64
from typing import Any

from radfollow.fhir.common import LOINC, MappingContext, reference
from radfollow.fhir.ids import urn_part
from radfollow.models import Coding, RadiologyReport, ResultStatus

# OBR-25 (HL7 table 0123) -> DiagnosticReport.status, per HL7's v2-to-FHIR map.
REPORT_STATUS = {
    ResultStatus.FINAL: "final",
    ResultStatus.PRELIMINARY: "preliminary",
    ResultStatus.CORRECTED: "corrected",
    ResultStatus.CANCELLED: "cancelled",
}

V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"
ACCESSION_PREFIX = "urn:radfollow:accession:"
CPT = "http://www.ama-assn.org/go/cpt"

# OBR-4.3 coding-system names (HL7 table 0396 and common variants) -> FHIR system.
PROCEDURE_SYSTEMS = {
    "CPT": CPT,
    "CPT4": CPT,
    "CPT-4": CPT,
    "C4": CPT,
    "LN": LOINC,
    "LOINC": LOINC,
}


def categories() -> list[dict[str, Any]]:
    """LOINC LP29684-5 and v2-0074 RAD, built fresh for each report."""
    return [
        {"coding": [{"system": LOINC, "code": "LP29684-5", "display": "Radiology"}]},
        {"coding": [{"system": V2_0074, "code": "RAD", "display": "Radiology"}]},
    ]


PLAIN_TEXT = "text/plain; charset=utf-8"


def accession_identifier(report: RadiologyReport) -> dict[str, Any]:
    """The accession (OBR-18/filler order number) as an ACSN identifier.

    The system is ``urn:radfollow:accession:<sending facility>`` (MSH-4) or
    ``urn:radfollow:accession:unspecified``: accessions are unique per site only.
    """
    site = urn_part(report.sending_facility) if report.sending_facility else "unspecified"
    return {
        "type": {"coding": [{"system": V2_0203, "code": "ACSN", "display": "Accession ID"}]},
        "system": ACCESSION_PREFIX + site,
        "value": report.accession,
    }


def procedure_code(procedure: Coding, modality: str | None) -> dict[str, Any]:
    """OBR-4 -> CodeableConcept; text is always set."""
    concept: dict[str, Any] = {}
    if procedure.code:
        coding = {"system": _procedure_system(procedure.system), "code": procedure.code}
        if procedure.text:
            coding["display"] = procedure.text
        concept["coding"] = [coding]
    fallback = f"{modality} imaging study" if modality else "Radiology report"
    concept["text"] = procedure.text or procedure.code or fallback
    return concept


def build_report(ctx: MappingContext, observation_urls: list[str]) -> dict[str, Any]:
    report = ctx.report
    resource: dict[str, Any] = {
        "resourceType": "DiagnosticReport",
        "identifier": [accession_identifier(report)],
        "status": REPORT_STATUS[report.result_status],
        "category": categories(),
        "code": procedure_code(report.procedure, report.modality),
        "subject": reference(ctx.patient_url),
    }
    if ctx.effective is not None:
        resource["effectiveDateTime"] = ctx.effective
    if observation_urls:
        resource["result"] = [reference(url) for url in observation_urls]
    if ctx.impression:
        resource["conclusion"] = ctx.impression
    resource["presentedForm"] = [
        {
            "contentType": PLAIN_TEXT,
            "data": base64.b64encode(report.text.encode("utf-8")).decode("ascii"),
            "title": "Radiology report",
        }
    ]
    return resource


def _procedure_system(system: str | None) -> str:
    if not system or not system.strip():
        return "urn:radfollow:procedure:local"
    name = system.strip()
    if name.upper() in PROCEDURE_SYSTEMS:
        return PROCEDURE_SYSTEMS[name.upper()]
    if name.lower().startswith(("http://", "https://", "urn:")):
        return name
    return "urn:radfollow:procedure:" + urn_part(name)
