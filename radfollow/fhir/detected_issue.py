"""Guideline discordances and report mismatches -> FHIR R4 DetectedIssue (issue 16).

One DetectedIssue per guidance whose concordance is discordant, missing or
unnecessary, and one per report mismatch check (laterality, sex, age):

* ``code``: radfollow's issue code (DETECTED_ISSUE_SYSTEM) with a display;
* ``implicated``: the finding's Observation (else the DiagnosticReport);
* ``evidence``: the report text as ``code.text``, and the DiagnosticReport;
* ``detail``: what disagrees, in words; ``reference``: none (the guideline's
  citation is in ``detail``); ``mitigation``: empty, for the reviewer to add;
* ``status``: final for a final or corrected report, preliminary, or cancelled.
Spec: https://hl7.org/fhir/R4/detectedissue.html
"""

from __future__ import annotations

from typing import Any

from radfollow.fhir.common import CODE_SYSTEM_BASE, MappingContext, reference
from radfollow.fhir.ids import record_identifier
from radfollow.models import Concordance, Guidance, ReportCheck, ResultStatus

DETECTED_ISSUE_SYSTEM = CODE_SYSTEM_BASE + "detected-issue"

#: Issue code, display and severity (DetectedIssue.severity: high | moderate | low).
GUIDANCE_ISSUES = {
    Concordance.MISSING: (
        "guideline-missing",
        "No recommendation where the guideline expects follow-up",
        "high",
    ),
    Concordance.DISCORDANT: (
        "guideline-discordant",
        "Recommendation differs from the guideline",
        "moderate",
    ),
    Concordance.UNNECESSARY: (
        "guideline-unnecessary",
        "Recommendation where the guideline expects none",
        "low",
    ),
}
CHECK_ISSUES = {
    "laterality": ("laterality-mismatch", "Laterality mismatch", "high"),
    "sex": ("sex-mismatch", "Sex mismatch", "moderate"),
    "age": ("age-mismatch", "Age mismatch", "low"),
}


def _status(ctx: MappingContext) -> str:
    if ctx.status is ResultStatus.CANCELLED:
        return "cancelled"
    return "preliminary" if ctx.status is ResultStatus.PRELIMINARY else "final"


def _base(
    ctx: MappingContext, local_id: str, issue: tuple[str, str, str], implicated: str
) -> dict[str, Any]:
    code, display, severity = issue
    resource: dict[str, Any] = {
        "resourceType": "DetectedIssue",
        "identifier": [record_identifier(ctx.accession, "issue", local_id)],
        "status": _status(ctx),
        "code": {
            "coding": [{"system": DETECTED_ISSUE_SYSTEM, "code": code, "display": display}],
            "text": display,
        },
        "severity": severity,
        "patient": reference(ctx.patient_url),
        "implicated": [reference(implicated)],
    }
    if ctx.effective:
        resource["identifiedDateTime"] = ctx.effective
    return resource


def guidance_issue(
    ctx: MappingContext,
    guidance: Guidance,
    index: int,
    finding_urls: dict[str, str],
    evidence: str | None = None,
) -> dict[str, Any] | None:
    """The DetectedIssue of one guidance, or None when the report agrees with it;
    ``evidence``: the finding's sentence."""
    issue = GUIDANCE_ISSUES.get(guidance.concordance) if guidance.concordance else None
    if issue is None:
        return None
    implicated = next(
        (
            finding_urls[i]
            for i in [guidance.finding_id, *guidance.mention_ids]
            if i in finding_urls
        ),
        ctx.report_url,
    )
    resource = _base(ctx, f"g{index}", issue, implicated)
    expected = "; ".join(
        (f"{a.condition}: " if a.condition else "") + a.text for a in guidance.expected
    )
    band = f" ({guidance.band})" if guidance.band else ""
    resource["detail"] = (
        f"{guidance.guideline} {guidance.version}{band}: {expected} Source: {guidance.citation}"
    )
    proof: dict[str, Any] = {"detail": [reference(implicated)]}
    if evidence:
        proof["code"] = [{"text": evidence}]
    resource["evidence"] = [proof]
    return resource


def check_issue(ctx: MappingContext, check: ReportCheck, index: int) -> dict[str, Any]:
    """The DetectedIssue of one report mismatch check."""
    issue = CHECK_ISSUES[check.kind.value]
    resource = _base(ctx, f"c{index}", issue, ctx.report_url)
    resource["detail"] = check.message
    resource["evidence"] = [
        {"code": [{"text": check.evidence}], "detail": [reference(ctx.report_url)]}
    ]
    return resource
