"""Recommendation -> ServiceRequest (intent ``proposal``)."""

from __future__ import annotations

from typing import Any

from radfollow.due import due_window
from radfollow.errors import FHIRMappingError
from radfollow.fhir.common import (
    EXT_CONDITIONAL,
    EXT_SCORE,
    MappingContext,
    extension,
    fhir_datetime,
    reference,
)
from radfollow.fhir.ids import record_identifier
from radfollow.models import Recommendation, ResultStatus


def request_status(status: ResultStatus) -> str:
    """Preliminary report -> draft, cancelled report -> revoked, else active."""
    if status is ResultStatus.PRELIMINARY:
        return "draft"
    if status is ResultStatus.CANCELLED:
        return "revoked"
    return "active"


def build_service_request(
    ctx: MappingContext, rec: Recommendation, finding_urls: dict[str, str]
) -> dict[str, Any]:
    exts = [extension(EXT_CONDITIONAL, "valueBoolean", rec.conditional)]
    if rec.score is not None:
        exts.append(extension(EXT_SCORE, "valueDecimal", float(rec.score)))
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "extension": exts,
        "identifier": [record_identifier(ctx.accession, "recommendation", rec.id)],
        "status": request_status(ctx.status),
        "intent": "proposal",
        "code": action_code(ctx, rec),
    }
    alternatives = order_details(ctx, rec)
    if alternatives:
        resource["orderDetail"] = alternatives
    resource["subject"] = reference(ctx.patient_url)
    period = _occurrence(ctx, rec)
    if period is not None:
        resource["occurrencePeriod"] = period
    if ctx.effective is not None:
        resource["authoredOn"] = ctx.effective
    if rec.finding_id is not None and rec.finding_id in finding_urls:
        resource["reasonReference"] = [reference(finding_urls[rec.finding_id])]
    resource["supportingInfo"] = [reference(ctx.report_url)]
    body_site = _body_site(ctx, rec.body_region)
    if body_site is not None:
        resource["bodySite"] = [body_site]
    resource["note"] = [{"text": rec.text}]
    return resource


def action_text(label: str, follow_up: bool, region: str | None) -> str:
    """A readable action: 'CT chest follow-up', 'Biopsy (thyroid)', 'Follow-up (chest)'."""
    region = region.strip() if region else None
    if follow_up:
        return f"{label} {region} follow-up" if region else f"{label} follow-up"
    return f"{label} ({region})" if region else label


def action_code(ctx: MappingContext, rec: Recommendation) -> dict[str, Any]:
    if rec.modality is None:
        return {"text": action_text("Follow-up", False, rec.body_region)}
    concept = ctx.terminology.modalities[rec.modality]
    code: dict[str, Any] = {}
    if concept.codings:
        code["coding"] = [c.to_fhir() for c in concept.codings]
    code["text"] = action_text(concept.label, concept.follow_up, rec.body_region)
    return code


def order_details(ctx: MappingContext, rec: Recommendation) -> list[dict[str, Any]]:
    """The acceptable modalities of "CT or MRI", one CodeableConcept each, in report order.

    ``code`` names the first (``modality``). A CodeableConcept's codings must all
    mean the same thing, so alternatives cannot be codings of ``code``;
    ``orderDetail`` ("additional details about how the service is to be
    delivered") carries them. Empty (the element omitted) when there is one
    option or none.
    """
    if len(rec.modality_options) < 2:
        return []
    details = []
    for modality in rec.modality_options:
        concept = ctx.terminology.modalities[modality]
        detail: dict[str, Any] = {}
        if concept.codings:
            detail["coding"] = [c.to_fhir() for c in concept.codings]
        detail["text"] = f"Acceptable modality: {concept.label}"
        details.append(detail)
    return details


def _occurrence(ctx: MappingContext, rec: Recommendation) -> dict[str, str] | None:
    start = ctx.report.observation_time
    if start is None or rec.interval_months is None:
        return None
    try:
        window = due_window(start, rec.interval_months)
    except ValueError as exc:
        raise FHIRMappingError(f"recommendation {rec.id}: {exc}") from exc
    if window is None:
        return None
    return {
        "start": fhir_datetime(window[0], what="due window start"),
        "end": fhir_datetime(window[1], what="due window end"),
    }


def _body_site(ctx: MappingContext, region: str | None) -> dict[str, Any] | None:
    if not region or not region.strip():
        return None
    site = ctx.terminology.body_site(region)
    return site.to_fhir(region.strip()) if site is not None else {"text": region.strip()}
