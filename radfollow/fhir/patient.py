"""PID -> Patient."""

from __future__ import annotations

import re
from typing import Any

from radfollow.fhir.ids import urn_part
from radfollow.models import Patient

# HL7 v2 table 0001 -> FHIR AdministrativeGender (v2-to-FHIR table map).
GENDER = {"F": "female", "M": "male", "O": "other", "U": "unknown", "A": "other", "N": "other"}

AUTHORITY_PREFIX = "urn:radfollow:authority:"
UNSPECIFIED_AUTHORITY = AUTHORITY_PREFIX + "unspecified"
_OID = re.compile(r"^[0-2](\.(0|[1-9][0-9]*))+$")
_URI = re.compile(r"^(https?://|urn:)", re.IGNORECASE)


def identifier_system(authority: str | None) -> str:
    """PID-3.4 assigning authority -> Identifier.system.

    An OID becomes ``urn:oid:<oid>``, a URI is kept, any other name becomes
    ``urn:radfollow:authority:<name>``, and no authority
    ``urn:radfollow:authority:unspecified`` (never a bare value, so a
    conditional create cannot match another authority's patient).
    """
    if authority is None or not authority.strip():
        return UNSPECIFIED_AUTHORITY
    name = authority.strip()
    if _OID.match(name):
        return f"urn:oid:{name}"
    if _URI.match(name):
        return name
    return AUTHORITY_PREFIX + urn_part(name)


def patient_identifier(patient: Patient) -> dict[str, str]:
    return {"system": identifier_system(patient.assigning_authority), "value": patient.id}


def build_patient(patient: Patient) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "identifier": [patient_identifier(patient)],
    }
    gender = GENDER.get((patient.sex or "").strip().upper())
    if gender:
        resource["gender"] = gender
    if patient.birth_date is not None:
        resource["birthDate"] = patient.birth_date.isoformat()
    return resource
