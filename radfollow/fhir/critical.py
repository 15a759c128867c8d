"""Critical results -> Observation, documented communication -> Communication (issue 17).

* Observation per critical result: ``code`` radfollow's critical-result
  category (CRITICAL_SYSTEM, rules/critical.json's id and label),
  ``interpretation`` v3-ObservationInterpretation ``AA`` (critical abnormal),
  the ConText assertion as the assertion extension, and notes: the sentence,
  the ACR category's deadline, and whether the report documents communication.
* Communication per documented communication: ``status`` completed,
  ``category`` radfollow's communication category, ``medium`` from
  v3-ParticipationMode (PHONE, FACE, ONLINEWRIT, ELECTRONIC), ``sent`` when a
  time is stated, ``about`` the DiagnosticReport and the critical Observations,
  and a note with the recipient's role and whether read-back is documented.
  No recipient name: the record never keeps one.

Specs: https://hl7.org/fhir/R4/observation.html,
https://hl7.org/fhir/R4/communication.html,
https://terminology.hl7.org/CodeSystem-v3-ParticipationMode.html.
"""

from __future__ import annotations

from typing import Any

from radfollow.fhir.common import (
    CODE_SYSTEM_BASE,
    EXT_ASSERTION,
    MappingContext,
    extension,
    fhir_datetime,
    reference,
)
from radfollow.fhir.ids import record_identifier
from radfollow.fhir.observation import OBSERVATION_CATEGORY, OBSERVATION_STATUS
from radfollow.models import Communication, CommunicationMethod, CriticalResult

CRITICAL_SYSTEM = CODE_SYSTEM_BASE + "critical-result"
COMMUNICATION_CATEGORY_SYSTEM = CODE_SYSTEM_BASE + "communication-category"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
PARTICIPATION_MODE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode"

#: CommunicationMethod -> v3-ParticipationMode code and display.
MEDIUM = {
    CommunicationMethod.PHONE: ("PHONE", "telephone"),
    CommunicationMethod.IN_PERSON: ("FACE", "face-to-face"),
    CommunicationMethod.SECURE_MESSAGE: ("ONLINEWRIT", "online written"),
    CommunicationMethod.PAGE: ("ELECTRONIC", "electronic data"),
    CommunicationMethod.RESULTS_SYSTEM: ("ELECTRONIC", "electronic data"),
}
ACR_TEXT = {
    1: "ACR actionable finding category 1: communicate within minutes",
    2: "ACR actionable finding category 2: communicate within hours",
    3: "ACR actionable finding category 3: communicate within days",
}


def critical_observation(ctx: MappingContext, result: CriticalResult) -> dict[str, Any]:
    """The Observation of one critical result."""
    display = result.label
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "extension": [extension(EXT_ASSERTION, "valueCode", result.assertion.value)],
        "identifier": [record_identifier(ctx.accession, "critical", result.id)],
        "status": OBSERVATION_STATUS[ctx.status],
        "category": [
            {"coding": [{"system": OBSERVATION_CATEGORY, "code": "imaging", "display": "Imaging"}]}
        ],
        "code": {
            "coding": [{"system": CRITICAL_SYSTEM, "code": result.category, "display": display}],
            "text": display,
        },
        "subject": reference(ctx.patient_url),
        "interpretation": [
            {
                "coding": [
                    {"system": INTERPRETATION, "code": "AA", "display": "Critical abnormal"}
                ],
                "text": f"{result.tier.value} result",
            }
        ],
        "note": [
            {"text": result.sentence or result.text},
            {"text": ACR_TEXT[result.acr_category]},
            {
                "text": "Communication documented in the report"
                if result.communicated
                else "No documented communication in the report"
            },
        ],
    }
    if ctx.effective is not None:
        resource["effectiveDateTime"] = ctx.effective
    return resource


def communication_resource(
    ctx: MappingContext, communication: Communication, critical_urls: list[str]
) -> dict[str, Any]:
    """The Communication of one documented communication of the report's results."""
    resource: dict[str, Any] = {
        "resourceType": "Communication",
        "identifier": [record_identifier(ctx.accession, "communication", communication.id)],
        "status": "completed",
        "category": [
            {
                "coding": [
                    {
                        "system": COMMUNICATION_CATEGORY_SYSTEM,
                        "code": "critical-result" if critical_urls else "result",
                        "display": "Critical result communication"
                        if critical_urls
                        else "Result communication",
                    }
                ]
            }
        ],
        "subject": reference(ctx.patient_url),
        "about": [reference(ctx.report_url), *(reference(u) for u in critical_urls)],
        "note": [
            {
                "text": f"Recipient role: {communication.recipient_role.value.replace('_', ' ')};"
                f" read-back or acknowledgement documented: "
                f"{'yes' if communication.acknowledged else 'no'}"
            }
        ],
    }
    medium = MEDIUM.get(communication.method)
    if medium is not None:
        code, display = medium
        resource["medium"] = [
            {"coding": [{"system": PARTICIPATION_MODE, "code": code, "display": display}]}
        ]
    if communication.sent is not None:
        resource["sent"] = fhir_datetime(communication.sent, what="communication time")
    return resource
