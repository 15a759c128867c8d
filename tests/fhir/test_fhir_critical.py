"""Critical results -> Observation (interpretation critical), documented communication ->
Communication (issue 17), validated with fhir.resources R4B inside build_bundle."""

from __future__ import annotations

import pytest

from radfollow.fhir import build_bundle
from radfollow.guidance import Assessor, ReportContext
from radfollow.nlp.extract import Extractor, ReportText

TEXT = (
    "EXAM: Chest radiograph.\nIMPRESSION:\nNew large left pneumothorax.\n\n"
    "Findings discussed with Dr. Okafor by telephone at 10:05, who read back the findings.\n"
)


@pytest.fixture()
def bundle(report_factory, extractor: Extractor) -> dict:
    report = report_factory(text=TEXT)
    result = extractor.extract(ReportText(TEXT))
    result = Assessor().assess(ReportContext.of_report(report), result)
    return build_bundle(report, result)


def test_critical_observation(bundle: dict, resources) -> None:
    observations = [
        o for o in resources(bundle, "Observation") if o["identifier"][0]["value"].endswith("c1")
    ]
    (obs,) = observations
    assert obs["code"]["coding"][0]["code"] == "pneumothorax"
    assert obs["interpretation"][0]["coding"][0]["code"] == "AA"
    assert "Communication documented in the report" in [n["text"] for n in obs["note"]]


def test_communication_resource(bundle: dict, resources) -> None:
    (comm,) = resources(bundle, "Communication")
    assert comm["status"] == "completed"
    assert comm["medium"][0]["coding"][0]["code"] == "PHONE"
    assert comm["sent"] == "2024-01-31T10:05:00-05:00"  # the exam's date and offset
    critical_url = next(
        e["fullUrl"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Observation"
        and e["resource"]["code"]["coding"][0]["code"] == "pneumothorax"
    )
    assert {"reference": critical_url} in comm["about"]
    assert "Okafor" not in str(comm)
    assert "category" in comm and comm["category"][0]["coding"][0]["code"] == "critical-result"


def test_no_critical_no_resources(report_factory, extractor: Extractor, resources) -> None:
    text = "EXAM: Chest radiograph.\nIMPRESSION:\nNo pneumothorax.\n"
    report = report_factory(text=text)
    bundle = build_bundle(report, extractor.extract(ReportText(text)))
    assert resources(bundle, "Communication") == []
    assert all(
        "critical" not in o["identifier"][0]["value"] for o in resources(bundle, "Observation")
    )
