"""Small helpers shared by the resource builders: extensions, dateTime, refs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from radfollow.errors import FHIRMappingError
from radfollow.models import RadiologyReport, ResultStatus
from radfollow.rules.schema import Terminology

EXTENSION_BASE = "https://radfollow.org/fhir/StructureDefinition/"
CODE_SYSTEM_BASE = "https://radfollow.org/fhir/CodeSystem/"
EXT_ASSERTION = EXTENSION_BASE + "assertion"
EXT_INCIDENTAL = EXTENSION_BASE + "incidental"
EXT_BENIGN = EXTENSION_BASE + "benign"
EXT_INCIDENTAL_REASON = EXTENSION_BASE + "incidental-reason"
EXT_LATERALITY = EXTENSION_BASE + "laterality"
EXT_CONDITIONAL = EXTENSION_BASE + "conditional"
EXT_SCORE = EXTENSION_BASE + "recommendation-score"

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"


@dataclass(frozen=True)
class MappingContext:
    """What every resource builder of one report needs."""

    report: RadiologyReport
    terminology: Terminology
    patient_url: str
    report_url: str
    effective: str | None
    impression: str | None

    @property
    def accession(self) -> str:
        return self.report.accession

    @property
    def status(self) -> ResultStatus:
        return self.report.result_status


def fhir_datetime(value: datetime, *, what: str) -> str:
    """A FHIR dateTime/instant string; refuses naive datetimes (FHIR needs an offset)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise FHIRMappingError(f"{what} has no timezone: {value.isoformat()}")
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def reference(url: str) -> dict[str, str]:
    return {"reference": url}


def extension(url: str, value_key: str, value: Any) -> dict[str, Any]:
    return {"url": url, value_key: value}
