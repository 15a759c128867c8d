"""One report -> one FHIR R4 Bundle (collection or transaction)."""

from __future__ import annotations

import json
from typing import Any, Literal
from urllib.parse import quote

from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from radfollow.errors import FHIRMappingError
from radfollow.fhir.common import MappingContext, fhir_datetime
from radfollow.fhir.critical import communication_resource, critical_observation
from radfollow.fhir.detected_issue import check_issue, guidance_issue
from radfollow.fhir.ids import full_url
from radfollow.fhir.observation import build_observation, is_emitted
from radfollow.fhir.patient import build_patient, patient_identifier
from radfollow.fhir.report import accession_identifier, build_report
from radfollow.fhir.service_request import build_service_request
from radfollow.models import ExtractionResult, RadiologyReport, ResultStatus
from radfollow.rules.loader import load_rule_file
from radfollow.rules.schema import Terminology

BundleType = Literal["collection", "transaction"]


def build_bundle(
    report: RadiologyReport,
    result: ExtractionResult,
    *,
    bundle_type: BundleType = "collection",
    terminology: Terminology | None = None,
) -> dict[str, Any]:
    """Map one report and its extraction to a JSON-ready R4 Bundle dict.

    The dict is validated once with ``fhir.resources.R4B`` before it is
    returned; ``FHIRMappingError`` (RF400) says why when it does not validate.
    ``terminology`` None: the packaged code tables; a site's come from
    ``radfollow.rules.loader.load_rules(Terminology, rules_dir)``.
    """
    where = f"accession {report.accession}"
    try:
        bundle = _assemble(report, result, bundle_type, terminology or load_rule_file(Terminology))
    except FHIRMappingError as exc:
        raise FHIRMappingError(exc.message, where=exc.where or where) from exc
    validate_bundle(bundle, where=where)
    return bundle


def _assemble(
    report: RadiologyReport,
    result: ExtractionResult,
    bundle_type: BundleType,
    terminology: Terminology,
) -> dict[str, Any]:
    _check_unique_ids(result)
    ctx = _context(report, result, terminology)
    findings = [f for f in result.findings if is_emitted(f)]
    finding_urls = {f.id: full_url(report.accession, "Observation", f.id) for f in findings}
    entries: list[tuple[str, dict[str, Any]]] = [
        (ctx.patient_url, build_patient(report.patient)),
        (ctx.report_url, build_report(ctx, list(finding_urls.values()))),
    ]
    entries += [(finding_urls[f.id], build_observation(ctx, f)) for f in findings]
    for rec in result.recommendations:
        url = full_url(report.accession, "ServiceRequest", rec.id)
        entries.append((url, build_service_request(ctx, rec, finding_urls)))
    entries += _issues(report, result, ctx, finding_urls)
    entries += _critical(report, result, ctx)
    return {
        "resourceType": "Bundle",
        "type": bundle_type,
        "entry": [_entry(url, resource, ctx, bundle_type) for url, resource in entries],
    }


def _issues(
    report: RadiologyReport,
    result: ExtractionResult,
    ctx: MappingContext,
    finding_urls: dict[str, str],
) -> list[tuple[str, dict[str, Any]]]:
    """DetectedIssues: guideline discordances (g1, g2...) and mismatch checks (c1...)."""
    out = []
    sentences = {f.id: f.sentence or f.text for f in result.findings}
    for index, guidance in enumerate(result.guidance, start=1):
        evidence = sentences.get(guidance.finding_id)
        resource = guidance_issue(ctx, guidance, index, finding_urls, evidence)
        if resource is not None:
            out.append((full_url(report.accession, "DetectedIssue", f"g{index}"), resource))
    for index, check in enumerate(result.checks, start=1):
        url = full_url(report.accession, "DetectedIssue", f"c{index}")
        out.append((url, check_issue(ctx, check, index)))
    return out


def _critical(
    report: RadiologyReport, result: ExtractionResult, ctx: MappingContext
) -> list[tuple[str, dict[str, Any]]]:
    """An Observation (interpretation critical) per critical result and a Communication
    per documented communication, about the report and those Observations."""
    critical = result.critical_results
    urls = [full_url(report.accession, "Observation", f"critical-{c.id}") for c in critical]
    out = [(url, critical_observation(ctx, c)) for url, c in zip(urls, critical, strict=True)]
    for m in result.communications:
        url = full_url(report.accession, "Communication", m.id)
        out.append((url, communication_resource(ctx, m, urls)))
    return out


def _check_unique_ids(result: ExtractionResult) -> None:
    """Ids make fullUrls and identifiers; a repeated id would merge two resources."""
    for kind, ids in (
        ("finding", [f.id for f in result.findings]),
        ("recommendation", [r.id for r in result.recommendations]),
    ):
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise FHIRMappingError(f"repeated {kind} ids: {', '.join(repeated)}")


def bundle_json(
    report: RadiologyReport,
    result: ExtractionResult,
    *,
    bundle_type: BundleType = "collection",
    terminology: Terminology | None = None,
) -> str:
    """``build_bundle`` as compact one-line JSON (one NDJSON line, no newline)."""
    bundle = build_bundle(report, result, bundle_type=bundle_type, terminology=terminology)
    return json.dumps(bundle, ensure_ascii=False, separators=(",", ":"))


def validate_bundle(bundle: dict[str, Any], *, where: str | None = None) -> Bundle:
    """Validate with the R4B Bundle model; raise FHIRMappingError naming the first errors.

    The reason names where each error is and what kind it is, never the value:
    pydantic's own text quotes the input (``input_value='...'``), which may be an
    identifier or report text, and reasons are stored and logged.
    """
    try:
        return Bundle.model_validate(bundle)
    except ValidationError as exc:
        raise FHIRMappingError(
            f"bundle fails FHIR R4 validation: {_describe(exc)}", where=where
        ) from None
    except ValueError as exc:  # a validator's own error: its text may quote the value
        raise FHIRMappingError(
            f"bundle fails FHIR R4 validation ({type(exc).__name__})", where=where
        ) from None


#: pydantic error types whose message is written by a validator and may quote the value.
_CUSTOM_MESSAGES = frozenset({"value_error", "assertion_error"})


def _describe(error: ValidationError, most: int = 3) -> str:
    parts = []
    for item in error.errors(include_input=False, include_url=False)[:most]:
        loc = ".".join(str(part) for part in item["loc"]) or "Bundle"
        kind = item["type"]
        parts.append(f"{loc}: {kind}" if kind in _CUSTOM_MESSAGES else f"{loc}: {item['msg']}")
    more = error.error_count() - len(parts)
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def _context(
    report: RadiologyReport, result: ExtractionResult, terminology: Terminology
) -> MappingContext:
    effective = None
    if report.observation_time is not None:
        effective = fhir_datetime(report.observation_time, what="observation_time (OBR-7)")
    return MappingContext(
        report=report,
        terminology=terminology,
        patient_url=full_url(report.accession, "Patient", "patient"),
        report_url=full_url(report.accession, "DiagnosticReport", "report"),
        effective=effective,
        impression=result.impression.strip() if result.impression else None,
    )


def _entry(
    url: str, resource: dict[str, Any], ctx: MappingContext, bundle_type: BundleType
) -> dict[str, Any]:
    entry: dict[str, Any] = {"fullUrl": url, "resource": resource}
    if bundle_type == "transaction":
        entry["request"] = _request(resource, ctx)
    return entry


def _request(resource: dict[str, Any], ctx: MappingContext) -> dict[str, str]:
    """Transaction semantics, keyed on business identifiers so re-runs are idempotent.

    Patient: conditional create (never overwrite the master record).
    DiagnosticReport: conditional create, or conditional update for a
    corrected (OBR-25 C) report so the correction replaces the original.
    Observation, ServiceRequest: conditional update on their record URI.
    """
    kind = resource["resourceType"]
    if kind == "Patient":
        query = _identifier_query(patient_identifier(ctx.report.patient))
        return {"method": "POST", "url": "Patient", "ifNoneExist": query}
    if kind == "DiagnosticReport":
        query = _identifier_query(accession_identifier(ctx.report))
        if ctx.status is ResultStatus.CORRECTED:
            return {"method": "PUT", "url": f"DiagnosticReport?{query}"}
        return {"method": "POST", "url": "DiagnosticReport", "ifNoneExist": query}
    query = _identifier_query(resource["identifier"][0])
    return {"method": "PUT", "url": f"{kind}?{query}"}


def _identifier_query(identifier: dict[str, Any]) -> str:
    """``identifier=system|value`` with the token parts URL-encoded."""
    token = f"{identifier['system']}|{identifier['value']}"
    return "identifier=" + quote(token, safe=":/|")
