"""Guideline discordances and mismatch checks -> DetectedIssue (issue 16), validated."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from radfollow.fhir import build_bundle
from radfollow.guidance import Assessor, ReportContext
from radfollow.models import Concordance, ExtractionResult

DOC = Path(__file__).resolve().parents[2] / "docs" / "fhir.md"
ASSESSOR = Assessor()


def _assessed(report, result) -> ExtractionResult:
    return ASSESSOR.assess(ReportContext.of_report(report), result)


@pytest.mark.parametrize(
    ("recs", "issues"),
    [
        ([], ["guideline-missing"]),  # 6 mm solid nodule: CT at 6-12 months expected
        (None, []),  # the factory's CT chest in 6-12 months agrees
    ],
)
def test_guidance_issue(report_factory, result_factory, resources, recs, issues) -> None:
    result = _assessed(report_factory(), result_factory(recommendations=recs))
    bundle = build_bundle(report_factory(), result)
    found = resources(bundle, "DetectedIssue")
    assert [r["code"]["coding"][0]["code"] for r in found] == issues
    if found:
        (observation_url,) = [
            e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"
        ]
        assert found[0]["implicated"] == [{"reference": observation_url}]
        assert found[0]["severity"] == "high"
        assert "fleischner 2017" in found[0]["detail"]
        assert result.guidance[0].concordance is Concordance.MISSING


def test_check_issue_quotes_its_evidence(report_factory, result_factory, resources) -> None:
    text = "EXAM: CT pelvis.\nFINDINGS: The prostate is enlarged.\nIMPRESSION: Prostatomegaly."
    report = report_factory(text=text)  # the factory's patient is F
    result = _assessed(report, result_factory(findings=[], recommendations=[], impression=None))
    (issue,) = resources(build_bundle(report, result), "DetectedIssue")
    assert issue["code"]["coding"][0]["code"] == "sex-mismatch"
    assert issue["evidence"][0]["code"][0]["text"].lower() == "prostate"
    assert issue["status"] == "final"
    assert "mitigation" not in issue  # the reviewer's to add


def test_docs_show_a_detected_issue(report_factory, result_factory, resources) -> None:
    doc = DOC.read_text(encoding="utf-8")
    block = re.search(r"<!-- detected-issue -->\n```json\n(.*?)```", doc, flags=re.DOTALL)
    assert block is not None, "docs/fhir.md lost its DetectedIssue example"
    result = _assessed(report_factory(), result_factory(recommendations=[]))
    (issue,) = resources(build_bundle(report_factory(), result), "DetectedIssue")
    assert json.loads(block.group(1)) == issue
