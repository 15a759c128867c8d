"""The FHIR channel: a CommunicationRequest per coming-due, overdue or needs-review event
and a Communication per uncommunicated critical result, validated with
fhir.resources (R4B) and POSTed to the server's base URL with a bearer token.

The resources refer to the radfollow records by identifier (logical references:
the ServiceRequest of the recommendation, the DiagnosticReport's accession, the
Patient's identifier), so a server that holds radfollow's Bundles can resolve
them. The payload is one line of :func:`radfollow.notify.content.summary`.
Specs: https://hl7.org/fhir/R4/communicationrequest.html,
https://hl7.org/fhir/R4/communication.html.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from typing import Any

from fhir.resources.R4B.communication import Communication
from fhir.resources.R4B.communicationrequest import CommunicationRequest
from pydantic import ValidationError

from radfollow.errors import DeliveryError, NotifyError
from radfollow.fhir.common import CODE_SYSTEM_BASE, fhir_datetime
from radfollow.fhir.ids import record_identifier, urn_part
from radfollow.fhir.patient import identifier_system
from radfollow.fhir.report import ACCESSION_PREFIX, V2_0203
from radfollow.notify.content import EVENT_TEXT, Notice, summary
from radfollow.notify.http import post
from radfollow.rules.schema.notify import FhirChannel

NOTIFICATION_SYSTEM = CODE_SYSTEM_BASE + "notification-event"
PRIORITY = {"coming_due": "routine", "overdue": "urgent", "needs_review": "routine"}
#: A critical result's priority by its ACR category (1: minutes, 2: hours, 3: days).
CRITICAL_PRIORITY = {1: "stat", 2: "asap", 3: "urgent"}


def priority(notice: Notice) -> str:
    """FHIR request-priority of the event (routine | urgent | asap | stat)."""
    if notice.event == "uncommunicated_critical":
        return CRITICAL_PRIORITY.get(notice.acr_category or 1, "stat")
    return PRIORITY[notice.event]


def _category(notice: Notice) -> list[dict[str, Any]]:
    coding = {
        "system": NOTIFICATION_SYSTEM,
        "code": notice.event,
        "display": EVENT_TEXT[notice.event],
    }
    return [{"coding": [coding]}]


def _patient(notice: Notice) -> dict[str, Any]:
    system = identifier_system(notice.assigning_authority or None)
    return {"identifier": {"system": system, "value": notice.patient_id}}


def _accession(notice: Notice) -> dict[str, Any]:
    site = urn_part(notice.facility) if notice.facility else "unspecified"
    return {
        "identifier": {
            "type": {"coding": [{"system": V2_0203, "code": "ACSN"}]},
            "system": ACCESSION_PREFIX + site,
            "value": notice.accession,
        }
    }


def notification_resource(notice: Notice, now: datetime) -> dict[str, Any]:
    """The validated resource of one event, as JSON-ready dict; raises DeliveryError
    (not retryable) when it does not validate."""
    common: dict[str, Any] = {
        "identifier": [
            {"system": "urn:ietf:rfc:3986", "value": f"urn:radfollow:outbox:{notice.key}"}
        ],
        "category": _category(notice),
        "priority": priority(notice),
        "subject": _patient(notice),
        "payload": [{"contentString": summary(notice, now)}],
    }
    if notice.event == "uncommunicated_critical":
        resource = {
            "resourceType": "Communication",
            "status": "completed",
            "sent": fhir_datetime(now, what="notification time"),
            "about": [_accession(notice)],
            **common,
        }
        model: Any = Communication
    else:
        about = [_accession(notice)]
        if notice.recommendation_local_id is not None:
            identifier = record_identifier(
                notice.accession, "recommendation", notice.recommendation_local_id
            )
            about.insert(0, {"identifier": identifier})
        resource = {
            "resourceType": "CommunicationRequest",
            "status": "active",
            "authoredOn": fhir_datetime(now, what="notification time"),
            "about": about,
            **common,
        }
        if notice.due_start is not None and notice.due_end is not None:
            resource["occurrencePeriod"] = {
                "start": fhir_datetime(notice.due_start, what="due start"),
                "end": fhir_datetime(notice.due_end, what="due end"),
            }
        model = CommunicationRequest
    try:
        model.model_validate(resource)
    except (ValidationError, ValueError):
        raise DeliveryError(
            f"{resource['resourceType']} fails FHIR R4 validation", retryable=False
        ) from None
    return resource


def send_fhir(channel: FhirChannel, notice: Notice, now: datetime) -> None:
    """POST the event's resource to ``{base_url}/{resourceType}``; raises DeliveryError,
    or NotifyError when the token's environment variable is unset."""
    resource = notification_resource(notice, now)
    headers = {
        "Content-Type": "application/fhir+json",
        "Accept": "application/fhir+json",
        # Receivers that honour it drop a repeat of the same event (HL7 FHIR has no
        # standard header; this is the IETF draft's name).
        "Idempotency-Key": notice.key + ":" + channel.name,
    }
    if channel.token_env:
        token = os.environ.get(channel.token_env)
        if not token:
            raise NotifyError(
                f"channel {channel.name}: environment variable {channel.token_env} is not set"
            )
        headers["Authorization"] = f"Bearer {token}"
    url = channel.base_url.rstrip("/") + "/" + resource["resourceType"]
    body = json.dumps(resource, separators=(",", ":")).encode()
    post(url, body, headers, timeout=channel.timeout_seconds)
